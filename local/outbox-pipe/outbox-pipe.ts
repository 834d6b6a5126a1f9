/**
 * The local EventBridge Pipe from the table's stream to the pipeline bus: reads the stream through the
 * DynamoDB Streams API (as the AWS Pipe does), keeps new outbox items (filter.ts) and PutEvents them.
 *
 * Guarantees:
 * - Order per process: shards are read parents first (shards.ts), records in stream order, and one
 *   PutEvents batch never holds two events of the same process, so a retried entry cannot be overtaken
 *   by a later event of its own process. The next batch waits until the previous one was accepted.
 * - Nothing is skipped: a rejected entry is retried with exponential backoff; after `maxAttempts` it goes
 *   to the failure file (<dataDir>/outbox-pipe/failed.jsonl) with the reason, like a Pipe's DLQ.
 * - At least once: the checkpoint (<dataDir>/outbox-pipe/checkpoint.json) moves only after the bus
 *   accepted everything before it, so a crash re-publishes rather than loses. Consumers are idempotent.
 *
 * Checked against DynamoDB Local (in memory and -sharedDb -dbPath): a persisted database keeps its
 * stream, shard ids and sequence numbers across restarts, so AFTER_SEQUENCE_NUMBER iterators resume
 * exactly; an in-memory database has a new stream ARN at every start, which resets the checkpoint.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type Shard,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { PutEventsRequestEntry, PutEventsResultEntry } from '@aws-sdk/client-eventbridge';
import { PIPELINE_BUS } from '../../functions/topology.ts';
import { type Clock, type ClockTimer, systemClock } from '../clock.ts';
import { localDynamoDbClientConfig } from '../dynamodb/dynamodb-local.ts';
import {
  type Checkpoint,
  type CheckpointStore,
  fileCheckpointStore,
  memoryCheckpointStore,
} from './checkpoint.ts';
import { passesOutboxFilter, toPipeRecord } from './filter.ts';
import { prunePositions, readableShards } from './shards.ts';

/** PutEvents as the bus answers it: one result per entry, in order; an ErrorCode marks a rejected entry. */
export type PutEvents = (entries: PutEventsRequestEntry[]) => Promise<PutEventsResultEntry[]>;

export interface OutboxPipeRetry {
  /** Attempts per entry before it goes to the failure file. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface StartOutboxPipeOptions {
  /** The DynamoDB endpoint; DynamoDB Local serves the Streams API on the same one. */
  endpoint: string;
  tableName: string;
  putEvents: PutEvents;
  /** Checkpoint and failure file under <dataDir>/outbox-pipe/; in memory when absent. */
  dataDir?: string;
  eventBusName?: string;
  /** Wait between polls that found nothing new. */
  pollIntervalMs?: number;
  /** Entries per PutEvents, at most 10 (EventBridge's limit). */
  batchSize?: number;
  retry?: Partial<OutboxPipeRetry>;
  /** How often the shard list is re-read even when no shard closed. */
  shardRefreshMs?: number;
  clock?: Clock;
  /** Operational notes: positions, failures, stream errors. Never item contents. */
  log?: (message: string) => void;
}

export interface OutboxFailure {
  at: string;
  streamArn: string;
  shardId: string;
  sequenceNumber: string;
  /** From the item's sort key, OUTBOX#<eventId>. */
  eventId: string | undefined;
  /** ORG#<orgId>#PROC#<processId>: which process's order now has a gap. */
  partitionKey: string | undefined;
  attempts: number;
  reason: string;
  /** What was (or would have been) put on the bus, for a redrive. */
  entry: PutEventsRequestEntry | undefined;
}

export interface OutboxPipeStats {
  published: number;
  filteredOut: number;
  failed: number;
  lastError: string | undefined;
}

export interface PollSummary {
  published: number;
  filteredOut: number;
  failed: number;
}

export interface OutboxPipe {
  streamArn: string;
  /** Reads the stream to its current end now and resolves when everything read was handled. */
  pollOnce(): Promise<PollSummary>;
  failures(): readonly OutboxFailure[];
  stats(): OutboxPipeStats;
  /** Stops polling; a batch still being retried is abandoned unacknowledged (re-published next start). */
  stop(): Promise<void>;
}

const MAX_BATCH = 10;

class PipeStopped extends Error {
  override name = 'PipeStopped';
  constructor() {
    super('the outbox pipe was stopped');
  }
}

interface Pending {
  record: StreamRecord;
  sequenceNumber: string;
  entry: PutEventsRequestEntry;
  partitionKey: string;
  attempts: number;
  lastError: string;
}

export async function startOutboxPipe(options: StartOutboxPipeOptions): Promise<OutboxPipe> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? ((message: string) => process.stderr.write(`[outbox-pipe] ${message}\n`));
  const pollIntervalMs = options.pollIntervalMs ?? 150;
  const shardRefreshMs = options.shardRefreshMs ?? 10_000;
  const eventBusName = options.eventBusName ?? PIPELINE_BUS;
  const batchSize = options.batchSize ?? MAX_BATCH;
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH) {
    throw new RangeError(`batchSize must be 1-${MAX_BATCH} (EventBridge PutEvents limit), got ${batchSize}`);
  }
  const retry: OutboxPipeRetry = { maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 5000, ...options.retry };
  if (retry.maxAttempts < 1) throw new RangeError('retry.maxAttempts must be at least 1');

  const pipeDir = options.dataDir === undefined ? undefined : join(options.dataDir, 'outbox-pipe');
  const store: CheckpointStore =
    pipeDir === undefined ? memoryCheckpointStore() : fileCheckpointStore(join(pipeDir, 'checkpoint.json'));
  const failureFile = pipeDir === undefined ? undefined : join(pipeDir, 'failed.jsonl');

  const clientConfig = localDynamoDbClientConfig(options.endpoint);
  const streams = new DynamoDBStreamsClient(clientConfig);
  const streamArn = await latestStreamArn(clientConfig, options.tableName);

  const saved = store.load();
  let checkpoint: Checkpoint;
  if (saved?.streamArn === streamArn) {
    checkpoint = saved;
    log(`resuming ${options.tableName} stream from the checkpoint in ${store.path ?? 'memory'}`);
  } else {
    if (saved !== undefined) {
      log(`the table's stream changed (table recreated): starting from the oldest record of ${streamArn}`);
    }
    checkpoint = { streamArn, shards: {} };
  }

  const failures: OutboxFailure[] = [];
  const stats: OutboxPipeStats = { published: 0, filteredOut: 0, failed: 0, lastError: undefined };
  const iterators = new Map<string, string>();
  let shards: Shard[] = [];
  let shardsReadAt = Number.NEGATIVE_INFINITY;
  let shardsStale = true;
  let stopping = false;
  let pollTimer: ClockTimer | undefined;
  const sleepers = new Set<() => void>();

  const sleep = (ms: number) =>
    new Promise<void>((resolve, reject) => {
      if (stopping) return reject(new PipeStopped());
      const wake = () => {
        sleepers.delete(wake);
        clock.clearTimeout(timer);
        if (stopping) reject(new PipeStopped());
        else resolve();
      };
      const timer = clock.setTimeout(wake, ms);
      sleepers.add(wake);
    });

  const saveCheckpoint = () => store.save(checkpoint);

  const recordFailure = (failure: Omit<OutboxFailure, 'at' | 'streamArn'>) => {
    const full: OutboxFailure = { at: new Date(clock.now()).toISOString(), streamArn, ...failure };
    failures.push(full);
    stats.failed++;
    if (pipeDir !== undefined && failureFile !== undefined) {
      mkdirSync(pipeDir, { recursive: true });
      appendFileSync(failureFile, `${JSON.stringify(full)}\n`);
    }
    log(
      `event ${full.eventId ?? '(none)'} (shard ${full.shardId}, sequence ${full.sequenceNumber}) ` +
        `went to the failure ${failureFile ?? 'list'} after ${full.attempts} attempt(s): ${full.reason}`,
    );
  };

  async function describeShards(): Promise<Shard[]> {
    const all: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const page = await streams.send(
        new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
      );
      all.push(...(page.StreamDescription?.Shards ?? []));
      exclusiveStartShardId = page.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined);
    return all;
  }

  async function openIterator(shardId: string): Promise<string> {
    const last = checkpoint.shards[shardId]?.lastSequenceNumber;
    const request =
      last === undefined
        ? { StreamArn: streamArn, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' as const }
        : {
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: 'AFTER_SEQUENCE_NUMBER' as const,
            SequenceNumber: last,
          };
    try {
      const iterator = (await streams.send(new GetShardIteratorCommand(request))).ShardIterator;
      if (iterator === undefined) throw new Error(`no iterator for shard ${shardId}`);
      return iterator;
    } catch (error) {
      if ((error as Error).name !== 'TrimmedDataAccessException' || last === undefined) throw error;
      // The runtime was off longer than the stream keeps records (24 h): what came after `last` is gone.
      recordFailure({
        shardId,
        sequenceNumber: last,
        eventId: undefined,
        partitionKey: undefined,
        attempts: 0,
        reason: 'records after this sequence number were trimmed from the stream before the pipe read them',
        entry: undefined,
      });
      delete checkpoint.shards[shardId]?.lastSequenceNumber;
      return openIterator(shardId);
    }
  }

  /** Publishes one batch until every entry was accepted or sent to the failure file. */
  async function publish(batch: Pending[], shardId: string): Promise<{ published: number; failed: number }> {
    const outcome = { published: 0, failed: 0 };
    let remaining = batch;
    while (remaining.length > 0) {
      let results: PutEventsResultEntry[];
      try {
        results = await options.putEvents(remaining.map((pending) => pending.entry));
        if (results.length !== remaining.length) {
          throw new Error(`PutEvents answered ${results.length} results for ${remaining.length} entries`);
        }
      } catch (error) {
        const message = `PutEvents failed: ${(error as Error).message}`;
        results = remaining.map(() => ({ ErrorCode: 'PutEventsFailed', ErrorMessage: message }));
      }
      const again: Pending[] = [];
      remaining.forEach((pending, index) => {
        const result = results[index];
        if (result?.ErrorCode === undefined && result?.EventId !== undefined) {
          stats.published++;
          outcome.published++;
          return;
        }
        pending.attempts++;
        pending.lastError = `${result?.ErrorCode ?? 'NoEventId'}: ${result?.ErrorMessage ?? 'no EventId returned'}`;
        if (pending.attempts >= retry.maxAttempts) {
          outcome.failed++;
          recordFailure({
            shardId,
            sequenceNumber: pending.sequenceNumber,
            eventId: eventIdOf(pending.record),
            partitionKey: pending.partitionKey,
            attempts: pending.attempts,
            reason: pending.lastError,
            entry: pending.entry,
          });
        } else {
          again.push(pending);
        }
      });
      remaining = again;
      if (remaining.length > 0) {
        const attempts = Math.max(...remaining.map((pending) => pending.attempts));
        await sleep(Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempts - 1)));
      }
    }
    return outcome;
  }

  /**
   * Handles one GetRecords page in stream order. `readUpTo` is the last record taken from the page;
   * once the batch holding everything taken so far is accepted, the checkpoint moves to it.
   */
  async function handlePage(records: StreamRecord[], shardId: string, summary: PollSummary): Promise<void> {
    let batch: Pending[] = [];
    let readUpTo: string | undefined;
    const flush = async () => {
      if (batch.length > 0) {
        const outcome = await publish(batch, shardId);
        summary.published += outcome.published;
        summary.failed += outcome.failed;
        batch = [];
      }
      if (readUpTo !== undefined && checkpoint.shards[shardId]?.lastSequenceNumber !== readUpTo) {
        checkpoint.shards[shardId] = { ...checkpoint.shards[shardId], lastSequenceNumber: readUpTo };
        saveCheckpoint();
      }
    };

    for (const record of records) {
      const sequenceNumber = record.dynamodb?.SequenceNumber;
      if (sequenceNumber === undefined)
        throw new Error(`a stream record on shard ${shardId} has no sequence number`);
      if (!passesOutboxFilter(toPipeRecord(record, streamArn))) {
        stats.filteredOut++;
        summary.filteredOut++;
        readUpTo = sequenceNumber;
        continue;
      }
      const partitionKey = record.dynamodb?.NewImage?.pk?.S ?? '';
      const entry = outboxEntry(record, eventBusName);
      if (typeof entry === 'string') {
        // Malformed by the writer: no retry can fix it, so straight to the failure file.
        recordFailure({
          shardId,
          sequenceNumber,
          eventId: eventIdOf(record),
          partitionKey,
          attempts: 0,
          reason: entry,
          entry: undefined,
        });
        summary.failed++;
        readUpTo = sequenceNumber;
        continue;
      }
      if (batch.length >= batchSize || batch.some((pending) => pending.partitionKey === partitionKey))
        await flush();
      batch.push({ record, sequenceNumber, entry, partitionKey, attempts: 0, lastError: '' });
      readUpTo = sequenceNumber;
    }
    await flush();
  }

  async function cycle(): Promise<PollSummary> {
    const summary: PollSummary = { published: 0, filteredOut: 0, failed: 0 };
    for (;;) {
      if (shardsStale || clock.now() - shardsReadAt >= shardRefreshMs) {
        shards = await describeShards();
        shardsReadAt = clock.now();
        shardsStale = false;
        const pruned = prunePositions(checkpoint.shards, shards);
        if (Object.keys(pruned).length !== Object.keys(checkpoint.shards).length) {
          checkpoint.shards = pruned;
          saveCheckpoint();
        }
      }
      let finishedAShard = false;
      for (const shard of readableShards(shards, checkpoint.shards)) {
        const shardId = shard.ShardId as string;
        for (;;) {
          if (stopping) throw new PipeStopped();
          const iterator = iterators.get(shardId) ?? (await openIterator(shardId));
          let page: Awaited<ReturnType<typeof getRecords>>;
          try {
            page = await getRecords(iterator);
          } catch (error) {
            iterators.delete(shardId);
            // Iterators expire after 15 minutes (a laptop asleep): open a new one from the checkpoint.
            if ((error as Error).name === 'ExpiredIteratorException') continue;
            throw error;
          }
          const records = page.Records ?? [];
          try {
            await handlePage(records, shardId, summary);
          } catch (error) {
            // Re-reading this page from its old iterator would repeat what was already accepted:
            // reopen from the checkpoint instead.
            iterators.delete(shardId);
            throw error;
          }
          if (page.NextShardIterator === undefined) {
            // A closed shard read to its end: its children may start now.
            iterators.delete(shardId);
            checkpoint.shards[shardId] = { ...checkpoint.shards[shardId], finished: true };
            saveCheckpoint();
            shardsStale = true;
            finishedAShard = true;
            break;
          }
          iterators.set(shardId, page.NextShardIterator);
          if (records.length === 0) break;
        }
      }
      if (!finishedAShard) return summary;
    }
  }

  function getRecords(iterator: string) {
    return streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
  }

  // One cycle at a time: the timer loop and pollOnce() callers queue behind each other.
  let chain: Promise<unknown> = Promise.resolve();
  const serialized = (): Promise<PollSummary> => {
    const run = chain.then(cycle);
    chain = run.catch(() => {});
    return run;
  };

  let consecutiveErrors = 0;
  const schedule = (delay: number) => {
    if (stopping) return;
    pollTimer = clock.setTimeout(async () => {
      pollTimer = undefined;
      try {
        await serialized();
        consecutiveErrors = 0;
        stats.lastError = undefined;
        schedule(pollIntervalMs);
      } catch (error) {
        if (error instanceof PipeStopped) return;
        consecutiveErrors++;
        const message = (error as Error).message;
        // Log a new error once, not every 150 ms while DynamoDB Local is unreachable.
        if (message !== stats.lastError) log(`polling the stream failed (will retry): ${message}`);
        stats.lastError = message;
        schedule(Math.min(5000, pollIntervalMs * 2 ** Math.min(consecutiveErrors, 6)));
      }
    }, delay);
  };
  schedule(0);

  return {
    streamArn,
    pollOnce: serialized,
    failures: () => [...failures],
    stats: () => ({ ...stats }),
    async stop() {
      if (stopping) return;
      stopping = true;
      if (pollTimer !== undefined) clock.clearTimeout(pollTimer);
      for (const wake of [...sleepers]) wake();
      await chain;
      streams.destroy();
    },
  };
}

async function latestStreamArn(
  clientConfig: ReturnType<typeof localDynamoDbClientConfig>,
  tableName: string,
): Promise<string> {
  const client = new DynamoDBClient(clientConfig);
  try {
    const table = (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
    const arn = table?.StreamSpecification?.StreamEnabled ? table.LatestStreamArn : undefined;
    if (arn === undefined)
      throw new Error(`table ${tableName} has no stream enabled; the outbox pipe reads its stream`);
    return arn;
  } finally {
    client.destroy();
  }
}

function eventIdOf(record: StreamRecord): string | undefined {
  const sortKey = record.dynamodb?.NewImage?.sk?.S ?? record.dynamodb?.Keys?.sk?.S;
  return sortKey?.startsWith('OUTBOX#') ? sortKey.slice('OUTBOX#'.length) : undefined;
}

/** The PutEvents entry for an outbox item, or why the item cannot become one (a store bug, not retried). */
export function outboxEntry(record: StreamRecord, eventBusName: string): PutEventsRequestEntry | string {
  const image = record.dynamodb?.NewImage ?? {};
  const source = image.source?.S;
  const detailType = image.detailType?.S;
  const detail = image.detail?.S;
  const missing = [
    source ? undefined : 'source',
    detailType ? undefined : 'detailType',
    detail ? undefined : 'detail',
  ].filter(Boolean);
  if (missing.length > 0) return `outbox item lacks string attribute(s): ${missing.join(', ')}`;
  try {
    const parsed: unknown = JSON.parse(detail as string);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return 'outbox item detail is not a JSON object';
    }
  } catch {
    return 'outbox item detail is not valid JSON';
  }
  return { EventBusName: eventBusName, Source: source, DetailType: detailType, Detail: detail };
}
