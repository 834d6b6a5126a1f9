/**
 * The failure queues (on-failure destinations and DLQs) keep every message across restarts, from an
 * append-only log that tolerates a crash mid-write.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/clock.ts';
import {
  type FailureAttributes,
  type FailureMessage,
  InvalidQueueNameError,
  openFailureQueues,
} from '../../local/queues/failure-queues.ts';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'samskapa-queues-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const attributes = (errorMessage: string): FailureAttributes => ({
  origin: {
    kind: 'function',
    functionName: 'compileResults',
    functionArn: 'arn:aws:lambda:eu-north-1:000000000000:function:compileResults',
    requestId: 'r-1',
  },
  condition: 'RetriesExhausted',
  errorType: 'Error',
  errorMessage,
  attempts: 3,
  firstAttemptAt: '2026-01-01T00:00:00.000Z',
  lastAttemptAt: '2026-01-01T00:03:00.000Z',
});

describe('failure queues', () => {
  it('keep sent, updated and deleted messages across a reopen, and compact the log', () => {
    const clock = new ManualClock('2026-01-01T00:03:00.000Z');
    const queues = openFailureQueues({ dir, clock });
    const seen: FailureMessage[] = [];
    queues.on('message', (message) => seen.push(message));
    const queue = queues.queue('compileResults-failures');
    const kept = queue.send({ id: 'e-1' }, attributes('first'));
    const gone = queue.send({ id: 'e-2' }, attributes('second'));
    queue.update(kept.messageId, { ...attributes('again'), attempts: 4 });
    expect(queue.delete(gone.messageId)).toBe(true);
    expect(queue.delete(gone.messageId)).toBe(false);
    expect(seen.map((message) => message.body)).toEqual([{ id: 'e-1' }, { id: 'e-2' }]);
    expect(kept.sentAt).toBe('2026-01-01T00:03:00.000Z');
    queues.close();

    const file = join(dir, 'compileResults-failures.jsonl');
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(4);
    const reopened = openFailureQueues({ dir });
    expect(reopened.list()).toEqual([{ name: 'compileResults-failures', size: 1 }]);
    expect(reopened.queue('compileResults-failures').get(kept.messageId)).toMatchObject({
      body: { id: 'e-1' },
      attributes: { errorMessage: 'again', attempts: 4 },
    });
    reopened.close();
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('ignore a last line torn by a crash, but refuse a corrupted log', () => {
    const queues = openFailureQueues({ dir });
    queues.queue('rule-dlq').send({ id: 'e-3' }, attributes('x'));
    queues.close();
    appendFileSync(join(dir, 'rule-dlq.jsonl'), '{"op":"send","mess');
    const recovered = openFailureQueues({ dir });
    expect(recovered.queue('rule-dlq').size).toBe(1);
    recovered.close();

    writeFileSync(join(dir, 'broken-dlq.jsonl'), 'not json\n{"op":"delete","messageId":"m"}\n');
    expect(() => openFailureQueues({ dir })).toThrow('broken-dlq.jsonl:1 is not valid JSON');
  });

  it('live in memory without a directory and refuse names SQS would refuse', () => {
    const queues = openFailureQueues();
    queues.queue('in-memory').send({ id: 'e-4' }, attributes('x'));
    expect(queues.queue('in-memory').list()).toHaveLength(1);
    expect(() => queues.queue('../escape')).toThrow(InvalidQueueNameError);
  });
});
