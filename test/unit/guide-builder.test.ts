/** The guide builder with mocked S3 and DynamoDB: the files it writes, the one fact it reports, its errors. */
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
import * as E from '../../events/catalog.ts';
import { isEvent, type PipelineEvent } from '../../events/catalog.ts';
import { guideIdOf, guideKeys, handler } from '../../functions/guide-builder.ts';
import { PIPELINE_SOURCE } from '../../functions/topology.ts';
import { NotFoundError } from '../../shared/domain/errors.ts';
import {
  closeWorkshop,
  command,
  fact,
  participant,
  proposePlan,
  registerInterview,
  run,
  scheduleWorkshop,
  startCommand,
  summarise,
  testContext,
} from '../support/process.ts';

// Loggers are created when the handler module loads: quiet them before the imports run.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

const docs = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
const context = {
  functionName: 'guideBuilder',
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

/** A place through plans: the engine has just started the guides stage. */
function enteringGuides(locale: 'sv' | 'fi' | 'en' = 'fi') {
  const ctx = testContext();
  const start = startCommand({ minimumInterviews: 1 });
  if (start.kind === 'command' && start.command.type === 'startProcess') start.command.locale = locale;
  const first = run(
    [start, participant(0), registerInterview(0), summarise(0), scheduleWorkshop, closeWorkshop],
    ctx,
  );
  const compiled = fact(E.ResultsCompiled, E.ResultsCompiled.example, first.state, ctx);
  const second = run(
    [
      compiled,
      proposePlan(),
      command({ type: 'approvePlan', planId: 'plan-1' }),
      command({
        type: 'recordReflection',
        reflectionId: 'r-1',
        answers: E.ReflectionRecorded.example.answers,
      }),
      command({ type: 'confirmStage', stage: 'plans' }),
    ],
    ctx,
    first.state,
  );
  const events = [...first.events, ...(compiled.kind === 'fact' ? [compiled.event] : []), ...second.events];
  const started = events.find(
    (e) => isEvent(e, 'Stage.Started') && e.data.stage === 'guides',
  ) as PipelineEvent;
  return { state: second.state, events, started };
}

const busEvent = (event: PipelineEvent) => ({
  version: '0',
  id: '6f1e0a55-5d54-4cb3-9c39-5c1a1b0f0a02',
  'detail-type': event.metadata.type,
  source: PIPELINE_SOURCE,
  account: '000000000000',
  time: event.metadata.occurredAt,
  region: 'eu-north-1',
  resources: [],
  detail: event,
});

function given(state: unknown, timeline: PipelineEvent[]) {
  docs.on(GetCommand).resolves({ Item: { state, version: 30 } });
  docs.on(QueryCommand).resolves({ Items: timeline.map((e) => ({ detail: JSON.stringify(e) })) });
  docs.on(TransactWriteCommand).resolves({});
  s3.on(PutObjectCommand).resolves({});
}

describe('guide builder', () => {
  it('writes guide.md and guide.html in the process language, then reports Guide.Generated with the inbox', async () => {
    const { state, events, started } = enteringGuides('fi');
    given(state, events);
    await handler(busEvent(started), context);

    const keys = guideKeys('org-jh', 'hede', 'proc-hede');
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.Key, p.ContentType])).toEqual([
      [keys.markdown, 'text/markdown; charset=utf-8'],
      [keys.html, 'text/html; charset=utf-8'],
    ]);
    expect(String(puts[0]?.Body)).toMatch(/^# Näin teimme: Hede/);
    expect(String(puts[0]?.Body)).toContain(E.ReflectionRecorded.example.answers.whatDidWeLearn);
    expect(String(puts[1]?.Body)).toContain('<html lang="fi">');

    const items = docs.commandCalls(TransactWriteCommand).flatMap((c) => c.args[0].input.TransactItems ?? []);
    expect(items[0]?.Put?.Item?.sk).toBe(`INBOX#${started.metadata.id}`);
    const outbox = items.filter((i) => i.Put?.Item?.itemType === 'outbox');
    expect(outbox).toHaveLength(1);
    const generated = JSON.parse(outbox[0]?.Put?.Item?.detail as string);
    expect(generated.metadata).toMatchObject({
      type: 'Guide.Generated',
      causationId: started.metadata.id,
      actor: { kind: 'system', id: 'guideBuilder' },
    });
    expect(generated.data).toEqual({ guideId: 'guide-hede', locale: 'fi', keys });
  });

  it('succeeds without a second fact when the event is redelivered', async () => {
    const { state, events, started } = enteringGuides();
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
  });

  it('rethrows S3 failures and fails clearly for an unknown process', async () => {
    const { state, events, started } = enteringGuides();
    given(state, events);
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('Slow Down'), { name: 'SlowDown' }));
    await expect(handler(busEvent(started), context)).rejects.toThrow('Slow Down');
    expect(docs.commandCalls(TransactWriteCommand)).toHaveLength(0);

    docs.on(GetCommand).resolves({});
    await expect(handler(busEvent(started), context)).rejects.toThrow(NotFoundError);
  });

  it('names one guide per place, within the id limit', () => {
    expect(guideIdOf('hede')).toBe('guide-hede');
    expect(guideIdOf('x'.repeat(64))).toHaveLength(64);
  });
});
