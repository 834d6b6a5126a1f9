/** The results compiler with mocked S3 and DynamoDB: the files it writes, the one fact it reports, its errors. */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { isEvent, type PipelineEvent } from '../../events/catalog.ts';
import { EventValidationError } from '../../events/envelope.ts';
import { handler, reportKeys } from '../../functions/results-compiler.ts';
import { PIPELINE_SOURCE } from '../../functions/topology.ts';
import { NotFoundError } from '../../shared/domain/errors.ts';
import {
  closeWorkshop,
  command,
  participant,
  registerInterview,
  run,
  scheduleWorkshop,
  startCommand,
} from '../support/process.ts';

// Loggers are created when the handler module loads: quiet them before the imports run.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

const docs = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
const context = {
  functionName: 'resultsCompiler',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 60_000,
} as Context;

beforeAll(() => {
  Object.assign(process.env, { TABLE_NAME: 'samskapa-test', BUCKET_NAME: 'samskapa-files' });
});
beforeEach(() => {
  docs.reset();
  s3.reset();
});

/** A place through interviews and workshop: the engine has just started the results stage. */
function enteringResults() {
  const { state, events } = run([
    startCommand({ minimumInterviews: 2 }),
    participant(0),
    participant(1),
    registerInterview(0),
    registerInterview(1),
    ...[0, 1].map((i) =>
      command({
        type: 'summariseInterview',
        interviewId: `i-${i}`,
        needs: [`Behov ${i}`],
        wishes: ['Badplats'],
        challenges: ['Kollektivtrafik'],
        quotes: [`Citat från intervju ${i}.`],
        themes: ['mötesplatser'],
      }),
    ),
    scheduleWorkshop,
    closeWorkshop,
  ]);
  const started = events.find(
    (e) => isEvent(e, 'Stage.Started') && e.data.stage === 'results',
  ) as PipelineEvent;
  return { state, events, started };
}

const busEvent = (event: PipelineEvent) => ({
  version: '0',
  id: '6f1e0a55-5d54-4cb3-9c39-5c1a1b0f0a01',
  'detail-type': event.metadata.type,
  source: PIPELINE_SOURCE,
  account: '000000000000',
  time: event.metadata.occurredAt,
  region: 'eu-north-1',
  resources: [],
  detail: event,
});

function given(state: unknown, timeline: PipelineEvent[]) {
  docs.on(GetCommand).resolves({ Item: { state, version: 12 } });
  docs.on(QueryCommand).resolves({ Items: timeline.map((e) => ({ detail: JSON.stringify(e) })) });
  docs.on(TransactWriteCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
}

const transactionItems = () =>
  docs.commandCalls(TransactWriteCommand).flatMap((c) => c.args[0].input.TransactItems ?? []);

describe('results compiler', () => {
  it('writes report.md, report.html and results.json, then reports Results.Compiled once, with the inbox', async () => {
    const { state, events, started } = enteringResults();
    given(state, events);
    await handler(busEvent(started), context);

    const keys = reportKeys('org-jh', 'hede', 'proc-hede');
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.Bucket, p.Key, p.ContentType])).toEqual([
      ['samskapa-files', keys.markdown, 'text/markdown; charset=utf-8'],
      ['samskapa-files', keys.html, 'text/html; charset=utf-8'],
      ['samskapa-files', keys.json, 'application/json; charset=utf-8'],
    ]);
    expect(String(puts[0]?.Body)).toMatch(/^# Resultat för Hede/);
    expect(JSON.parse(String(puts[2]?.Body))).toMatchObject({ interviews: 2, ideas: 1 });

    expect(docs.commandCalls(TransactWriteCommand)).toHaveLength(1);
    const items = transactionItems();
    expect(items[0]?.Put).toMatchObject({
      Item: { sk: `INBOX#${started.metadata.id}`, itemType: 'inbox' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
    const outbox = items.filter((i) => i.Put?.Item?.itemType === 'outbox');
    expect(outbox).toHaveLength(1);
    const compiled = JSON.parse(outbox[0]?.Put?.Item?.detail as string);
    expect(compiled.metadata).toMatchObject({
      type: 'Results.Compiled',
      orgId: 'org-jh',
      placeId: 'hede',
      processId: 'proc-hede',
      correlationId: started.metadata.correlationId,
      causationId: started.metadata.id,
      actor: { kind: 'system', id: 'resultsCompiler' },
      depth: started.metadata.depth + 1,
    });
    expect(compiled.data).toMatchObject({
      interviews: 2,
      ideas: 1,
      reportKeys: keys,
      participation: { bySector: { association: 10, business: 6 } },
    });
    expect(compiled.data.themes[0]).toMatchObject({ theme: 'friluftsliv', rank: 1 });
  });

  it('writes the report-link row in the same transaction: the report keys and a random nonce', async () => {
    const { state, events, started } = enteringResults();
    given(state, events);
    await handler(busEvent(started), context);
    const [link, ...more] = transactionItems().filter((i) => i.Put?.Item?.sk === 'REPORTLINK');
    expect(more).toHaveLength(0);
    expect(link?.Put?.Item).toEqual({
      pk: 'ORG#org-jh#PROC#proc-hede',
      sk: 'REPORTLINK',
      itemType: 'reportLink',
      nonce: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      keys: reportKeys('org-jh', 'hede', 'proc-hede'),
    });
    // Not derivable from anything public (the event ids are in every timeline): another run draws another.
    docs.resetHistory();
    await handler(busEvent(started), context);
    const again = transactionItems().find((i) => i.Put?.Item?.sk === 'REPORTLINK');
    expect(again?.Put?.Item?.nonce).not.toBe(link?.Put?.Item?.nonce);
  });

  it('keeps the first nonce on a redelivery: the inbox cancels the whole transaction, row included', async () => {
    const { state, events, started } = enteringResults();
    given(state, events);
    const rows = new Map<string, Record<string, unknown>>();
    docs.on(TransactWriteCommand).callsFake((input) => {
      const items = input.TransactItems ?? [];
      const reasons = items.map(
        (i: { Put?: { Item: Record<string, unknown>; ConditionExpression?: string } }) =>
          i.Put?.ConditionExpression === 'attribute_not_exists(pk)' &&
          rows.has(`${i.Put.Item.pk}|${i.Put.Item.sk}`)
            ? { Code: 'ConditionalCheckFailed' }
            : { Code: 'None' },
      );
      if (reasons.some((r: { Code: string }) => r.Code !== 'None'))
        throw new TransactionCanceledException({
          message: 'cancelled',
          $metadata: {},
          CancellationReasons: reasons,
        });
      for (const i of items) if (i.Put) rows.set(`${i.Put.Item.pk}|${i.Put.Item.sk}`, i.Put.Item);
      return {};
    });
    await handler(busEvent(started), context);
    const first = rows.get('ORG#org-jh#PROC#proc-hede|REPORTLINK')?.nonce;
    expect(first).toEqual(expect.any(String));
    await expect(handler(busEvent(started), context)).resolves.toBeUndefined();
    expect(docs.commandCalls(TransactWriteCommand)).toHaveLength(2);
    expect(rows.get('ORG#org-jh#PROC#proc-hede|REPORTLINK')?.nonce).toBe(first);
  });

  it('does nothing twice on a redelivery: the inbox refuses the transaction and the handler succeeds', async () => {
    const { state, events, started } = enteringResults();
    given(state, events);
    docs.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [
          { Code: 'ConditionalCheckFailed' },
          { Code: 'None' },
          { Code: 'None' },
          { Code: 'None' },
        ],
      }),
    );
    await expect(handler(busEvent(started), context)).resolves.toBeUndefined();
    // The files were rewritten with the same content; nothing else was attempted.
    expect(docs.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  it('leaves the quotes of an erased participant out of the report', async () => {
    const { state: before, events, started } = enteringResults();
    const erased = run(
      [command({ type: 'eraseParticipant', participantId: 'p-0', recordingsDeleted: 1 })],
      undefined,
      before,
    );
    given(erased.state, [...events, ...erased.events]);
    await handler(busEvent(started), context);
    const markdown = String(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Body);
    expect(markdown).not.toContain('Citat från intervju 0.');
    expect(markdown).toContain('Citat från intervju 1.');
    expect(markdown).toContain('- Behov 0'); // the needs still count
  });

  it('rethrows when S3 fails, before reporting anything', async () => {
    const { state, events, started } = enteringResults();
    given(state, events);
    s3.on(PutObjectCommand).rejects(
      Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' }),
    );
    await expect(handler(busEvent(started), context)).rejects.toThrow('Service Unavailable');
    expect(docs.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('rethrows when the store fails, so Lambda retries', async () => {
    const { state, events, started } = enteringResults();
    given(state, events);
    docs
      .on(TransactWriteCommand)
      .rejects(
        Object.assign(new Error('Throughput exceeded'), { name: 'ProvisionedThroughputExceededException' }),
      );
    await expect(handler(busEvent(started), context)).rejects.toThrow('Throughput exceeded');
  });

  it('fails clearly for a process that does not exist', async () => {
    const { events, started } = enteringResults();
    given(undefined, events);
    docs.on(GetCommand).resolves({});
    await expect(handler(busEvent(started), context)).rejects.toThrow(NotFoundError);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('compiles nothing for another stage, and refuses an envelope that does not fit the catalog', async () => {
    const { state, events } = enteringResults();
    given(state, events);
    const workshop = events.find(
      (e) => isEvent(e, 'Stage.Started') && e.data.stage === 'workshop',
    ) as PipelineEvent;
    await handler(busEvent(workshop), context);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    const broken = { ...workshop, data: { stage: 'results' } };
    await expect(handler(busEvent(broken as PipelineEvent), context)).rejects.toThrow(EventValidationError);
  });
});
