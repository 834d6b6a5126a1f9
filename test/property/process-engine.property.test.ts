/**
 * Properties of the process engine over generated schedules (1,000 each):
 *  (a) any redelivery and reordering of the same facts ends in the state of the ordered run;
 *  (b) no sequence of inputs leaves a process in two stages or skips a stage;
 *  (c) the event ids decide emits are unique.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../events/catalog.ts';
import * as E from '../../events/catalog.ts';
import { DomainError } from '../../shared/domain/errors.ts';
import { handle, type Input, type ProcessState } from '../../shared/domain/process.ts';
import { smartaOrter } from '../../shared/methods/index.ts';
import {
  closeWorkshop,
  command,
  fact,
  guideGeneratedData,
  participant,
  proposePlan,
  registerInterview,
  resultsCompiledData,
  run,
  scheduleWorkshop,
  startCommand,
  summarise,
  testContext,
} from '../support/process.ts';

const RUNS = 1000;
const stageKeys = smartaOrter.stages.map((s) => s.key);

/** The ordered run of a whole place, and every fact it produced that the stage engine consumes from the bus. */
function wholeRun(interviews: number) {
  const start = run([startCommand({ minimumInterviews: interviews })]);
  const inputs: Input[] = [];
  for (let i = 0; i < interviews; i++) inputs.push(participant(i), registerInterview(i), summarise(i));
  inputs.push(scheduleWorkshop, closeWorkshop);
  const beforeResults = run(inputs, testContext(), start.state);
  const results = fact(E.ResultsCompiled, resultsCompiledData, beforeResults.state);
  const afterResults = run([results], testContext(), beforeResults.state);
  const plans = run(
    [
      proposePlan('plan-1'),
      proposePlan('plan-2'),
      command({ type: 'approvePlan', planId: 'plan-1' }),
      command({ type: 'confirmStage', stage: 'plans' }),
    ],
    testContext(),
    afterResults.state,
  );
  const guide = fact(E.GuideGenerated, guideGeneratedData, plans.state);
  const afterGuide = run([guide], testContext(), plans.state);
  const published = run(
    [command({ type: 'publishGuide', guideId: 'guide-1', path: '/guides/org-jh/hede' })],
    testContext(),
    afterGuide.state,
  );
  const produced = [
    ...beforeResults.events,
    (results as { event: PipelineEvent }).event,
    ...afterResults.events,
    ...plans.events,
    (guide as { event: PipelineEvent }).event,
    ...afterGuide.events,
    ...published.events,
  ];
  // The facts: what commands and other functions produced, not the engine's own stage transitions.
  const engineOwn = new Set([
    'Stage.Started',
    'Stage.Completed',
    'Process.Completed',
    'Task.Created',
    'Notification.Requested',
  ]);
  const facts = produced.filter((e) => !engineOwn.has(e.metadata.type));
  return { start: start.state, facts };
}

function feed(initial: ProcessState, facts: PipelineEvent[]) {
  // One engine context for the whole feed: ids and timestamps come from it, as in one function's life.
  const context = testContext(Date.UTC(2026, 8, 1));
  let state = initial;
  const emitted: PipelineEvent[] = [];
  for (const event of facts) {
    const result = handle(state, { kind: 'fact', event }, context);
    state = result.state;
    emitted.push(...result.events);
  }
  return { state, emitted };
}

describe('process engine properties', () => {
  it('(a) ends in the same state under any redelivery and reordering of the facts', () => {
    const scenarios = [8, 10].map(wholeRun);
    const ordered = scenarios.map(({ start, facts }) => feed(start, facts).state);
    for (const expected of ordered) expect(expected.status).toBe('completed');

    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: scenarios.length - 1 }),
        fc.array(fc.nat(), { minLength: 0, maxLength: 40 }),
        fc.infiniteStream(fc.nat()),
        (which, duplicates, order) => {
          const { start, facts } = scenarios[which] as ReturnType<typeof wholeRun>;
          const deliveries = [...facts, ...duplicates.map((i) => facts[i % facts.length] as PipelineEvent)];
          const shuffled = shuffle(deliveries, order);
          expect(feed(start, shuffled).state).toEqual(ordered[which]);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('(b) never leaves a process in two stages or skips a stage, whatever the inputs', () => {
    const start = run([startCommand({ minimumInterviews: 2 })]).state;
    const pool: (() => Input)[] = [
      ...[0, 1, 2].flatMap((i) => [() => participant(i), () => registerInterview(i), () => summarise(i)]),
      () => scheduleWorkshop,
      () => closeWorkshop,
      () => proposePlan('plan-1'),
      () => command({ type: 'approvePlan', planId: 'plan-1' }),
      () => command({ type: 'confirmStage', stage: 'plans' }),
      () => command({ type: 'publishGuide', guideId: 'guide-1', path: '/guides/org-jh/hede' }),
      ...stageKeys.map(
        (stage) => () => command({ type: 'completeStage', stage, reason: 'Beslut i styrgruppen' }),
      ),
      () => fact(E.ResultsCompiled, resultsCompiledData, start),
      () => fact(E.GuideGenerated, guideGeneratedData, start),
      () => fact(E.InterviewRecorded, { ...E.InterviewRecorded.example, interviewId: 'i-1' }, start),
    ];
    // The script walks the method in order; generated schedules mix its next step with any other input.
    const script: (() => Input)[] = [
      ...[0, 1].flatMap((i) => [() => participant(i), () => registerInterview(i), () => summarise(i)]),
      () => scheduleWorkshop,
      () => closeWorkshop,
      () => fact(E.ResultsCompiled, resultsCompiledData, start),
      () => proposePlan('plan-1'),
      () => command({ type: 'approvePlan', planId: 'plan-1' }),
      () => command({ type: 'confirmStage', stage: 'plans' }),
      () => fact(E.GuideGenerated, guideGeneratedData, start),
      () => command({ type: 'publishGuide', guideId: 'guide-1', path: '/guides/org-jh/hede' }),
    ];
    const step = fc.oneof(
      { weight: 2, arbitrary: fc.constant('next' as const) },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: pool.length - 1 }) },
    );
    const deepest: number[] = [];
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 60, size: 'max' }), (steps) => {
        const context = testContext();
        let state = start;
        let next = 0;
        const emitted: PipelineEvent[] = [];
        for (const pick of steps) {
          const input = pick === 'next' ? script[next++ % script.length] : pool[pick];
          try {
            const result = handle(state, (input as () => Input)(), context);
            state = result.state;
            emitted.push(...result.events);
          } catch (error) {
            if (!(error instanceof DomainError)) throw error; // only typed rejections are allowed
          }
          assertOneStageAtATime(state);
        }
        deepest.push(state.status === 'completed' ? stageKeys.length : state.stageIndex);
        const started = emitted
          .filter((e) => e.metadata.type === 'Stage.Started')
          .map((e) => (e.data as { index: number }).index);
        expect(started).toEqual(started.map((_, i) => i + 1)); // stage 0 started with the process
        const transitions = emitted
          .filter((e) => e.metadata.type === 'Stage.Completed' || e.metadata.type === 'Stage.Started')
          .map(
            (e) =>
              `${e.metadata.type === 'Stage.Started' ? 'start' : 'done'}:${(e.data as { index: number }).index}`,
          );
        transitions.forEach((step, i) => {
          if (step.startsWith('start:')) expect(transitions[i - 1]).toBe(`done:${Number(step.slice(6)) - 1}`);
        });
      }),
      { numRuns: RUNS },
    );
    // The generated schedules must really travel: some reach the plans stage, some finish the method.
    expect(deepest.filter((d) => d >= 3).length).toBeGreaterThan(10);
    expect(deepest.filter((d) => d === stageKeys.length).length).toBeGreaterThan(0);
  });

  it('(c) emits events with unique ids', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), (interviews) => {
        const ids = new Set<string>();
        let count = 0;
        let state: ProcessState | undefined;
        const inputs = [
          startCommand({ minimumInterviews: interviews }),
          ...Array.from({ length: interviews }, (_, i) => [
            participant(i),
            registerInterview(i),
            summarise(i),
          ]).flat(),
          scheduleWorkshop,
          closeWorkshop,
        ];
        for (const input of inputs) {
          const result = handle(state, input); // the real ULID source, not the test one
          state = result.state;
          for (const event of result.events) {
            ids.add(event.metadata.id);
            count++;
          }
        }
        expect(ids.size).toBe(count);
      }),
      { numRuns: RUNS },
    );
  });
});

function assertOneStageAtATime(state: ProcessState) {
  // The stages entered so far are exactly a prefix of the method, in order, and only the last is open.
  expect(state.stages.map((s) => s.stage)).toEqual(stageKeys.slice(0, state.stageIndex + 1));
  const open = state.stages.filter((s) => !s.completedAt);
  expect(open.length).toBe(state.status === 'completed' ? 0 : 1);
  if (state.status === 'active') expect(open[0]?.stage).toBe(stageKeys[state.stageIndex]);
}

function shuffle<T>(items: T[], random: fc.Stream<number>): T[] {
  const copy = [...items];
  const iterator = random[Symbol.iterator]();
  for (let i = copy.length - 1; i > 0; i--) {
    const j = (iterator.next().value as number) % (i + 1);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
