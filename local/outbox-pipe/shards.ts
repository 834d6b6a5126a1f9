/**
 * Shard lineage. DynamoDB Streams (and DynamoDB Local, which rolls shards every 4 hours like AWS)
 * closes shards and opens children; a child may only be read once its parent is fully read, or the
 * records of one item (one process) would come out of order.
 */
import type { Shard } from '@aws-sdk/client-dynamodb-streams';

export interface ShardPosition {
  /** The last sequence number whose record was handled (published, filtered out, or sent to failures). */
  lastSequenceNumber?: string;
  /** Read to its end (GetRecords returned no next iterator). */
  finished?: boolean;
}

/**
 * The shards that may be read now, parents before children and otherwise oldest first: not finished,
 * and whose parent is finished or no longer listed (trimmed after 24 hours, so read long ago).
 */
export function readableShards(
  shards: readonly Shard[],
  positions: Readonly<Record<string, ShardPosition>>,
): Shard[] {
  const listed = new Set(shards.map((shard) => shard.ShardId));
  return shards
    .filter((shard) => shard.ShardId !== undefined && !positions[shard.ShardId]?.finished)
    .filter((shard) => {
      const parent = shard.ParentShardId;
      return parent === undefined || !listed.has(parent) || positions[parent]?.finished === true;
    })
    .sort((a, b) =>
      compareSequenceNumbers(
        a.SequenceNumberRange?.StartingSequenceNumber ?? '0',
        b.SequenceNumberRange?.StartingSequenceNumber ?? '0',
      ),
    );
}

/** Sequence numbers are decimal strings of up to 40 digits: compare them as numbers, not text. */
export function compareSequenceNumbers(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Positions of shards that are no longer listed are dropped, so the checkpoint does not grow forever. */
export function prunePositions(
  positions: Readonly<Record<string, ShardPosition>>,
  shards: readonly Shard[],
): Record<string, ShardPosition> {
  const listed = new Set(shards.map((shard) => shard.ShardId));
  return Object.fromEntries(Object.entries(positions).filter(([shardId]) => listed.has(shardId)));
}
