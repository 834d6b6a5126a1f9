/**
 * How the API changes and shows a process: a command goes to the engine (shared/domain) and its
 * result to the store in one transaction (changeProcess), with any rows that change with it.
 */
import type { PipelineEvent } from '../../events/catalog.ts';
import { NotFoundError } from '../../shared/domain/errors.ts';
import type { Method, Stage } from '../../shared/domain/method.ts';
import {
  type Command,
  criterionHolds,
  handle,
  openTasks,
  type ProcessState,
  threshold,
} from '../../shared/domain/process.ts';
import { methodByKey, methods } from '../../shared/methods/index.ts';
import { documentClient, processes } from '../../shared/runtime/clients.ts';
import { resources } from '../../shared/runtime/environment.ts';
import type { Caller } from '../../shared/runtime/http-auth.ts';
import { Directory } from '../../shared/store/directory.ts';
import { changeProcess, type RowChanges, type StoredProcess } from '../../shared/store/process-store.ts';

let directoryInstance: Directory | undefined;
export function directory(): Directory {
  directoryInstance ??= new Directory(documentClient(), resources.tableName);
  return directoryInstance;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type CommandBody = DistributiveOmit<Command, 'orgId' | 'actor' | 'requestId'>;

export interface Commanded {
  state: ProcessState;
  emitted: PipelineEvent[];
}

/**
 * Runs a command for the caller's organisation: read, decide (the engine throws typed domain errors),
 * commit state, timeline, outbox and `rows` in one transaction; re-run on a concurrent change.
 */
export async function runCommand(
  caller: Caller,
  requestId: string,
  processId: string,
  body: CommandBody,
  rows?: (state: ProcessState) => RowChanges,
): Promise<Commanded> {
  const command = {
    ...body,
    orgId: caller.orgId,
    actor: { kind: 'user', id: caller.userId },
    requestId,
  } as Command;
  let last: Commanded | undefined;
  await changeProcess(processes(), { orgId: caller.orgId, processId }, (current) => {
    if (!current && command.type !== 'startProcess') throw new NotFoundError('process', processId);
    const next = handle(current?.state, { kind: 'command', command });
    last = { state: next.state, emitted: next.events };
    return { state: next.state, emitted: next.events, ...(rows ? { rows: rows(next.state) } : {}) };
  });
  return last as Commanded;
}

/** The process of the caller's organisation, or 404. */
export async function loadProcess(caller: Caller, processId: string): Promise<StoredProcess> {
  const stored = await processes().load(caller.orgId, processId);
  if (!stored) throw new NotFoundError('process', processId);
  return stored;
}

/** What a command answers: where the process stands now and what it emitted. */
export function commandResult(result: Commanded, extra: Record<string, unknown> = {}) {
  const { state } = result;
  const stage = methodByKey(state.method).stages[state.stageIndex] as Stage;
  return {
    ...extra,
    processId: state.processId,
    status: state.status,
    stage: { key: stage.key, index: state.stageIndex },
    emitted: result.emitted.map((event) => event.metadata.type),
  };
}

function stageCounters(state: ProcessState, stage: Stage) {
  return stage.exitCriteria.map((criterion) => {
    const holds = criterionHolds(state, stage, criterion);
    if (criterion.kind === 'count')
      return {
        kind: criterion.kind,
        fact: criterion.fact,
        count: state.facts[criterion.fact]?.length ?? 0,
        threshold: threshold(state, criterion.atLeast),
        holds,
      };
    if (criterion.kind === 'attendance') {
      const count = Object.values(state.workshops)
        .flatMap((w) => Object.values(w.attendance))
        .reduce((sum, n) => sum + n, 0);
      return {
        kind: criterion.kind,
        count,
        threshold: threshold(state, criterion.atLeast),
        sectors: criterion.sectors,
        holds,
      };
    }
    return { kind: criterion.kind, holds };
  });
}

const taskTitles = new Map(
  [...methods.values()].flatMap((method: Method) =>
    method.stages.flatMap((stage) => stage.entryTasks.map((task) => [task.key, task.title] as const)),
  ),
);
export const taskTitle = (key: string) => taskTitles.get(key);

/** A process as the API shows it: state, current stage with its names, counters and open tasks. */
export function processView(stored: StoredProcess) {
  const { state } = stored;
  const method = methodByKey(state.method);
  const current = method.stages[state.stageIndex] as Stage;
  const count = (status: string) => Object.values(state.interviews).filter((i) => i.status === status).length;
  const participants = Object.values(state.participants);
  return {
    processId: state.processId,
    placeId: state.placeId,
    placeName: state.placeName,
    municipality: state.municipality,
    method: { key: method.key, version: state.methodVersion, name: method.name },
    locale: state.locale,
    status: state.status,
    facilitators: state.facilitators,
    parameters: state.parameters,
    version: stored.version,
    stage: {
      key: current.key,
      index: state.stageIndex,
      name: current.name,
      description: current.description,
      startedAt: state.stageStartedAt,
      manualCompletion: current.manualCompletion,
      confirmed: state.confirmedStages.includes(current.key),
      exitCriteria: stageCounters(state, current),
    },
    stages: method.stages.map((stage, index) => {
      const record = state.stages.find((s) => s.stage === stage.key);
      return {
        key: stage.key,
        name: stage.name,
        state: record?.completedAt ? 'completed' : index === state.stageIndex ? 'current' : 'upcoming',
        ...(record?.startedAt ? { startedAt: record.startedAt } : {}),
        ...(record?.completedAt ? { completedAt: record.completedAt } : {}),
        ...(record?.manual !== undefined ? { manual: record.manual } : {}),
        ...(record?.reason ? { reason: record.reason } : {}),
      };
    }),
    counters: {
      facts: Object.fromEntries(Object.entries(state.facts).map(([fact, ids]) => [fact, ids?.length ?? 0])),
      participants: {
        registered: participants.filter((p) => !p.erased).length,
        erased: participants.filter((p) => p.erased).length,
      },
      /** By where each interview stands now. */
      interviews: {
        registered: count('registered'),
        recorded: count('recorded'),
        summarised: count('summarised'),
      },
      workshops: {
        scheduled: Object.keys(state.workshops).length,
        closed: Object.values(state.workshops).filter((w) => w.status === 'closed').length,
      },
      plans: {
        proposed: Object.keys(state.plans).length,
        approved: Object.values(state.plans).filter((p) => p !== 'proposed').length,
        completed: Object.values(state.plans).filter((p) => p === 'completed').length,
      },
    },
    guide: state.guide ?? null,
    openTasks: openTasks(state).map((task) => ({ ...task, title: taskTitle(task.key) ?? null })),
    lastEventAt: state.lastEventAt,
  };
}
