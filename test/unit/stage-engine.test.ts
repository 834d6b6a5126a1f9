/** The stage engine with a mocked DynamoDB: the one transaction it writes, redeliveries, its errors. */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PipelineEvent } from '../../events/catalog.ts';
import * as E from '../../events/catalog.ts';
import { EventValidationError, UnknownEventError } from '../../events/envelope.ts';
import { handler } from '../../functions/stage-engine.ts';
import { PIPELINE_SOURCE } from '../../functions/topology.ts';
import { NotFoundError } from '../../shared/domain/errors.ts';
import {
  closeWorkshop,
  fact,
  participant,
  registerInterview,
  run,
  scheduleWorkshop,
  startCommand,
  summarise,
} from '../support/process.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

const docs = mockClient(DynamoDBDocumentClient);
const context = {
  functionName: 'stageEngine',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
} as Context;

// A process in the results stage, as the API left it.
const atResults = run([
  startCommand({ minimumInterviews: 2 }),
  ...[0, 1].flatMap((i) => [participant(i), registerInterview(i), summarise(i)]),
  scheduleWorkshop,
  closeWorkshop,
]).state;
const compiled = (fact(E.ResultsCompiled, E.ResultsCompiled.example, atResults) as { event: PipelineEvent })
  .event;
const delivered = (event: PipelineEvent) => ({
  version: '0',
  id: 'delivery-1',
  'detail-type': event.metadata.type,
  source: PIPELINE_SOURCE,
  account: '000000000000',
  time: event.metadata.occurredAt,
  region: 'eu-north-1',
  resources: [],
  detail: event,
});

beforeAll(() => {
  process.env.TABLE_NAME = 'samskapa-test';
});
beforeEach(() => {
  docs.reset();
  docs.on(GetCommand).resolves({ Item: { state: atResults, version: 7 } });
});

describe('stage engine', () => {
  it('applies a fact and advances in one transaction: state on its version, inbox, timeline and outbox', async () => {
    docs.on(TransactWriteCommand).resolves({});
    await handler(delivered(compiled), context);
    const items = docs.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items[0]?.Put).toMatchObject({
      Item: { sk: 'STATE', version: 8, state: { stageIndex: 3 } },
      ConditionExpression: 'version = :expected',
      ExpressionAttributeValues: { ':expected': 7 },
    });
    expect(items[1]?.Put).toMatchObject({
      Item: { sk: `INBOX#${compiled.metadata.id}` },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    const published = items
      .filter((i) => i.Put?.Item?.itemType === 'outbox')
      .map((i) => i.Put?.Item?.detailType);
    expect(published).toEqual(expect.arrayContaining(['Stage.Completed', 'Stage.Started', 'Task.Created']));
    for (const item of items.filter((i) => i.Put?.Item?.itemType === 'outbox')) {
      expect(JSON.parse(item.Put?.Item?.detail as string).metadata).toMatchObject({
        causationId: compiled.metadata.id,
        depth: compiled.metadata.depth + 1,
      });
    }
  });

  it('changes nothing for a redelivered fact', async () => {
    docs.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
      }),
    );
    await expect(handler(delivered(compiled), context)).resolves.toBeUndefined();
    expect(docs.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('rethrows what it cannot handle, so Lambda retries and the failure queue see it', async () => {
    docs.on(GetCommand).resolves({});
    await expect(handler(delivered(compiled), context)).rejects.toThrow(NotFoundError);
    const started = (fact(E.ProcessStarted, E.ProcessStarted.example, atResults) as { event: PipelineEvent })
      .event;
    await expect(handler(delivered(started), context)).rejects.toThrow(UnknownEventError);
    const broken = { ...compiled, data: { ...compiled.data, interviews: -1 } };
    await expect(handler(delivered(broken as PipelineEvent), context)).rejects.toThrow(EventValidationError);
    expect(docs.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});
