/**
 * The outbox pipe against a real DynamoDB Local stream: what a function commits in one
 * TransactWriteItems reaches the bus once per outbox item, in order per process, and nothing else does.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AttributeValue,
  DeleteItemCommand,
  DynamoDBClient,
  TransactWriteItemsCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { PutEventsRequestEntry, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { monotonicFactory } from 'ulid';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { PIPELINE_BUS, PIPELINE_SOURCE } from '../../functions/topology.ts';
import { ManualClock, systemClock } from '../../local/clock.ts';
import { ensureTable, localDynamoDbClientConfig, startDynamoDb } from '../../local/dynamodb/index.ts';
import {
  OUTBOX_PIPE_FILTER,
  type OutboxFailure,
  type OutboxPipe,
  type PutEvents,
  passesOutboxFilter,
  type StartOutboxPipeOptions,
  startOutboxPipe,
} from '../../local/outbox-pipe/index.ts';
import { pipelineTable } from '../../shared/store/table.ts';
import { createTestTable, testDynamoDbEndpoint } from '../setup/tables.ts';

const ulid = monotonicFactory();
type Item = Record<string, AttributeValue>;

/** An outbox item exactly as the store writes it. */
function outboxItem(processId: string, type: string, n: number): Item {
  const eventId = ulid();
  const metadata = {
    id: eventId,
    type,
    version: 1,
    orgId: 'org1',
    processId,
    occurredAt: '2026-01-01T00:00:00Z',
  };
  return {
    pk: { S: `ORG#org1#PROC#${processId}` },
    sk: { S: `OUTBOX#${eventId}` },
    itemType: { S: 'outbox' },
    source: { S: PIPELINE_SOURCE },
    detailType: { S: type },
    detail: { S: JSON.stringify({ metadata, data: { n } }) },
    expiresAt: { N: String(Math.floor(Date.now() / 1000) + 86_400) },
  };
}

const aggregate = (processId: string, version: number): Item => ({
  pk: { S: `ORG#org1#PROC#${processId}` },
  sk: { S: 'PROCESS' },
  itemType: { S: 'process' },
  version: { N: String(version) },
});
const inbox = (processId: string, eventId: string): Item => ({
  pk: { S: `ORG#org1#PROC#${processId}` },
  sk: { S: `INBOX#${eventId}` },
  itemType: { S: 'inbox' },
});

async function transact(client: DynamoDBClient, tableName: string, items: Item[]): Promise<void> {
  await client.send(
    new TransactWriteItemsCommand({
      TransactItems: items.map((Item) => ({ Put: { TableName: tableName, Item } })),
    }),
  );
}

/** A bus that accepts everything and remembers what it got, in order. */
function recordingBus() {
  const received: PutEventsRequestEntry[] = [];
  const calls: number[] = [];
  let nextId = 1;
  const putEvents: PutEvents = async (entries) => {
    calls.push(entries.length);
    received.push(...entries);
    return entries.map(() => ({ EventId: `event-${nextId++}` }));
  };
  return { received, calls, putEvents };
}

const eventIdOf = (entry: PutEventsRequestEntry) =>
  (JSON.parse(entry.Detail ?? '{}') as { metadata: { id: string } }).metadata.id;
const idsOf = (items: Item[]) => items.map((item) => item.sk?.S?.replace('OUTBOX#', ''));
const byProcess = (entries: PutEventsRequestEntry[]) => {
  const groups: Record<string, string[]> = {};
  for (const entry of entries) {
    const processId = (JSON.parse(entry.Detail ?? '{}') as { metadata: { processId: string } }).metadata
      .processId;
    groups[processId] = [...(groups[processId] ?? []), eventIdOf(entry)];
  }
  return groups;
};

/** Runs pollOnce() while moving a manual clock, so backoff waits pass without real sleeping. */
async function pollDriving(pipe: OutboxPipe, clock: ManualClock) {
  let settled = false;
  const polled = pipe.pollOnce().finally(() => {
    settled = true;
  });
  while (!settled) {
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(60_000);
  }
  return polled;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});
const client = new DynamoDBClient(localDynamoDbClientConfig(testDynamoDbEndpoint()));
afterAll(() => client.destroy());

async function pipeOn(
  tableName: string,
  options: Partial<StartOutboxPipeOptions> & { putEvents: PutEvents },
) {
  const pipe = await startOutboxPipe({
    endpoint: testDynamoDbEndpoint(),
    tableName,
    clock: new ManualClock(),
    log: () => {},
    ...options,
  });
  cleanups.push(() => pipe.stop());
  return pipe;
}

describe('the outbox filter', () => {
  it('is the Pipe filter: INSERTs of outbox items only', () => {
    expect(OUTBOX_PIPE_FILTER).toEqual({
      eventName: ['INSERT'],
      dynamodb: { NewImage: { itemType: { S: ['outbox'] } } },
    });
    const record = (eventName: string, itemType: string) => ({
      eventName,
      dynamodb: { NewImage: { itemType: { S: itemType } } },
    });
    expect(passesOutboxFilter(record('INSERT', 'outbox') as never)).toBe(true);
    expect(passesOutboxFilter(record('MODIFY', 'outbox') as never)).toBe(false);
    expect(passesOutboxFilter(record('INSERT', 'inbox') as never)).toBe(false);
  });
});

describe('the outbox pipe', () => {
  it('publishes each outbox item of a transaction once, in order per process, and nothing else', async () => {
    const tableName = await createTestTable();
    const bus = recordingBus();
    // The real poll loop on the real clock, as `npm start` runs it.
    const pipe = await pipeOn(tableName, {
      putEvents: bus.putEvents,
      clock: systemClock,
      pollIntervalMs: 50,
    });

    const a1 = [outboxItem('a', 'Interview.Uploaded', 1), outboxItem('a', 'Interview.Summarised', 2)];
    const b1 = [outboxItem('b', 'Workshop.Closed', 1)];
    await transact(client, tableName, [
      aggregate('a', 2),
      inbox('a', 'cause-1'),
      a1[0] as Item,
      aggregate('b', 5),
      b1[0] as Item,
      a1[1] as Item,
    ]);
    const a2 = [outboxItem('a', 'Results.Compiled', 3)];
    const b2 = [outboxItem('b', 'Plan.Approved', 2), outboxItem('b', 'Guide.Published', 3)];
    await transact(client, tableName, [inbox('b', 'cause-2'), ...b2, ...a2, aggregate('a', 3)]);

    await vi.waitFor(() => expect(bus.received).toHaveLength(6), { timeout: 10_000, interval: 50 });
    expect(byProcess(bus.received)).toEqual({ a: idsOf([...a1, ...a2]), b: idsOf([...b1, ...b2]) });
    expect(new Set(bus.received.map(eventIdOf)).size).toBe(6);
    // The aggregates and inbox items were read and filtered out, not failed.
    await vi.waitFor(() => expect(pipe.stats()).toMatchObject({ published: 6, filteredOut: 5, failed: 0 }));
    for (const entry of bus.received) {
      expect(entry.EventBusName).toBe(PIPELINE_BUS);
      expect(entry.Source).toBe(PIPELINE_SOURCE);
      expect(JSON.parse(entry.Detail ?? '')).toMatchObject({
        metadata: { type: entry.DetailType },
        data: {},
      });
    }
    // One PutEvents never carries two events of one process, and never more than 10.
    expect(Math.max(...bus.calls)).toBeLessThanOrEqual(2);

    // Changes to and removals of outbox items (TTL expiry is a removal) are not events.
    const first = a1[0] as Item;
    await client.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: first.pk as AttributeValue, sk: first.sk as AttributeValue },
        UpdateExpression: 'SET expiresAt = :now',
        ExpressionAttributeValues: { ':now': { N: '1' } },
      }),
    );
    await client.send(
      new DeleteItemCommand({
        TableName: tableName,
        Key: { pk: first.pk as AttributeValue, sk: first.sk as AttributeValue },
      }),
    );
    await vi.waitFor(() => expect(pipe.stats().filteredOut).toBe(7), { timeout: 5000, interval: 50 });
    expect(bus.received).toHaveLength(6);
  });

  it('batches up to 10 entries per PutEvents across processes', async () => {
    const tableName = await createTestTable();
    const bus = recordingBus();
    const pipe = await pipeOn(tableName, { putEvents: bus.putEvents });
    const items = Array.from({ length: 23 }, (_, i) => outboxItem(`p${i}`, 'Place.Added', i));
    await transact(client, tableName, items);

    const summary = await pipe.pollOnce();
    expect(summary).toEqual({ published: 23, filteredOut: 0, failed: 0 });
    expect(bus.calls).toEqual([10, 10, 3]);
    expect(bus.received.map(eventIdOf)).toEqual(idsOf(items));
  });

  it('retries a rejected entry with backoff and keeps the order of its process', async () => {
    const tableName = await createTestTable();
    const clock = new ManualClock();
    const delivered: string[] = [];
    const rejectedOnce = new Map<string, number>();
    const flaky = outboxItem('a', 'Workshop.Closed', 1);
    const putEvents: PutEvents = async (entries) => {
      return entries.map((entry): PutEventsResultEntry => {
        const id = eventIdOf(entry);
        const rejections = rejectedOnce.get(id) ?? 0;
        if (id === idsOf([flaky])[0] && rejections < 2) {
          rejectedOnce.set(id, rejections + 1);
          return { ErrorCode: 'InternalException', ErrorMessage: 'try again' };
        }
        delivered.push(id);
        return { EventId: `e-${id}` };
      });
    };
    const pipe = await pipeOn(tableName, { putEvents, clock, retry: { baseDelayMs: 1000 } });
    const later = outboxItem('a', 'Results.Compiled', 2);
    const other = outboxItem('b', 'Place.Added', 1);
    await transact(client, tableName, [flaky, other, later]);

    const summary = await pollDriving(pipe, clock);
    expect(summary.published).toBe(3);
    expect(rejectedOnce.get(idsOf([flaky])[0] as string)).toBe(2);
    expect(delivered.filter((id) => id !== idsOf([other])[0])).toEqual(idsOf([flaky, later]));
    expect(pipe.failures()).toEqual([]);
  });

  it('sends an entry the bus keeps rejecting to the failure file after N attempts, then goes on', async () => {
    const tableName = await createTestTable();
    const dataDir = mkdtempSync(join(tmpdir(), 'samskapa-pipe-test-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const clock = new ManualClock();
    const poisoned = outboxItem('a', 'Guide.Published', 1);
    const poisonedId = idsOf([poisoned])[0];
    const bus = recordingBus();
    const putEvents: PutEvents = async (entries) => {
      if (entries.some((entry) => eventIdOf(entry) === poisonedId)) {
        return entries.map((entry) =>
          eventIdOf(entry) === poisonedId
            ? { ErrorCode: 'MalformedDetail', ErrorMessage: 'rejected' }
            : { EventId: 'x' },
        );
      }
      return bus.putEvents(entries);
    };
    const pipe = await pipeOn(tableName, { putEvents, clock, dataDir, retry: { maxAttempts: 3 } });
    const next = outboxItem('a', 'Plan.Approved', 2);
    const malformed = { ...outboxItem('c', 'Plan.Approved', 1), detail: { S: 'not json' } };
    await transact(client, tableName, [poisoned, malformed]);
    await transact(client, tableName, [next]);

    const summary = await pollDriving(pipe, clock);
    expect(summary).toEqual({ published: 1, filteredOut: 0, failed: 2 });
    expect(bus.received.map(eventIdOf)).toEqual(idsOf([next]));

    const lines = readFileSync(join(dataDir, 'outbox-pipe', 'failed.jsonl'), 'utf8')
      .trim()
      .split('\n');
    const failures = lines.map((line) => JSON.parse(line) as OutboxFailure);
    expect(failures).toEqual(pipe.failures());
    expect(failures).toHaveLength(2);
    expect(failures.find((f) => f.eventId === poisonedId)).toMatchObject({
      partitionKey: 'ORG#org1#PROC#a',
      attempts: 3,
      reason: 'MalformedDetail: rejected',
      entry: { DetailType: 'Guide.Published', Source: PIPELINE_SOURCE },
    });
    expect(failures.find((f) => f.eventId === idsOf([malformed])[0])).toMatchObject({
      attempts: 0,
      reason: 'outbox item detail is not valid JSON',
    });
    // Handled is handled: the checkpoint moved past both.
    expect(await pipe.pollOnce()).toEqual({ published: 0, filteredOut: 0, failed: 0 });
  });

  it('re-publishes rather than loses what the bus had not accepted when the pipe stopped', async () => {
    const tableName = await createTestTable();
    const dataDir = mkdtempSync(join(tmpdir(), 'samskapa-pipe-test-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const clock = new ManualClock();
    let attempts = 0;
    const busDown: PutEvents = async () => {
      attempts++;
      throw new Error('connect ECONNREFUSED');
    };
    const first = await startOutboxPipe({
      endpoint: testDynamoDbEndpoint(),
      tableName,
      putEvents: busDown,
      clock,
      dataDir,
      log: () => {},
    });
    const item = outboxItem('a', 'Workshop.Closed', 1);
    await transact(client, tableName, [item]);
    const polling = first.pollOnce();
    polling.catch(() => {});
    await vi.waitFor(() => expect(attempts).toBe(1)); // now backing off before the second attempt
    await first.stop();
    await expect(polling).rejects.toThrow(/stopped/);

    const bus = recordingBus();
    const second = await pipeOn(tableName, { putEvents: bus.putEvents, dataDir });
    await second.pollOnce();
    expect(bus.received.map(eventIdOf)).toEqual(idsOf([item]));
  });
});

describe('the outbox pipe across a restart of the runtime with a persisted data dir', () => {
  it('publishes only what is new after the restart: none repeated, none lost', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'samskapa-pipe-restart-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    const bus = recordingBus();

    const run = async (write: Item[][]) => {
      const dynamoDb = await startDynamoDb({ dataDir: join(dataDir, 'dynamodb'), log: () => {} });
      const ownClient = new DynamoDBClient(localDynamoDbClientConfig(dynamoDb.endpoint));
      try {
        await ensureTable(dynamoDb.endpoint, pipelineTable);
        const pipe = await startOutboxPipe({
          endpoint: dynamoDb.endpoint,
          tableName: pipelineTable.name,
          putEvents: bus.putEvents,
          dataDir,
          clock: new ManualClock(),
          log: () => {},
        });
        for (const items of write) await transact(ownClient, pipelineTable.name, items);
        await pipe.pollOnce();
        await pipe.stop();
      } finally {
        ownClient.destroy();
        await dynamoDb.stop();
      }
    };

    const before = [
      [outboxItem('a', 'Interview.Uploaded', 1), aggregate('a', 1), outboxItem('b', 'Place.Added', 1)],
      [outboxItem('a', 'Interview.Summarised', 2)],
    ];
    await run(before);
    expect(bus.received.map(eventIdOf)).toEqual(
      idsOf(before.flat().filter((item) => item.itemType?.S === 'outbox')),
    );

    const after = [
      [outboxItem('a', 'Workshop.Closed', 3), outboxItem('b', 'Workshop.Closed', 2), aggregate('b', 2)],
    ];
    await run(after);
    const all = [...before, ...after].flat().filter((item) => item.itemType?.S === 'outbox');
    expect(bus.received.map(eventIdOf)).toEqual(idsOf(all));
  });
});
