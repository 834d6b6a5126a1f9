/**
 * The guide builder against the local runtime with the real SDK: a place taken through plans by the
 * engine and the store; entering the guides stage writes guide.md and guide.html in the process
 * language and reports Guide.Generated once, however often the stage start is delivered.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import * as E from '../../events/catalog.ts';
import { isEvent, type PipelineEvent } from '../../events/catalog.ts';
import type { Input } from '../../shared/domain/process.ts';
import { functionOnLocalServices } from '../support/function-on-local-services.ts';
import {
  closeWorkshop,
  command,
  participant,
  proposePlan,
  registerInterview,
  scheduleWorkshop,
  startCommand,
  summarise,
} from '../support/process.ts';

const ids = { orgId: 'org-jh', processId: 'proc-hede' };
const {
  cloud,
  context,
  runtime,
  busEvent,
  apply: applyTo,
} = functionOnLocalServices({
  functionName: 'guideBuilder',
  load: () => import('../../functions/guide-builder.ts'),
  remainingMs: 60000,
});
const apply = (inputs: Input[]) => applyTo(ids, inputs);

describe('guide builder on the local runtime', () => {
  it('writes the guide in the process language to S3 and reports Guide.Generated once', async () => {
    const start = startCommand({ minimumInterviews: 1 });
    if (start.kind === 'command' && start.command.type === 'startProcess') start.command.locale = 'en';
    const first = await apply([
      start,
      participant(0),
      registerInterview(0),
      summarise(0),
      scheduleWorkshop,
      closeWorkshop,
    ]);
    const resultsStarted = first.find((e) => isEvent(e, 'Stage.Started') && e.data.stage === 'results');
    if (!resultsStarted) throw new Error('the process did not reach the results stage');
    const compiled = E.ResultsCompiled.create({
      metadata: {
        ...resultsStarted.metadata,
        causationId: resultsStarted.metadata.id,
        actor: { kind: 'system', id: 'resultsCompiler' },
      },
      data: E.ResultsCompiled.example,
    }) as PipelineEvent;
    const second = await apply([
      { kind: 'fact', event: compiled },
      proposePlan(),
      command({ type: 'approvePlan', planId: 'plan-1' }),
      command({
        type: 'recordReflection',
        reflectionId: 'r-1',
        answers: E.ReflectionRecorded.example.answers,
      }),
      command({ type: 'confirmStage', stage: 'plans' }),
    ]);
    const started = second.find((e) => isEvent(e, 'Stage.Started') && e.data.stage === 'guides');
    if (!started) throw new Error('the process did not reach the guides stage');

    const { handler, guideKeys, s3Client, processes } = await runtime();
    await handler(busEvent(started), context);
    await handler(busEvent(started), context);

    const keys = guideKeys('org-jh', 'hede', 'proc-hede');
    const read = async (key: string) => {
      const object = await s3Client().send(
        new GetObjectCommand({ Bucket: cloud().endpoints.bucket, Key: key }),
      );
      return (await object.Body?.transformToString('utf-8')) ?? '';
    };
    const markdown = await read(keys.markdown);
    expect(markdown).toMatch(/^# How we did it in Hede/);
    expect(markdown).toContain('## What we learned');
    expect(markdown).toContain(E.ReflectionRecorded.example.answers.whatIsWiseNow);
    expect(markdown).toContain('Owner: Hede byalag (Association)');
    expect(await read(keys.html)).toContain('<html lang="en">');

    const timeline = await processes().timeline(ids.orgId, ids.processId);
    const generated = timeline.filter((e) => isEvent(e, 'Guide.Generated'));
    expect(generated).toHaveLength(1);
    expect(generated[0]?.data).toEqual({ guideId: 'guide-hede', locale: 'en', keys });
  });
});
