/**
 * Shard lineage rules of the outbox pipe. DynamoDB Local rolls shards only every 4 hours (like AWS),
 * so a rollover cannot be produced in a test run; these cases pin the ordering rule on the shapes
 * DescribeStream returns.
 */
import type { Shard } from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import { compareSequenceNumbers, readableShards } from '../../local/outbox-pipe/index.ts';

const shard = (id: string, start: string, parent?: string, end?: string): Shard => ({
  ShardId: id,
  ParentShardId: parent,
  SequenceNumberRange: { StartingSequenceNumber: start, EndingSequenceNumber: end },
});

describe('which shards the pipe may read', () => {
  const parent = shard('shard-1', '100', undefined, '199');
  const child = shard('shard-2', '200', 'shard-1');

  it('reads a child only after its parent is read to the end', () => {
    expect(readableShards([child, parent], {}).map((s) => s.ShardId)).toEqual(['shard-1']);
    expect(
      readableShards([child, parent], { 'shard-1': { lastSequenceNumber: '150' } }).map((s) => s.ShardId),
    ).toEqual(['shard-1']);
    expect(
      readableShards([child, parent], { 'shard-1': { lastSequenceNumber: '199', finished: true } }).map(
        (s) => s.ShardId,
      ),
    ).toEqual(['shard-2']);
  });

  it('reads a child whose parent was trimmed away (no longer listed)', () => {
    expect(readableShards([child], {}).map((s) => s.ShardId)).toEqual(['shard-2']);
  });

  it('orders readable shards oldest first by their numeric starting sequence number', () => {
    const shards = [shard('late', '1000'), shard('early', '999')];
    expect(readableShards(shards, {}).map((s) => s.ShardId)).toEqual(['early', 'late']);
  });

  it('compares 21-digit sequence numbers as numbers', () => {
    expect(compareSequenceNumbers('000000000000000000010', '000000000000000000009')).toBe(1);
    expect(compareSequenceNumbers('9', '10')).toBe(-1);
    expect(compareSequenceNumbers('49668042311287497542', '49668042311287497542')).toBe(0);
  });
});
