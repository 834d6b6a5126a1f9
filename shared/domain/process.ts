/**
 * The process engine: pure functions, no AWS.
 *   decide(state, input) -> events   what should happen, or a typed DomainError
 *   evolve(state, event) -> state     what an event means for the process
 * Inputs are commands (from the API: start, register an interview, close a workshop, ...) and
 * facts (events from the bus: a recording landed, results were compiled, ...). Facts are recorded
 * idempotently and order-free (sets and monotonic statuses), and after every input the process
 * advances through as many stages as their exit criteria allow, one stage at a time, in order.
 */
import * as E from '../../events/catalog.ts';
import {
  type EventOfType,
  isEvent,
  type PipelineEvent,
  type PipelineEventType,
} from '../../events/catalog.ts';
import {
  type Actor,
  type AnyEventDefinition,
  defaultEventContext,
  type EventContext,
  type MetadataInput,
} from '../../events/envelope.ts';
import type { AgeGroup, Locale, Role, Sector } from '../../events/vocabulary.ts';
import { methodByKey } from '../methods/index.ts';
import {
  AlreadyDoneError,
  CausationDepthExceededError,
  ConsentRequiredError,
  InvalidParameterError,
  ManualCompletionNotAllowedError,
  NotFoundError,
  NotReadyError,
  ProcessCompletedError,
  WrongStageError,
} from './errors.ts';
import {
  type Activity,
  type CountableFact,
  type Criterion,
  countableFacts,
  type Method,
  type Stage,
} from './method.ts';

/** Longest chain of events caused by events; deeper means a loop, which is stopped. */
export const MAX_CAUSATION_DEPTH = 16;

type Ranked<T extends string> = readonly T[];
const interviewStatuses = ['registered', 'recorded', 'summarised'] as const;
const planStatuses = ['proposed', 'approved', 'completed'] as const;
const workshopStatuses = ['scheduled', 'closed'] as const;
const guideStatuses = ['generated', 'published'] as const;
/**
 * A task is `open` until someone completes it (`done`) or its stage completes without it (`closed`:
 * the work moved on, so no reminder is due). Completing a task always wins.
 */
export const taskStatuses = ['open', 'closed', 'done'] as const;

export interface ProcessState {
  processId: string;
  orgId: string;
  placeId: string;
  placeName: string;
  municipality: string;
  correlationId: string;
  method: string;
  methodVersion: number;
  locale: Locale;
  facilitators: string[];
  parameters: Record<string, number>;
  status: 'active' | 'completed';
  /** Index of the current stage (the last one once completed). */
  stageIndex: number;
  stageStartedAt: string;
  stages: { stage: string; startedAt: string; completedAt?: string; manual?: boolean; reason?: string }[];
  /** Distinct subjects (interview, workshop, plan, ... ids) of each countable fact: counts never double. */
  facts: Partial<Record<CountableFact, string[]>>;
  confirmedStages: string[];
  participants: Record<
    string,
    { sector: Sector; ageGroup: AgeGroup; recordingConsent: boolean; erased: boolean }
  >;
  interviews: Record<string, { status: (typeof interviewStatuses)[number]; participantId?: string }>;
  workshops: Record<
    string,
    { status: (typeof workshopStatuses)[number]; attendance: Partial<Record<Sector, number>> }
  >;
  plans: Record<string, (typeof planStatuses)[number]>;
  guide?: { guideId: string; status: (typeof guideStatuses)[number] };
  tasks: Record<
    string,
    {
      key: string;
      stage: string;
      role: Role;
      assignee?: string;
      dueAt?: string;
      status: (typeof taskStatuses)[number];
      overdue: boolean;
    }
  >;
  lastEventAt: string;
}

interface CommandBase {
  orgId: string;
  actor: Actor;
  /** The API request id: the causation of what the command emits. */
  requestId: string;
}

type DataOf<D extends { example: unknown }> = D['example'];

export type Command = CommandBase &
  (
    | {
        type: 'startProcess';
        processId: string;
        placeId: string;
        placeName: string;
        municipality: string;
        method: string;
        locale: Locale;
        facilitators: string[];
        overrides?: Record<string, number>;
      }
    | { type: 'completeStage'; stage: string; reason: string }
    | { type: 'confirmStage'; stage: string; note?: string }
    | ({ type: 'registerParticipant' } & DataOf<typeof E.ParticipantRegistered>)
    | ({ type: 'eraseParticipant' } & DataOf<typeof E.ParticipantErased>)
    | { type: 'registerInterview'; interviewId: string; participantId: string; consentRecordedAt: string }
    | ({ type: 'summariseInterview' } & Omit<DataOf<typeof E.InterviewSummarised>, 'sector' | 'ageGroup'>)
    | ({ type: 'scheduleWorkshop' } & DataOf<typeof E.WorkshopScheduled>)
    | ({ type: 'closeWorkshop' } & DataOf<typeof E.WorkshopClosed>)
    | ({ type: 'proposePlan' } & DataOf<typeof E.PlanProposed>)
    | { type: 'approvePlan'; planId: string }
    | ({ type: 'reportPlanProgress' } & DataOf<typeof E.PlanProgressReported>)
    | ({ type: 'completePlan' } & DataOf<typeof E.PlanCompleted>)
    | ({ type: 'recordReflection' } & Omit<DataOf<typeof E.ReflectionRecorded>, 'stage'> & { stage?: string })
    | { type: 'publishGuide'; guideId: string; path: string }
    | { type: 'completeTask'; taskId: string }
  );

export type Input = { kind: 'command'; command: Command } | { kind: 'fact'; event: PipelineEvent };

export interface EngineContext extends EventContext {
  /** Resolves a method definition; the built-in methods by default. */
  methods?: (key: string) => Method;
}

const SYSTEM: Actor = { kind: 'system', id: 'stageEngine' };

// ---------------------------------------------------------------------------------------------
// evolve

export function evolve(state: ProcessState | undefined, event: PipelineEvent): ProcessState {
  if (isEvent(event, 'Process.Started')) {
    if (state) return state; // a redelivered start changes nothing
    const { data, metadata } = event;
    return {
      processId: metadata.processId,
      orgId: metadata.orgId,
      placeId: metadata.placeId,
      placeName: data.placeName,
      municipality: data.municipality,
      correlationId: metadata.correlationId,
      method: data.method,
      methodVersion: data.methodVersion,
      locale: data.locale,
      facilitators: [...data.facilitators],
      parameters: { ...data.parameters },
      status: 'active',
      stageIndex: 0,
      stageStartedAt: metadata.occurredAt,
      stages: [],
      facts: {},
      confirmedStages: [],
      participants: {},
      interviews: {},
      workshops: {},
      plans: {},
      tasks: {},
      lastEventAt: metadata.occurredAt,
    };
  }
  if (!state) throw new NotFoundError('process', event.metadata.processId);
  const next = structuredClone(state);
  // ISO timestamps order as strings; the latest wins whatever the delivery order.
  next.lastEventAt = [event.metadata.occurredAt, state.lastEventAt].sort()[1] as string;
  const subject = factSubject(event);
  if (subject) addFact(next, event.metadata.type as CountableFact, subject);

  const apply = appliers[event.metadata.type] as Applier<PipelineEventType> | undefined;
  apply?.(next, event as never);
  return next;
}

type Applier<T extends PipelineEventType> = (state: ProcessState, event: EventOfType<T>) => void;

/** What each event means for the process; results, reflections and notifications only count or leave a trace. */
const appliers: { [T in PipelineEventType]?: Applier<T> } = {
  'Stage.Started': (next, event) => {
    const { stage, index } = event.data;
    if (index >= next.stageIndex && !next.stages.some((s) => s.stage === stage)) {
      next.stageIndex = index;
      next.stageStartedAt = event.metadata.occurredAt;
      next.stages.push({ stage, startedAt: event.metadata.occurredAt });
    }
  },
  'Stage.Completed': (next, event) => {
    const entry = next.stages.find((s) => s.stage === event.data.stage);
    if (entry && !entry.completedAt) {
      entry.completedAt = event.metadata.occurredAt;
      entry.manual = event.data.manual;
      if (event.data.reason) entry.reason = event.data.reason;
    }
    if (entry?.completedAt)
      for (const task of Object.values(next.tasks))
        if (task.stage === event.data.stage && task.status === 'open') task.status = 'closed';
  },
  'Stage.Confirmed': (next, event) => {
    if (!next.confirmedStages.includes(event.data.stage)) next.confirmedStages.push(event.data.stage);
    next.confirmedStages.sort();
  },
  'Process.Completed': (next) => {
    next.status = 'completed';
  },
  'Participant.Registered': (next, { data }) => {
    const known = next.participants[data.participantId];
    next.participants[data.participantId] = {
      sector: data.sector,
      ageGroup: data.ageGroup,
      recordingConsent: data.consent.recording,
      erased: known?.erased ?? false,
    };
  },
  'Participant.Erased': (next, { data }) => {
    const known = next.participants[data.participantId];
    if (known) known.erased = true;
    else {
      // Erased before its registration arrived: remember the erasure so the registration cannot revive it.
      next.participants[data.participantId] = {
        sector: 'other',
        ageGroup: 'age30to49',
        recordingConsent: false,
        erased: true,
      };
    }
  },
  'Interview.Registered': (next, { data }) =>
    raiseInterview(next, data.interviewId, 'registered', data.participantId),
  'Interview.Recorded': (next, { data }) => raiseInterview(next, data.interviewId, 'recorded'),
  'Interview.Summarised': (next, { data }) => raiseInterview(next, data.interviewId, 'summarised'),
  'Workshop.Scheduled': (next, { data }) => {
    next.workshops[data.workshopId] ??= { status: 'scheduled', attendance: {} };
  },
  'Workshop.Closed': (next, { data }) => {
    const attendance: Partial<Record<Sector, number>> = {};
    for (const row of data.attendance) attendance[row.sector] = (attendance[row.sector] ?? 0) + row.count;
    next.workshops[data.workshopId] = { status: 'closed', attendance };
  },
  'Plan.Proposed': (next, { data }) => {
    next.plans[data.planId] = raise(planStatuses, next.plans[data.planId], 'proposed');
  },
  'Plan.Approved': (next, { data }) => {
    next.plans[data.planId] = raise(planStatuses, next.plans[data.planId], 'approved');
  },
  'Plan.Completed': (next, { data }) => {
    next.plans[data.planId] = raise(planStatuses, next.plans[data.planId], 'completed');
  },
  'Guide.Generated': (next, { data }) => {
    next.guide = { guideId: data.guideId, status: raise(guideStatuses, next.guide?.status, 'generated') };
  },
  'Guide.Published': (next, { data }) => {
    next.guide = { guideId: data.guideId, status: raise(guideStatuses, next.guide?.status, 'published') };
  },
  'Task.Created': (next, { data }) => {
    const known = next.tasks[data.taskId];
    next.tasks[data.taskId] = {
      key: data.key,
      stage: data.stage,
      role: data.role,
      ...(data.assignee ? { assignee: data.assignee } : {}),
      ...(data.dueAt ? { dueAt: data.dueAt } : {}),
      // Created after its stage completed (a reordered delivery): closed, as if it had come first.
      status:
        known?.status ??
        (next.stages.some((s) => s.stage === data.stage && s.completedAt) ? 'closed' : 'open'),
      overdue: known?.overdue ?? false,
    };
  },
  'Task.Completed': (next, { data }) => {
    const task = next.tasks[data.taskId];
    if (task) task.status = 'done';
    else
      next.tasks[data.taskId] = {
        key: 'unknown',
        stage: 'unknown',
        role: 'facilitator',
        status: 'done',
        overdue: false,
      };
  },
  'Task.Overdue': (next, { data }) => {
    const task = next.tasks[data.taskId];
    if (task && task.status === 'open') task.overdue = true;
  },
};

function factSubject(event: PipelineEvent): string | undefined {
  const type = event.metadata.type;
  if (!isCountable(type)) return undefined;
  const data = event.data as Record<string, unknown>;
  for (const key of ['interviewId', 'workshopId', 'planId', 'guideId', 'reflectionId', 'participantId']) {
    if (typeof data[key] === 'string') return data[key] as string;
  }
  return event.metadata.id;
}

const countable = new Set<string>(countableFacts);
function isCountable(type: string): type is CountableFact {
  return countable.has(type);
}

function addFact(state: ProcessState, type: CountableFact, subject: string) {
  const list = state.facts[type] ?? [];
  state.facts[type] = list;
  if (!list.includes(subject)) {
    list.push(subject);
    list.sort();
  }
}

function raise<T extends string>(order: Ranked<T>, current: T | undefined, next: T): T {
  if (current === undefined) return next;
  return order.indexOf(next) > order.indexOf(current) ? next : current;
}

function raiseInterview(
  state: ProcessState,
  id: string,
  status: (typeof interviewStatuses)[number],
  participantId?: string,
) {
  const known = state.interviews[id];
  state.interviews[id] = {
    status: raise(interviewStatuses, known?.status, status),
    ...((participantId ?? known?.participantId)
      ? { participantId: participantId ?? known?.participantId }
      : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// decide

export function decide(
  state: ProcessState | undefined,
  input: Input,
  context: EngineContext = {},
): PipelineEvent[] {
  return handle(state, input, context).events;
}

/** decide + evolve: the new events and the state after the input and those events. */
export function handle(
  state: ProcessState | undefined,
  input: Input,
  context: EngineContext = {},
): { state: ProcessState; events: PipelineEvent[] } {
  const ctx = { ...defaultEventContext, methods: methodByKey, ...context };
  if (input.kind === 'fact') {
    const fact = input.event;
    const depth = fact.metadata.depth + 1;
    if (depth > MAX_CAUSATION_DEPTH) throw new CausationDepthExceededError(depth, MAX_CAUSATION_DEPTH);
    const recorded = evolve(state, fact);
    const events = advance(recorded, { causationId: fact.metadata.id, actor: SYSTEM, depth }, ctx);
    return { state: events.reduce(evolve, recorded), events };
  }
  const { command } = input;
  if (command.type === 'startProcess') {
    if (state) throw new AlreadyDoneError(`starting process ${command.processId}`);
    const events = start(command, ctx);
    return { state: events.reduce<ProcessState | undefined>(evolve, undefined) as ProcessState, events };
  }
  // A process of another organisation does not exist for the caller.
  if (!state || state.orgId !== command.orgId)
    throw new NotFoundError('process', state?.processId ?? 'unknown');
  if (state.status === 'completed' && !followUpAfterCompletion.has(command.type)) {
    throw new ProcessCompletedError(state.processId);
  }
  const cause: Cause = { causationId: command.requestId, actor: command.actor, depth: 0 };
  const method = ctx.methods(state.method);
  const emitted = execute(state, method, command, cause, ctx);
  const afterCommand = emitted.reduce(evolve, state);
  const advanced = advance(afterCommand, cause, ctx);
  return { state: advanced.reduce(evolve, afterCommand), events: [...emitted, ...advanced] };
}

/** Plans are followed up until done, also after the process itself has completed. */
const followUpAfterCompletion = new Set<Command['type']>([
  'reportPlanProgress',
  'completePlan',
  'completeTask',
  'recordReflection',
  'eraseParticipant',
]);

interface Cause {
  causationId: string;
  actor: Actor;
  depth: number;
}

type Ctx = Required<EngineContext>;

function emitter(
  state: Pick<ProcessState, 'orgId' | 'placeId' | 'processId' | 'correlationId'>,
  cause: Cause,
  ctx: Ctx,
) {
  const metadata: MetadataInput = {
    orgId: state.orgId,
    placeId: state.placeId,
    processId: state.processId,
    correlationId: state.correlationId,
    causationId: cause.causationId,
    actor: cause.actor,
    depth: cause.depth,
  };
  return <D extends E.EventDefinitionOf>(definition: D, data: D['example']) =>
    (definition as AnyEventDefinition).create({ metadata, data }, ctx) as PipelineEvent;
}

function start(command: Extract<Command, { type: 'startProcess' }>, ctx: Ctx): PipelineEvent[] {
  const method = ctx.methods(command.method);
  const parameters: Record<string, number> = {};
  for (const [name, spec] of Object.entries(method.parameters)) {
    const value = command.overrides?.[name] ?? spec.default;
    if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
      throw new InvalidParameterError(name, `must be an integer from ${spec.min} to ${spec.max}`);
    }
    parameters[name] = value;
  }
  for (const name of Object.keys(command.overrides ?? {})) {
    if (!(name in method.parameters))
      throw new InvalidParameterError(name, `${method.key} has no such parameter`);
  }
  const correlationId = ctx.newId();
  const ids = { orgId: command.orgId, placeId: command.placeId, processId: command.processId, correlationId };
  const cause: Cause = { causationId: command.requestId, actor: command.actor, depth: 0 };
  const started = emitter(
    ids,
    cause,
    ctx,
  )(E.ProcessStarted, {
    method: method.key,
    methodVersion: method.version,
    placeName: command.placeName,
    municipality: command.municipality,
    locale: command.locale,
    facilitators: command.facilitators,
    parameters,
  });
  const state = evolve(undefined, started);
  return [started, ...enterStage(state, method, 0, cause, ctx)];
}

function execute(
  state: ProcessState,
  method: Method,
  command: Command,
  cause: Cause,
  ctx: Ctx,
): PipelineEvent[] {
  const emit = emitter(state, cause, ctx);
  const stage = method.stages[state.stageIndex] as Stage;
  const requireActivity = (activity: Activity, action: string) => {
    if (state.status === 'completed' || !stage.activities.includes(activity)) {
      const allowed = method.stages.filter((s) => s.activities.includes(activity)).map((s) => s.key);
      throw new WrongStageError(action, state.status === 'completed' ? 'completed' : stage.key, allowed);
    }
  };

  switch (command.type) {
    case 'startProcess':
      throw new AlreadyDoneError(`starting process ${state.processId}`);
    case 'completeStage': {
      if (command.stage !== stage.key)
        throw new WrongStageError(`completing ${command.stage}`, stage.key, [stage.key]);
      if (!stage.manualCompletion) throw new ManualCompletionNotAllowedError(stage.key);
      return completeStage(state, method, { manual: true, reason: command.reason }, cause, ctx);
    }
    case 'confirmStage': {
      if (command.stage !== stage.key)
        throw new WrongStageError(`confirming ${command.stage}`, stage.key, [stage.key]);
      if (state.confirmedStages.includes(stage.key)) throw new AlreadyDoneError(`confirming ${stage.key}`);
      return [emit(E.StageConfirmed, { stage: stage.key, ...(command.note ? { note: command.note } : {}) })];
    }
    case 'registerParticipant': {
      if (state.participants[command.participantId])
        throw new AlreadyDoneError(`registering ${command.participantId}`);
      const { type: _t, orgId: _o, actor: _a, requestId: _r, ...data } = command;
      return [emit(E.ParticipantRegistered, data)];
    }
    case 'eraseParticipant': {
      const participant = state.participants[command.participantId];
      if (!participant) throw new NotFoundError('participant', command.participantId);
      if (participant.erased) throw new AlreadyDoneError(`erasing ${command.participantId}`);
      return [
        emit(E.ParticipantErased, {
          participantId: command.participantId,
          recordingsDeleted: command.recordingsDeleted,
        }),
      ];
    }
    case 'registerInterview': {
      requireActivity('interviews', 'registering an interview');
      const participant = state.participants[command.participantId];
      if (!participant || participant.erased) throw new NotFoundError('participant', command.participantId);
      if (!participant.recordingConsent) throw new ConsentRequiredError('an interview recording');
      if (state.interviews[command.interviewId])
        throw new AlreadyDoneError(`registering interview ${command.interviewId}`);
      return [
        emit(E.InterviewRegistered, {
          interviewId: command.interviewId,
          participantId: command.participantId,
          sector: participant.sector,
          ageGroup: participant.ageGroup,
          consentRecordedAt: command.consentRecordedAt,
        }),
      ];
    }
    case 'summariseInterview': {
      requireActivity('interviews', 'summarising an interview');
      const interview = state.interviews[command.interviewId];
      if (!interview?.participantId) throw new NotFoundError('interview', command.interviewId);
      if (interview.status === 'summarised')
        throw new AlreadyDoneError(`summarising interview ${command.interviewId}`);
      const participant = state.participants[interview.participantId];
      const { type: _t, orgId: _o, actor: _a, requestId: _r, ...summary } = command;
      return [
        emit(E.InterviewSummarised, {
          ...summary,
          sector: participant?.sector ?? 'other',
          ageGroup: participant?.ageGroup ?? 'age30to49',
        }),
      ];
    }
    case 'scheduleWorkshop': {
      requireActivity('workshops', 'scheduling a workshop');
      if (state.workshops[command.workshopId])
        throw new AlreadyDoneError(`scheduling workshop ${command.workshopId}`);
      const { type: _t, orgId: _o, actor: _a, requestId: _r, ...data } = command;
      return [
        emit(E.WorkshopScheduled, data),
        notify(emit, ctx, 'workshopInvitation', ['participant'], {
          kind: 'workshop',
          id: command.workshopId,
        }),
      ];
    }
    case 'closeWorkshop': {
      requireActivity('workshops', 'closing a workshop');
      const workshop = state.workshops[command.workshopId];
      if (!workshop) throw new NotFoundError('workshop', command.workshopId);
      if (workshop.status === 'closed') throw new AlreadyDoneError(`closing workshop ${command.workshopId}`);
      const { type: _t, orgId: _o, actor: _a, requestId: _r, ...data } = command;
      return [emit(E.WorkshopClosed, data)];
    }
    case 'proposePlan': {
      requireActivity('plans', 'proposing a plan');
      if (state.plans[command.planId]) throw new AlreadyDoneError(`proposing plan ${command.planId}`);
      const { type: _t, orgId: _o, actor: _a, requestId: _r, ...data } = command;
      return [emit(E.PlanProposed, data)];
    }
    case 'approvePlan': {
      requireActivity('plans', 'approving a plan');
      const plan = state.plans[command.planId];
      if (!plan) throw new NotFoundError('plan', command.planId);
      if (plan !== 'proposed') throw new AlreadyDoneError(`approving plan ${command.planId}`);
      return [
        emit(E.PlanApproved, { planId: command.planId }),
        notify(emit, ctx, 'planApproved', ['planOwner', 'partner'], { kind: 'plan', id: command.planId }),
      ];
    }
    case 'reportPlanProgress':
    case 'completePlan': {
      const plan = state.plans[command.planId];
      if (!plan) throw new NotFoundError('plan', command.planId);
      if (plan === 'proposed') throw new NotReadyError(`plan ${command.planId} must be approved first`);
      if (plan === 'completed') throw new AlreadyDoneError(`completing plan ${command.planId}`);
      return command.type === 'completePlan'
        ? [emit(E.PlanCompleted, { planId: command.planId, outcome: command.outcome })]
        : [
            emit(E.PlanProgressReported, {
              planId: command.planId,
              percent: command.percent,
              note: command.note,
            }),
          ];
    }
    case 'recordReflection': {
      const reflectionStage = command.stage ?? stage.key;
      if (!method.stages.some((s) => s.key === reflectionStage))
        throw new NotFoundError('stage', reflectionStage);
      if (state.facts['Reflection.Recorded']?.includes(command.reflectionId)) {
        throw new AlreadyDoneError(`recording reflection ${command.reflectionId}`);
      }
      return [
        emit(E.ReflectionRecorded, {
          reflectionId: command.reflectionId,
          stage: reflectionStage,
          ...(command.meeting ? { meeting: command.meeting } : {}),
          answers: command.answers,
        }),
      ];
    }
    case 'publishGuide': {
      requireActivity('guides', 'publishing a guide');
      if (!state.guide || state.guide.guideId !== command.guideId) {
        throw new NotReadyError(`guide ${command.guideId} has not been generated yet`);
      }
      if (state.guide.status === 'published')
        throw new AlreadyDoneError(`publishing guide ${command.guideId}`);
      return [emit(E.GuidePublished, { guideId: command.guideId, path: command.path })];
    }
    case 'completeTask': {
      const task = state.tasks[command.taskId];
      if (!task) throw new NotFoundError('task', command.taskId);
      if (task.status === 'done') throw new AlreadyDoneError(`completing task ${command.taskId}`);
      return [emit(E.TaskCompleted, { taskId: command.taskId })];
    }
  }
}

function notify(
  emit: ReturnType<typeof emitter>,
  ctx: Ctx,
  template: E.Template,
  audience: Role[],
  subject: DataOf<typeof E.NotificationRequested>['subject'],
): PipelineEvent {
  return emit(E.NotificationRequested, { notificationId: `n-${ctx.newId()}`, template, audience, subject });
}

/** Completes stages for as long as the current stage's exit criteria hold. */
function advance(state: ProcessState, cause: Cause, ctx: Ctx): PipelineEvent[] {
  const method = ctx.methods(state.method);
  const events: PipelineEvent[] = [];
  let current = state;
  while (current.status === 'active' && criteriaHold(current, method.stages[current.stageIndex] as Stage)) {
    const step = completeStage(current, method, { manual: false }, cause, ctx);
    events.push(...step);
    current = step.reduce(evolve, current);
  }
  return events;
}

function completeStage(
  state: ProcessState,
  method: Method,
  how: { manual: boolean; reason?: string },
  cause: Cause,
  ctx: Ctx,
): PipelineEvent[] {
  const emit = emitter(state, cause, ctx);
  const index = state.stageIndex;
  const stage = method.stages[index] as Stage;
  const events: PipelineEvent[] = [
    emit(E.StageCompleted, {
      stage: stage.key,
      index,
      manual: how.manual,
      ...(how.reason ? { reason: how.reason } : {}),
    }),
    ...stage.notifications.onComplete.map((n) =>
      notify(emit, ctx, n.template, n.audience, { kind: 'stage', id: stage.key }),
    ),
  ];
  if (index + 1 < method.stages.length)
    return [...events, ...enterStage(state, method, index + 1, cause, ctx)];
  return [...events, emit(E.ProcessCompleted, { method: method.key, stages: method.stages.length })];
}

function enterStage(
  state: ProcessState,
  method: Method,
  index: number,
  cause: Cause,
  ctx: Ctx,
): PipelineEvent[] {
  const emit = emitter(state, cause, ctx);
  const stage = method.stages[index] as Stage;
  const started = emit(E.StageStarted, { stage: stage.key, index });
  const startedAt = Date.parse(started.metadata.occurredAt);
  const events: PipelineEvent[] = [started];
  for (const task of stage.entryTasks) {
    const taskId = ctx.newId();
    const assignee = task.role === 'facilitator' ? state.facilitators[0] : undefined;
    events.push(
      emit(E.TaskCreated, {
        taskId,
        key: task.key,
        stage: stage.key,
        role: task.role,
        ...(assignee ? { assignee } : {}),
        dueAt: new Date(startedAt + task.dueInDays * 86_400_000).toISOString(),
      }),
      notify(emit, ctx, 'taskAssigned', [task.role], { kind: 'task', id: taskId }),
    );
  }
  for (const n of stage.notifications.onStart) {
    events.push(notify(emit, ctx, n.template, n.audience, { kind: 'stage', id: stage.key }));
  }
  return events;
}

// ---------------------------------------------------------------------------------------------
// reading the state

export function threshold(
  state: Pick<ProcessState, 'parameters'>,
  atLeast: number | { parameter: string },
): number {
  return typeof atLeast === 'number'
    ? atLeast
    : (state.parameters[atLeast.parameter] ?? Number.POSITIVE_INFINITY);
}

export function criterionHolds(state: ProcessState, stage: Stage, criterion: Criterion): boolean {
  switch (criterion.kind) {
    case 'count':
      return (state.facts[criterion.fact]?.length ?? 0) >= threshold(state, criterion.atLeast);
    case 'confirmed':
      return state.confirmedStages.includes(stage.key);
    case 'attendance': {
      const bySector = attendanceBySector(state);
      const total = Object.values(bySector).reduce((sum, n) => sum + n, 0);
      return (
        total >= threshold(state, criterion.atLeast) && criterion.sectors.every((s) => (bySector[s] ?? 0) > 0)
      );
    }
  }
}

export function criteriaHold(state: ProcessState, stage: Stage): boolean {
  return stage.exitCriteria.every((criterion) => criterionHolds(state, stage, criterion));
}

export function attendanceBySector(state: ProcessState): Partial<Record<Sector, number>> {
  const total: Partial<Record<Sector, number>> = {};
  for (const workshop of Object.values(state.workshops)) {
    for (const [sector, count] of Object.entries(workshop.attendance) as [Sector, number][]) {
      total[sector] = (total[sector] ?? 0) + count;
    }
  }
  return total;
}

export function currentStage(state: ProcessState, methods: (key: string) => Method = methodByKey): Stage {
  return methods(state.method).stages[state.stageIndex] as Stage;
}

export function openTasks(state: ProcessState) {
  return Object.entries(state.tasks)
    .filter(([, task]) => task.status === 'open')
    .map(([taskId, task]) => ({ taskId, ...task }));
}

/** Folds a whole timeline; what a rebuild or a replay does. */
export function replay(events: readonly PipelineEvent[]): ProcessState | undefined {
  return events.reduce<ProcessState | undefined>(evolve, undefined);
}
