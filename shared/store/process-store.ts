/**
 * The process store: one place where a process changes. Every change is ONE TransactWriteItems:
 *  - the process state, conditional on the version it was read at (optimistic concurrency);
 *  - an inbox item for the event being handled (attribute_not_exists: a redelivery changes nothing);
 *  - a timeline item and an outbox item per emitted event (the outbox pipe publishes the latter).
 * There is no other way to write a process, so exactly-once effects are the easy path.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { catalog, type PipelineEvent } from '../../events/catalog.ts';
import { PIPELINE_SOURCE } from '../../functions/topology.ts';
import type { ProcessState } from '../domain/process.ts';
import {
  boardGsiPk,
  boardGsiSk,
  eventSk,
  INBOX_TTL_SECONDS,
  inboxSk,
  OUTBOX_TTL_SECONDS,
  orgEventsGsiPk,
  outboxSk,
  processPk,
  STATE_SK,
} from './keys.ts';
import { projectionRows } from './projections.ts';

/** DynamoDB's limit on one TransactWriteItems. */
export const MAX_TRANSACTION_ITEMS = 100;

export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
  constructor(processId: string, expected: number) {
    super(`process ${processId} changed since version ${expected}; read it again`);
  }
}

export class TransactionTooLargeError extends Error {
  override readonly name = 'TransactionTooLargeError';
  constructor(items: number) {
    super(`a process change of ${items} items exceeds DynamoDB's ${MAX_TRANSACTION_ITEMS}-item transaction`);
  }
}

export interface StoredProcess {
  state: ProcessState;
  version: number;
}

export interface Change {
  orgId: string;
  processId: string;
  /** The version read; undefined for a new process. */
  expectedVersion: number | undefined;
  state: ProcessState;
  /** What the change emits: kept in the timeline and published through the outbox. */
  emitted: readonly PipelineEvent[];
  /** The event being handled, when the change reacts to one: recorded in the inbox and the timeline. */
  handled?: PipelineEvent;
  /** Rows that change with the process in the same transaction (e.g. a participant's personal data). */
  rows?: RowChanges;
}

export interface RowChanges {
  /** Full items; each key must lie in this process's partition or the organisation's. */
  put?: Record<string, unknown>[];
  delete?: { pk: string; sk: string }[];
  /**
   * Attributes set on rows that exist (the transaction fails if one does not), each only where the
   * row has no value yet, e.g. a participant's `unsubscribedAt`. Unlike a full `put` it cannot undo a
   * concurrent change to the row's other attributes (an erasure).
   */
  setIfAbsent?: RowAttributes[];
}

export interface RowAttributes {
  key: { pk: string; sk: string };
  attributes: Record<string, unknown>;
}

/** Facts a function reports about a process without changing its state (the stage engine applies them). */
export interface Report {
  orgId: string;
  processId: string;
  emitted: readonly PipelineEvent[];
  handled?: PipelineEvent;
  rows?: RowChanges;
}

export type CommitResult = { outcome: 'committed'; version: number } | { outcome: 'duplicate' };

export class ProcessStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #now: () => number;

  constructor(client: DynamoDBDocumentClient, tableName: string, now: () => number = Date.now) {
    this.#client = client;
    this.#table = tableName;
    this.#now = now;
  }

  async load(orgId: string, processId: string): Promise<StoredProcess | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: processPk(orgId, processId), sk: STATE_SK },
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    return { state: Item.state as ProcessState, version: Item.version as number };
  }

  /** One event of the process timeline, if it was recorded. */
  async event(orgId: string, processId: string, eventId: string): Promise<PipelineEvent | undefined> {
    const { Item } = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: processPk(orgId, processId), sk: eventSk(eventId) },
        ConsistentRead: true,
      }),
    );
    return Item ? catalog.parse(JSON.parse(Item.detail as string)) : undefined;
  }

  /** The process timeline: every event it emitted or received, in id (time) order. */
  async timeline(orgId: string, processId: string): Promise<PipelineEvent[]> {
    const events: PipelineEvent[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': processPk(orgId, processId), ':prefix': 'EVENT#' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) events.push(catalog.parse(JSON.parse(item.detail as string)));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return events;
  }

  async commit(change: Change): Promise<CommitResult> {
    const pk = processPk(change.orgId, change.processId);
    const now = this.#now();
    const version = (change.expectedVersion ?? 0) + 1;
    const items: TransactItems = [
      {
        Put: {
          TableName: this.#table,
          Item: {
            pk,
            sk: STATE_SK,
            itemType: 'process',
            version,
            state: change.state,
            updatedAt: new Date(now).toISOString(),
            gsi1pk: boardGsiPk(change.orgId),
            gsi1sk: boardGsiSk(change.state.method, change.state.stageIndex, change.processId),
          },
          ...(change.expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'version = :expected',
                ExpressionAttributeValues: { ':expected': change.expectedVersion },
              }),
        },
      },
    ];
    return this.#write(items, change, change.expectedVersion ?? 0, version);
  }

  /** Records facts about a process (inbox, timeline, outbox) in one transaction, leaving its state alone. */
  async report(report: Report): Promise<CommitResult> {
    return this.#write([], report, 0, 0);
  }

  async #write(
    items: TransactItems,
    change: Report,
    expectedVersion: number,
    version: number,
  ): Promise<CommitResult> {
    const pk = processPk(change.orgId, change.processId);
    const seconds = Math.floor(this.#now() / 1000);
    const stateIndex = items.length > 0 ? 0 : -1;
    const inboxIndex = change.handled ? items.length : -1;
    if (change.handled) {
      items.push(
        {
          Put: {
            TableName: this.#table,
            Item: {
              pk,
              sk: inboxSk(change.handled.metadata.id),
              itemType: 'inbox',
              expiresAt: seconds + INBOX_TTL_SECONDS,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
        { Put: { TableName: this.#table, Item: timelineItem(pk, change.handled) } },
      );
    }
    for (const event of change.emitted) {
      items.push(
        { Put: { TableName: this.#table, Item: timelineItem(pk, event) } },
        {
          Put: {
            TableName: this.#table,
            Item: {
              pk,
              sk: outboxSk(event.metadata.id),
              itemType: 'outbox',
              source: PIPELINE_SOURCE,
              detailType: event.metadata.type,
              detail: JSON.stringify(event),
              expiresAt: seconds + OUTBOX_TTL_SECONDS,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      );
    }
    for (const row of change.rows?.put ?? []) items.push({ Put: { TableName: this.#table, Item: row } });
    for (const key of change.rows?.delete ?? []) items.push({ Delete: { TableName: this.#table, Key: key } });
    for (const row of change.rows?.setIfAbsent ?? []) items.push({ Update: setIfAbsent(this.#table, row) });
    if (items.length > MAX_TRANSACTION_ITEMS) throw new TransactionTooLargeError(items.length);
    if (items.length === 0) return { outcome: 'committed', version };

    try {
      await this.#client.send(new TransactWriteCommand({ TransactItems: items }));
      return { outcome: 'committed', version };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      if (inboxIndex >= 0 && reasons[inboxIndex]?.Code === 'ConditionalCheckFailed')
        return { outcome: 'duplicate' };
      if (stateIndex === 0 && reasons[0]?.Code === 'ConditionalCheckFailed') {
        throw new VersionConflictError(change.processId, expectedVersion);
      }
      throw error;
    }
  }
}

type TransactItems = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>;

function setIfAbsent(table: string, row: RowAttributes) {
  const names = Object.keys(row.attributes);
  return {
    TableName: table,
    Key: row.key,
    UpdateExpression: `SET ${names.map((_, i) => `#a${i} = if_not_exists(#a${i}, :a${i})`).join(', ')}`,
    ConditionExpression: 'attribute_exists(pk)',
    ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#a${i}`, name])),
    ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:a${i}`, row.attributes[name]])),
  };
}

function timelineItem(pk: string, event: PipelineEvent) {
  return {
    pk,
    sk: eventSk(event.metadata.id),
    gsi1pk: orgEventsGsiPk(event.metadata.orgId),
    gsi1sk: event.metadata.id,
    itemType: 'event',
    type: event.metadata.type,
    occurredAt: event.metadata.occurredAt,
    detail: JSON.stringify(event),
  };
}

/**
 * Reads the process, applies a change and commits it, reading again when another writer got there
 * first. `apply` must be pure (it may run more than once).
 */
export async function changeProcess(
  store: ProcessStore,
  ids: { orgId: string; processId: string },
  apply: (current: StoredProcess | undefined) => {
    state: ProcessState;
    emitted: PipelineEvent[];
    rows?: RowChanges;
  },
  options: { handled?: PipelineEvent; attempts?: number; backoff?: (attempt: number) => Promise<void> } = {},
): Promise<CommitResult & { emitted: PipelineEvent[] }> {
  const attempts = options.attempts ?? CHANGE_ATTEMPTS;
  const backoff = options.backoff ?? jitteredBackoff;
  for (let attempt = 1; ; attempt++) {
    const current = await store.load(ids.orgId, ids.processId);
    const { state, emitted, rows } = apply(current);
    const projected = projectionRows(state, emitted);
    try {
      const result = await store.commit({
        ...ids,
        expectedVersion: current?.version,
        state,
        emitted,
        ...(options.handled ? { handled: options.handled } : {}),
        rows: {
          put: [...(rows?.put ?? []), ...(projected.put ?? [])],
          delete: rows?.delete ?? [],
          ...(rows?.setIfAbsent ? { setIfAbsent: rows.setIfAbsent } : {}),
        },
      });
      return { ...result, emitted: result.outcome === 'committed' ? emitted : [] };
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= attempts) throw error;
      // Writers of one busy process (the API and the stage engine under redelivery) would otherwise
      // collide again at once: wait a random, growing while before reading again.
      await backoff(attempt);
    }
  }
}

/** How often a change is read and tried again when another writer got there first. */
export const CHANGE_ATTEMPTS = 8;

/** Full jitter: a random wait up to 20 ms doubled per attempt, at most 640 ms. */
export function jitteredBackoff(attempt: number): Promise<void> {
  const ceiling = Math.min(640, 20 * 2 ** (attempt - 1));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}
