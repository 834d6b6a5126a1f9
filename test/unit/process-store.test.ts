/** The transaction shape of a process change, with a mocked client; the real one runs in integration. */
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import * as E from '../../events/catalog.ts';
import {
  changeProcess,
  ProcessStore,
  TransactionTooLargeError,
  VersionConflictError,
} from '../../shared/store/process-store.ts';
import { fact, run, startCommand } from '../support/process.ts';

const documents = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-north-1' }));
const dynamo = mockClient(documents);
const store = new ProcessStore(documents, 'samskapa-test', () => Date.UTC(2026, 2, 2));
const started = run([startCommand()]);
const ids = { orgId: 'org-jh', processId: 'proc-hede' };

const cancelled = (codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

beforeEach(() => dynamo.reset());

describe('ProcessStore.commit', () => {
  it('writes state, timeline and outbox in one transaction, the state only if new', async () => {
    dynamo.on(TransactWriteCommand).resolves({});
    const result = await store.commit({
      ...ids,
      expectedVersion: undefined,
      state: started.state,
      emitted: started.events,
    });
    expect(result).toEqual({ outcome: 'committed', version: 1 });
    const [call] = dynamo.commandCalls(TransactWriteCommand);
    const items = call?.args[0].input.TransactItems ?? [];
    expect(items).toHaveLength(1 + 2 * started.events.length);
    expect(items[0]?.Put).toMatchObject({
      Item: { pk: 'ORG#org-jh#PROC#proc-hede', sk: 'STATE', version: 1, gsi1sk: 'smarta-orter#00#proc-hede' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    const outbox = items.filter((i) => String(i.Put?.Item?.sk).startsWith('OUTBOX#'));
    expect(outbox.map((i) => i.Put?.Item?.detailType)).toEqual(started.events.map((e) => e.metadata.type));
    expect(outbox[0]?.Put?.Item).toMatchObject({ itemType: 'outbox', source: 'samskapa.pipeline' });
    expect(outbox[0]?.Put?.Item?.expiresAt).toBe(Date.UTC(2026, 2, 2) / 1000 + 7 * 86_400);
  });

  it('records the handled event in the inbox, conditionally, and reports a redelivery as a duplicate', async () => {
    const recorded = fact(E.InterviewRecorded, E.InterviewRecorded.example, started.state);
    const handled = recorded.kind === 'fact' ? recorded.event : undefined;
    dynamo.on(TransactWriteCommand).rejects(cancelled(['None', 'ConditionalCheckFailed', 'None']));
    const result = await store.commit({
      ...ids,
      expectedVersion: 3,
      state: started.state,
      emitted: [],
      ...(handled ? { handled } : {}),
    });
    expect(result).toEqual({ outcome: 'duplicate' });
    const items = dynamo.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items[0]?.Put?.ConditionExpression).toBe('version = :expected');
    expect(items[1]?.Put).toMatchObject({
      Item: { sk: `INBOX#${handled?.metadata.id}` },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('names a lost race as a version conflict', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed']));
    await expect(
      store.commit({ ...ids, expectedVersion: 3, state: started.state, emitted: [] }),
    ).rejects.toThrow(VersionConflictError);
  });

  it('refuses a change larger than one DynamoDB transaction', async () => {
    const many = Array.from({ length: 50 }, () => started.events).flat();
    await expect(
      store.commit({ ...ids, expectedVersion: 1, state: started.state, emitted: many }),
    ).rejects.toThrow(TransactionTooLargeError);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

describe('changeProcess', () => {
  it('reads again and retries when another writer got there first', async () => {
    dynamo.on(GetCommand).resolves({ Item: { state: started.state, version: 1 } });
    dynamo
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled(['ConditionalCheckFailed']))
      .resolves({});
    let applied = 0;
    const result = await changeProcess(store, ids, (current) => {
      applied++;
      return { state: current?.state ?? started.state, emitted: [] };
    });
    expect(result.outcome).toBe('committed');
    expect(applied).toBe(2);
  });

  it('waits a growing while between attempts and names the conflict when they run out', async () => {
    dynamo.on(GetCommand).resolves({ Item: { state: started.state, version: 1 } });
    dynamo.on(TransactWriteCommand).rejects(cancelled(['ConditionalCheckFailed']));
    const waits: number[] = [];
    await expect(
      changeProcess(store, ids, (current) => ({ state: current?.state ?? started.state, emitted: [] }), {
        attempts: 4,
        backoff: async (attempt) => {
          waits.push(attempt);
        },
      }),
    ).rejects.toThrow(VersionConflictError);
    expect(waits).toEqual([1, 2, 3]);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(4);
  });
});
