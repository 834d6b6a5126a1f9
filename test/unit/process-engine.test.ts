import { describe, expect, it } from 'vitest';
import * as E from '../../events/catalog.ts';
import {
  AlreadyDoneError,
  ConsentRequiredError,
  InvalidParameterError,
  ManualCompletionNotAllowedError,
  NotFoundError,
  NotReadyError,
  ProcessCompletedError,
  UnknownMethodError,
  WrongStageError,
} from '../../shared/domain/errors.ts';
import { decide, handle, MAX_CAUSATION_DEPTH, openTasks, replay } from '../../shared/domain/process.ts';
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
  types,
} from '../support/process.ts';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const interviewsDone = (n = 8) =>
  range(n).flatMap((i) => [participant(i), registerInterview(i), summarise(i)]);

describe('starting a process', () => {
  it('starts in the first stage with its entry tasks and notifications', () => {
    const { state, events } = run([startCommand()]);
    expect(types(events)).toEqual([
      'Process.Started',
      'Stage.Started',
      'Task.Created',
      'Notification.Requested',
      'Task.Created',
      'Notification.Requested',
      'Notification.Requested',
    ]);
    expect(state.stageIndex).toBe(0);
    expect(state.parameters).toEqual({ minimumInterviews: 8, minimumApprovedPlans: 1 });
    expect(openTasks(state).map((t) => t.key)).toEqual(['plan-interviews', 'summarise-interviews']);
  });

  it('gives every entry task a due date from the stage start', () => {
    const { events } = run([startCommand()]);
    const task = events.find((e) => e.metadata.type === 'Task.Created');
    expect(task?.data).toMatchObject({ key: 'plan-interviews', assignee: 'u-facilitator-1' });
    const started = Date.parse(events[1]?.metadata.occurredAt ?? '');
    const { dueAt } = (task?.data ?? {}) as { dueAt: string };
    expect(Date.parse(dueAt) - started).toBe(7 * 86_400_000);
  });

  it('applies overrides within the method bounds and rejects the rest', () => {
    expect(run([startCommand({ minimumInterviews: 3 })]).state.parameters.minimumInterviews).toBe(3);
    expect(() => run([startCommand({ minimumInterviews: 0 })])).toThrow(InvalidParameterError);
    expect(() => run([startCommand({ maximumFun: 3 })])).toThrow(InvalidParameterError);
  });

  it('rejects an unknown method and a second start', () => {
    const unknown = startCommand();
    if (unknown.kind === 'command' && unknown.command.type === 'startProcess')
      unknown.command.method = 'nope';
    expect(() => run([unknown])).toThrow(UnknownMethodError);
    expect(() => run([startCommand(), startCommand()])).toThrow(AlreadyDoneError);
  });

  it('stamps every event with the process, correlation and causation', () => {
    const { events } = run([startCommand()]);
    for (const event of events) {
      expect(event.metadata).toMatchObject({
        orgId: 'org-jh',
        placeId: 'hede',
        processId: 'proc-hede',
        depth: 0,
      });
      expect(event.metadata.correlationId).toBe(events[0]?.metadata.correlationId);
      expect(event.metadata.causationId).toMatch(/^req-/);
    }
  });
});

describe('interviews', () => {
  it('needs recording consent to register an interview', () => {
    const noConsent = participant(1);
    if (noConsent.kind === 'command' && noConsent.command.type === 'registerParticipant') {
      noConsent.command.consent = { recording: false, contact: true };
    }
    expect(() => run([startCommand(), noConsent, registerInterview(1)])).toThrow(ConsentRequiredError);
  });

  it('needs a registered participant and interview', () => {
    expect(() => run([startCommand(), registerInterview(1)])).toThrow(NotFoundError);
    expect(() => run([startCommand(), participant(1), summarise(1)])).toThrow(NotFoundError);
  });

  it('takes each interview summary once', () => {
    expect(() =>
      run([startCommand(), participant(1), registerInterview(1), summarise(1), summarise(1)]),
    ).toThrow(AlreadyDoneError);
  });

  it('completes the stage at the minimum number of summaries, not before', () => {
    const seven = run([startCommand(), ...interviewsDone(7)]);
    expect(seven.state.stageIndex).toBe(0);
    const eight = run([startCommand(), ...interviewsDone(8)]);
    expect(eight.state.stageIndex).toBe(1);
    expect(types(eight.events)).toContain('Stage.Completed');
    expect(eight.state.stages.map((s) => s.stage)).toEqual(['interviews', 'workshop']);
  });

  it('honours a per-process minimum', () => {
    expect(run([startCommand({ minimumInterviews: 2 }), ...interviewsDone(2)]).state.stageIndex).toBe(1);
  });

  it('takes the sector and age group from the participant, never a name', () => {
    const { events } = run([startCommand(), ...interviewsDone(1)]);
    const summary = events.find((e) => e.metadata.type === 'Interview.Summarised');
    expect(summary?.data).toMatchObject({ sector: 'association', ageGroup: 'age18to29' });
  });
});

describe('stage rules', () => {
  it('rejects closing a workshop before the workshop stage', () => {
    expect(() => run([startCommand(), scheduleWorkshop])).toThrow(WrongStageError);
    expect(() => run([startCommand(), closeWorkshop])).toThrow(WrongStageError);
  });

  it('advances to results when the workshop closes', () => {
    const { state, events } = run([startCommand(), ...interviewsDone(), scheduleWorkshop, closeWorkshop]);
    expect(state.stageIndex).toBe(2);
    expect(types(events)).toContain('Notification.Requested');
    const invitation = events.find(
      (e) =>
        e.metadata.type === 'Notification.Requested' &&
        (e.data as { template: string }).template === 'workshopInvitation',
    );
    expect(invitation).toBeDefined();
  });

  it('rejects closing the same workshop twice', () => {
    // Minimum 1 workshop closes the stage, so the second close is a wrong-stage error, not a silent no-op.
    expect(() =>
      run([startCommand(), ...interviewsDone(), scheduleWorkshop, closeWorkshop, closeWorkshop]),
    ).toThrow(WrongStageError);
  });

  it('completes a stage by hand only where the method allows, with the reason kept', () => {
    const manual = command({
      type: 'completeStage',
      stage: 'interviews',
      reason: 'Sex intervjuer räckte i en by med 80 invånare',
    });
    const { state } = run([startCommand(), manual]);
    expect(state.stageIndex).toBe(1);
    expect(state.stages[0]).toMatchObject({
      stage: 'interviews',
      manual: true,
      reason: expect.stringContaining('Sex'),
    });
    const notAllowed = command({ type: 'completeStage', stage: 'workshop', reason: 'x' });
    expect(() => run([startCommand(), manual, notAllowed])).toThrow(ManualCompletionNotAllowedError);
    const wrongStage = command({ type: 'completeStage', stage: 'plans', reason: 'x' });
    expect(() => run([startCommand(), wrongStage])).toThrow(WrongStageError);
  });

  it('rejects a command for another organisation as if the process did not exist', () => {
    const { state } = run([startCommand()]);
    const foreign = participant(1);
    if (foreign.kind === 'command') foreign.command.orgId = 'org-other';
    expect(() => handle(state, foreign, testContext())).toThrow(NotFoundError);
  });
});

function throughResults() {
  const first = run([startCommand(), ...interviewsDone(), scheduleWorkshop, closeWorkshop]);
  const results = fact(E.ResultsCompiled, resultsCompiledData, first.state);
  const compiled = run([results], testContext(Date.UTC(2026, 4, 1)), first.state);
  // The timeline holds the facts the process received as well as what it emitted.
  const timeline = [...first.events, ...(results.kind === 'fact' ? [results.event] : []), ...compiled.events];
  return { state: compiled.state, events: timeline };
}

describe('results, plans and guides', () => {
  it('moves from results to plans when the results are compiled', () => {
    const { state } = throughResults();
    expect(state.stageIndex).toBe(3);
  });

  it('needs an approved plan and a confirmation to leave the plans stage', () => {
    const { state } = throughResults();
    const approve = command({ type: 'approvePlan', planId: 'plan-1' });
    const confirm = command({ type: 'confirmStage', stage: 'plans' });
    expect(run([proposePlan(), approve], testContext(), state).state.stageIndex).toBe(3);
    expect(run([confirm], testContext(), state).state.stageIndex).toBe(3);
    expect(run([proposePlan(), approve, confirm], testContext(), state).state.stageIndex).toBe(4);
  });

  it('rejects approving a plan twice, and an unknown plan', () => {
    const { state } = throughResults();
    const approve = command({ type: 'approvePlan', planId: 'plan-1' });
    expect(() => run([proposePlan(), approve, approve], testContext(), state)).toThrow(AlreadyDoneError);
    expect(() => run([approve], testContext(), state)).toThrow(NotFoundError);
  });

  it('tells the owner and partners when a plan is approved', () => {
    const { state } = throughResults();
    const { events } = run(
      [proposePlan(), command({ type: 'approvePlan', planId: 'plan-1' })],
      testContext(),
      state,
    );
    expect(events.at(-1)?.data).toMatchObject({
      template: 'planApproved',
      audience: ['planOwner', 'partner'],
    });
  });

  it('publishes only a generated guide, once, and then completes the process', () => {
    const { state: plans } = throughResults();
    const { state: guides } = run(
      [
        proposePlan(),
        command({ type: 'approvePlan', planId: 'plan-1' }),
        command({ type: 'confirmStage', stage: 'plans' }),
      ],
      testContext(),
      plans,
    );
    const publish = command({ type: 'publishGuide', guideId: 'guide-1', path: '/guides/org-jh/hede' });
    expect(() => run([publish], testContext(), guides)).toThrow(NotReadyError);
    const generated = run([fact(E.GuideGenerated, guideGeneratedData, guides)], testContext(), guides).state;
    const done = run([publish], testContext(), generated);
    expect(done.state.status).toBe('completed');
    expect(types(done.events)).toEqual([
      'Guide.Published',
      'Stage.Completed',
      'Notification.Requested',
      'Process.Completed',
    ]);
    expect(() => run([publish], testContext(), done.state)).toThrow(ProcessCompletedError);
  });

  it('follows plans up after the process has completed', () => {
    const { state: plans } = throughResults();
    const approved = run(
      [
        proposePlan(),
        command({ type: 'approvePlan', planId: 'plan-1' }),
        command({ type: 'confirmStage', stage: 'plans' }),
      ],
      testContext(),
      plans,
    ).state;
    const generated = run(
      [fact(E.GuideGenerated, guideGeneratedData, approved)],
      testContext(),
      approved,
    ).state;
    const done = run(
      [command({ type: 'publishGuide', guideId: 'guide-1', path: '/guides/org-jh/hede' })],
      testContext(),
      generated,
    ).state;
    const progress = command({ type: 'reportPlanProgress', planId: 'plan-1', percent: 50, note: 'Halvvägs' });
    const complete = command({ type: 'completePlan', planId: 'plan-1', outcome: 'Bryggan står klar' });
    expect(run([progress, complete], testContext(), done).state.plans['plan-1']).toBe('completed');
  });
});

describe('facts from the bus', () => {
  it('counts a redelivered fact once', () => {
    const { state } = run([startCommand()]);
    const recorded = fact(E.InterviewRecorded, { ...E.InterviewRecorded.example, interviewId: 'i-1' }, state);
    const once = run([recorded], testContext(), state).state;
    const twice = run([recorded, recorded], testContext(), state).state;
    expect(twice).toEqual(once);
    expect(once.facts['Interview.Recorded']).toEqual(['i-1']);
  });

  it('stops an event loop at the causation depth limit', () => {
    const { state } = run([startCommand()]);
    const deep = fact(E.InterviewRecorded, E.InterviewRecorded.example, state);
    if (deep.kind === 'fact') deep.event.metadata.depth = MAX_CAUSATION_DEPTH;
    expect(() => decide(state, deep, testContext())).toThrow(/causation depth/);
  });

  it('marks an open task overdue, and not a done one', () => {
    const { state } = run([startCommand()]);
    const [taskId] = Object.keys(state.tasks);
    const overdue = fact(E.TaskOverdue, { taskId, dueAt: '2026-03-09T08:00:00.000Z' }, state);
    expect(run([overdue], testContext(), state).state.tasks[taskId as string]?.overdue).toBe(true);
    const done = run([command({ type: 'completeTask', taskId })], testContext(), state).state;
    expect(run([overdue], testContext(), done).state.tasks[taskId as string]?.overdue).toBe(false);
  });

  it('closes the open tasks of a completed stage, keeps the done ones, and reminds of neither', () => {
    const { state: started, events: startEvents } = run([startCommand()]);
    const interviewTasks = Object.entries(started.tasks).filter(([, task]) => task.stage === 'interviews');
    expect(interviewTasks.length).toBeGreaterThan(1);
    const [doneId] = interviewTasks[0] as [string, unknown];
    const { state, events } = run(
      [command({ type: 'completeTask', taskId: doneId }), ...interviewsDone()],
      testContext(),
      started,
    );
    expect(state.stageIndex).toBe(1);
    for (const [taskId] of interviewTasks)
      expect(state.tasks[taskId]?.status).toBe(taskId === doneId ? 'done' : 'closed');
    // The workshop's tasks are the open ones now.
    expect(openTasks(state).map((task) => task.stage)).toEqual(expect.arrayContaining(['workshop']));
    expect(openTasks(state).some((task) => task.stage === 'interviews')).toBe(false);
    const [closedId] = interviewTasks[1] as [string, unknown];
    const overdue = fact(E.TaskOverdue, { taskId: closedId, dueAt: '2026-03-09T08:00:00.000Z' }, state);
    expect(run([overdue], testContext(), state).state.tasks[closedId]?.overdue).toBe(false);
    // Delivered out of order, a stage's task arriving after the stage completed is closed all the same.
    const timeline = [...startEvents, ...events];
    const isTaskCreated = (e: (typeof timeline)[number]) => e.metadata.type === 'Task.Created';
    const late = [...timeline.filter((e) => !isTaskCreated(e)), ...timeline.filter(isTaskCreated)];
    expect(replay(late)?.tasks).toEqual(replay(timeline)?.tasks);
    expect(replay(late)?.tasks[closedId]?.status).toBe('closed');
  });

  it('rebuilds the same state from the timeline', () => {
    const { state, events } = throughResults();
    expect(replay(events)).toEqual(state);
  });
});

describe('reflections', () => {
  it('records the seven questions for the current stage by default', () => {
    const answers = E.ReflectionRecorded.example.answers;
    const { events } = run([
      startCommand(),
      command({ type: 'recordReflection', reflectionId: 'r-1', answers }),
    ]);
    expect(events.at(-1)?.data).toMatchObject({ stage: 'interviews', answers });
    expect(Object.keys(answers)).toEqual([...E.reflectionQuestions]);
  });
});
