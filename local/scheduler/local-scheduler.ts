/**
 * EventBridge Scheduler for the local runtime: an HTTP endpoint speaking the Scheduler REST-JSON
 * protocol (schedules and schedule groups), and timers on the injected Clock that deliver each
 * schedule to its target when it falls due: PutEvents for an event bus target, an invocation for a
 * Lambda target (the runtime's own topology schedules are those). Failed deliveries are retried
 * with the target's RetryPolicy, then kept as failures; nothing is dropped silently.
 *
 * Schedules persist in `<dataDir>/scheduler/schedules.json` and are armed again at start; a
 * schedule that fell due while the runtime was stopped fires at start (once, however many
 * occurrences were missed). Delivery is at the exact due time: FlexibleTimeWindow is accepted and
 * stored but not used to spread invocations.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { type Clock, type ClockTimer, systemClock } from '../clock.ts';
import { serveOnLoopback } from '../loopback-server.ts';
import { SchedulerError, sendJson } from './errors.ts';
import { isoSeconds, nextDue, parseExpression, type ScheduleExpression } from './expressions.ts';
import {
  checkScheduleInput,
  DEFAULT_GROUP,
  destinationOf,
  type GroupRecord,
  groupArn,
  isName,
  type ScheduleRecord,
  scheduleArn,
  scheduleOutput,
  scheduleSummary,
} from './schedules.ts';

/** What the local Scheduler hands to `putEvents` for an event bus target. */
export type ScheduledEvent = Required<
  Pick<PutEventsRequestEntry, 'EventBusName' | 'Source' | 'DetailType' | 'Detail' | 'Resources'>
> & { Time: Date };

/**
 * The payload a topology schedule invokes its function with, unless it names its own: Scheduler's
 * context attributes, filled in at each invocation. infra/ can give the CDK schedule the same
 * string (ScheduleTargetInput.fromText) so cloud and local invocations carry the same event.
 */
export const DEFAULT_SCHEDULE_INPUT = JSON.stringify({
  scheduleArn: '<aws.scheduler.schedule-arn>',
  scheduledTime: '<aws.scheduler.scheduled-time>',
  executionId: '<aws.scheduler.execution-id>',
  attemptNumber: '<aws.scheduler.attempt-number>',
});

export interface StartSchedulerOptions {
  /** Delivers an event bus target's event; may return a promise; must throw (or reject) when the entry was not accepted. */
  putEvents: (entry: ScheduledEvent) => unknown;
  /** Invokes a Lambda target (asynchronously, as Scheduler does; may return a promise); without it Lambda targets are refused. */
  invoke?: (functionName: string, event: unknown) => unknown;
  /** Schedules persist in `<dataDir>/scheduler/schedules.json`; in memory only when absent. */
  dataDir?: string;
  /** A fixed port; an OS-chosen free port when absent or 0. */
  port?: number;
  region?: string;
  accountId?: string;
  /** Schedules fall due on this clock; tests pass a ManualClock. */
  clock?: Clock;
  /** Operational notes (delivery failures). Never event contents. */
  log?: (message: string) => void;
}

/** A topology schedule: a recurring expression that invokes a function. */
export interface RecurringSchedule {
  name: string;
  /** `rate(...)` or `cron(...)` */
  expression: string;
  functionName: string;
  /** The invocation payload; DEFAULT_SCHEDULE_INPUT when absent. Context attributes are filled in. */
  input?: string;
  timezone?: string;
}

export interface SchedulerMetrics {
  /** Occurrences that fell due. */
  fired: number;
  delivered: number;
  retried: number;
  /** Occurrences given up after the RetryPolicy; see failures(). */
  failed: number;
}

export interface ScheduleFailure {
  scheduleArn: string;
  scheduledTime: string;
  attempts: number;
  error: string;
  /** The target's DeadLetterConfig.Arn, where AWS would have sent it. */
  deadLetterArn?: string;
  /** What was being delivered (the PutEvents entry or the invocation payload). */
  payload: unknown;
}

export interface LocalScheduler {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  port: number;
  /** Registers a topology schedule; not persisted (the runtime registers them at every start). Returns its ARN. */
  registerRecurring(schedule: RecurringSchedule): string;
  metrics(): SchedulerMetrics;
  failures(): ScheduleFailure[];
  /** Resolves once no delivery is in flight. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

interface StoreFile {
  version: 1;
  groups: GroupRecord[];
  schedules: ScheduleRecord[];
}

// Node timers hold at most 2^31-1 ms (~24.8 days); longer waits are taken in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;
const MAX_BODY_BYTES = 1024 * 1024;

const key = (group: string, name: string) => `${group}/${name}`;
const epochSeconds = (ms: number) => ms / 1000;

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > MAX_BODY_BYTES)
      throw new SchedulerError('ValidationException', 'The request body is too large.');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    const body: unknown = JSON.parse(text);
    if (typeof body === 'object' && body !== null && !Array.isArray(body))
      return body as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new SchedulerError('ValidationException', 'The request body must be a JSON object.');
}

function page<T>(items: T[], query: URLSearchParams): { items: T[]; nextToken?: string } {
  const maxParam = query.get('MaxResults');
  const max = maxParam === null ? 100 : Number(maxParam);
  if (!Number.isInteger(max) || max < 1 || max > 100) {
    throw new SchedulerError(
      'ValidationException',
      `1 validation error detected: Value '${maxParam}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100`,
    );
  }
  const token = query.get('NextToken');
  const offset = token === null ? 0 : Number(Buffer.from(token, 'base64').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0)
    throw new SchedulerError('ValidationException', 'Invalid NextToken.');
  const slice = items.slice(offset, offset + max);
  return offset + max < items.length
    ? { items: slice, nextToken: Buffer.from(String(offset + max)).toString('base64') }
    : { items: slice };
}

export async function startScheduler(options: StartSchedulerOptions): Promise<LocalScheduler> {
  const clock = options.clock ?? systemClock;
  const region = options.region ?? 'eu-north-1';
  const account = options.accountId ?? '000000000000';
  const log = options.log ?? ((message: string) => console.error(`[scheduler] ${message}`));
  const file = options.dataDir ? path.resolve(options.dataDir, 'scheduler', 'schedules.json') : undefined;

  const groups = new Map<string, GroupRecord>();
  const schedules = new Map<string, ScheduleRecord>();
  const expressions = new WeakMap<ScheduleRecord, ScheduleExpression>();
  const timers = new Map<ScheduleRecord, ClockTimer>();
  const retryTimers = new Set<ClockTimer>();
  const inFlight = new Set<Promise<void>>();
  const failures: ScheduleFailure[] = [];
  const metrics: SchedulerMetrics = { fired: 0, delivered: 0, retried: 0, failed: 0 };
  let stopping = false;

  const nowSeconds = () => epochSeconds(clock.now());
  const arnOf = (record: ScheduleRecord) => scheduleArn(region, account, record.GroupName, record.Name);

  // ---- persistence ----
  let writes: Promise<void> = Promise.resolve();
  const persist = (): Promise<void> => {
    if (!file) return Promise.resolve();
    const snapshot: StoreFile = {
      version: 1,
      groups: [...groups.values()].filter((group) => group.Name !== DEFAULT_GROUP),
      schedules: [...schedules.values()].filter((record) => !record.managed),
    };
    // Writes are queued so an older snapshot never lands after a newer one.
    writes = writes.then(async () => {
      await mkdir(path.dirname(file), { recursive: true });
      const partial = `${file}.partial`;
      await writeFile(partial, `${JSON.stringify(snapshot, null, 2)}\n`);
      await rename(partial, file);
    });
    return writes;
  };
  const persistInBackground = () =>
    void persist().catch((error: unknown) => log(`could not save schedules: ${(error as Error).message}`));

  // ---- timers and delivery ----
  const disarm = (record: ScheduleRecord) => {
    const timer = timers.get(record);
    if (timer) clock.clearTimeout(timer);
    timers.delete(record);
  };

  const removeSchedule = (record: ScheduleRecord) => {
    disarm(record);
    if (schedules.get(key(record.GroupName, record.Name)) === record)
      schedules.delete(key(record.GroupName, record.Name));
  };

  const arm = (record: ScheduleRecord, after: number) => {
    disarm(record);
    if (stopping || record.State !== 'ENABLED' || record.completed) return;
    const expression = expressions.get(record) ?? parseExpression(record.ScheduleExpression);
    expressions.set(record, expression);
    const due = nextDue(expression, after, {
      timeZone: record.ScheduleExpressionTimezone,
      anchor: (record.StartDate ?? record.CreationDate) * 1000,
      startDate: record.StartDate === undefined ? undefined : record.StartDate * 1000,
      endDate: record.EndDate === undefined ? undefined : record.EndDate * 1000,
    });
    if (due === undefined) {
      // A recurring schedule past its EndDate has completed.
      if (expression.kind !== 'at' && record.ActionAfterCompletion === 'DELETE') {
        removeSchedule(record);
        persistInBackground();
      }
      return;
    }
    const wait = () => {
      const remaining = due - clock.now();
      const timer = clock.setTimeout(
        () => {
          timers.delete(record);
          if (due - clock.now() > 0) wait();
          else fire(record, due, expression);
        },
        Math.min(Math.max(0, remaining), MAX_TIMER_MS),
      );
      timers.set(record, timer);
    };
    wait();
  };

  const fire = (record: ScheduleRecord, due: number, expression: ScheduleExpression) => {
    metrics.fired++;
    record.lastDue = due;
    const oneTime = expression.kind === 'at';
    if (oneTime) record.completed = true;
    else arm(record, Math.max(due, clock.now()));
    persistInBackground();
    deliver(record, due, 1, randomBytes(8).toString('hex'));
  };

  const completed = (record: ScheduleRecord) => {
    const expression = expressions.get(record);
    if (expression?.kind === 'at' && record.ActionAfterCompletion === 'DELETE') {
      removeSchedule(record);
      persistInBackground();
    }
  };

  const deliver = (record: ScheduleRecord, due: number, attempt: number, executionId: string) => {
    const arn = arnOf(record);
    const input = (record.Target.Input ?? (record.managed ? DEFAULT_SCHEDULE_INPUT : '{}'))
      .replaceAll('<aws.scheduler.schedule-arn>', arn)
      .replaceAll('<aws.scheduler.scheduled-time>', isoSeconds(due))
      .replaceAll('<aws.scheduler.execution-id>', executionId)
      .replaceAll('<aws.scheduler.attempt-number>', String(attempt));
    const destination = destinationOf(record.Target.Arn);
    let payload: unknown;
    let call: () => unknown;
    if (destination?.kind === 'event-bus') {
      const parameters = record.Target.EventBridgeParameters ?? { DetailType: '', Source: '' };
      const entry: ScheduledEvent = {
        EventBusName: destination.busName,
        Source: parameters.Source,
        DetailType: parameters.DetailType,
        Detail: input,
        Resources: [arn],
        Time: new Date(due),
      };
      payload = entry;
      call = () => options.putEvents(entry);
    } else if (destination?.kind === 'function' && options.invoke) {
      const invoke = options.invoke;
      let event: unknown = input;
      try {
        event = JSON.parse(input);
      } catch {
        // Scheduler passes a non-JSON Input through as it is
      }
      payload = event;
      call = () => invoke(destination.functionName, event);
    } else {
      payload = input;
      call = () => {
        throw new Error(`no way to deliver to ${record.Target.Arn}`);
      };
    }

    const failed = (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      const { MaximumRetryAttempts, MaximumEventAgeInSeconds } = record.Target.RetryPolicy;
      const backoff = Math.min(60_000, 1000 * 2 ** (attempt - 1));
      const withinAge = clock.now() + backoff - due < MaximumEventAgeInSeconds * 1000;
      if (!stopping && attempt <= MaximumRetryAttempts && withinAge) {
        metrics.retried++;
        const timer = clock.setTimeout(() => {
          retryTimers.delete(timer);
          deliver(record, due, attempt + 1, executionId);
        }, backoff);
        retryTimers.add(timer);
        return;
      }
      metrics.failed++;
      const deadLetterArn = record.Target.DeadLetterConfig?.Arn;
      failures.push({
        scheduleArn: arn,
        scheduledTime: isoSeconds(due),
        attempts: attempt,
        error: message,
        ...(deadLetterArn ? { deadLetterArn } : {}),
        payload,
      });
      log(`schedule ${arn} gave up after ${attempt} attempt(s): ${message}`);
      completed(record);
    };
    const succeeded = () => {
      metrics.delivered++;
      completed(record);
    };

    let result: unknown;
    try {
      result = call();
    } catch (error) {
      failed(error);
      return;
    }
    if (result instanceof Promise) {
      const settled = result.then(succeeded, failed);
      inFlight.add(settled);
      void settled.finally(() => inFlight.delete(settled));
    } else {
      succeeded();
    }
  };

  const add = (record: ScheduleRecord, expression: ScheduleExpression) => {
    schedules.set(key(record.GroupName, record.Name), record);
    expressions.set(record, expression);
    // A one-time schedule falls due at its `at` time even if that has passed (it then fires at
    // once); a recurring one counts from its last occurrence, or from when it was created.
    const after =
      record.lastDue ?? (expression.kind === 'at' ? Number.NEGATIVE_INFINITY : record.CreationDate * 1000);
    arm(record, after);
  };

  // ---- restore ----
  const now = nowSeconds();
  groups.set(DEFAULT_GROUP, {
    Name: DEFAULT_GROUP,
    State: 'ACTIVE',
    CreationDate: now,
    LastModificationDate: now,
  });
  if (file) {
    const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (text !== undefined) {
      const stored = JSON.parse(text) as StoreFile;
      for (const group of stored.groups) groups.set(group.Name, group);
      for (const record of stored.schedules) add(record, parseExpression(record.ScheduleExpression));
    }
  }

  // ---- API ----
  const findGroup = (name: string) => {
    const group = groups.get(name);
    if (!group)
      throw new SchedulerError('ResourceNotFoundException', `Schedule group ${name} does not exist.`);
    return group;
  };
  const findSchedule = (group: string, name: string) => {
    const record = schedules.get(key(group, name));
    if (!record) throw new SchedulerError('ResourceNotFoundException', `Schedule ${name} does not exist.`);
    return record;
  };

  const createSchedule = async (name: string, body: Record<string, unknown>) => {
    const { record, expression } = checkScheduleInput(name, body, options.invoke !== undefined);
    findGroup(record.GroupName);
    if (schedules.has(key(record.GroupName, name))) {
      throw new SchedulerError('ConflictException', `Schedule ${name} already exists.`);
    }
    const now = nowSeconds();
    const created: ScheduleRecord = { ...record, CreationDate: now, LastModificationDate: now };
    add(created, expression);
    await persist();
    return { ScheduleArn: arnOf(created) };
  };

  const updateSchedule = async (name: string, body: Record<string, unknown>) => {
    const { record, expression } = checkScheduleInput(name, body, options.invoke !== undefined);
    const existing = findSchedule(record.GroupName, name);
    if (existing.managed)
      throw new SchedulerError('ValidationException', `Schedule ${name} is managed by the runtime.`);
    removeSchedule(existing);
    const updated: ScheduleRecord = {
      ...record,
      CreationDate: existing.CreationDate,
      LastModificationDate: nowSeconds(),
    };
    add(updated, expression);
    await persist();
    return { ScheduleArn: arnOf(updated) };
  };

  const deleteSchedule = async (name: string, group: string) => {
    const record = findSchedule(group, name);
    if (record.managed)
      throw new SchedulerError('ValidationException', `Schedule ${name} is managed by the runtime.`);
    removeSchedule(record);
    await persist();
    return {};
  };

  const listSchedules = (query: URLSearchParams) => {
    const group = query.get('ScheduleGroup');
    const prefix = query.get('NamePrefix') ?? '';
    const state = query.get('State');
    const matching = [...schedules.values()]
      .filter(
        (record) =>
          (group === null || record.GroupName === group) &&
          record.Name.startsWith(prefix) &&
          (state === null || record.State === state),
      )
      .sort((a, b) => key(a.GroupName, a.Name).localeCompare(key(b.GroupName, b.Name)));
    const { items, nextToken } = page(matching, query);
    return {
      Schedules: items.map((record) => scheduleSummary(record, arnOf(record))),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  };

  const groupOutput = (group: GroupRecord) => ({ Arn: groupArn(region, account, group.Name), ...group });

  const createGroup = async (name: string) => {
    if (!isName(name)) {
      throw new SchedulerError(
        'ValidationException',
        `1 validation error detected: Value '${name}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[0-9a-zA-Z-_.]+$`,
      );
    }
    if (groups.has(name))
      throw new SchedulerError('ConflictException', `Schedule group ${name} already exists.`);
    const now = nowSeconds();
    groups.set(name, { Name: name, State: 'ACTIVE', CreationDate: now, LastModificationDate: now });
    await persist();
    return { ScheduleGroupArn: groupArn(region, account, name) };
  };

  const deleteGroup = async (name: string) => {
    findGroup(name);
    if (name === DEFAULT_GROUP)
      throw new SchedulerError('ValidationException', 'The default schedule group cannot be deleted.');
    for (const record of [...schedules.values()]) if (record.GroupName === name) removeSchedule(record);
    groups.delete(name);
    await persist();
    return {};
  };

  const route = async (method: string, url: URL, req: IncomingMessage): Promise<unknown> => {
    const parts = url.pathname
      .split('/')
      .filter(Boolean)
      .map((part) => {
        try {
          return decodeURIComponent(part);
        } catch {
          throw new SchedulerError('ValidationException', `Invalid percent-encoding in ${url.pathname}.`);
        }
      });
    const query = url.searchParams;
    const [collection, name] = parts;
    if (collection === 'schedules' && parts.length === 2 && name !== undefined) {
      const group = query.get('groupName') ?? DEFAULT_GROUP;
      if (method === 'POST') return createSchedule(name, await readJson(req));
      if (method === 'PUT') return updateSchedule(name, await readJson(req));
      if (method === 'GET') {
        const record = findSchedule(group, name);
        return scheduleOutput(record, arnOf(record));
      }
      if (method === 'DELETE') return deleteSchedule(name, group);
    }
    if (collection === 'schedules' && parts.length === 1 && method === 'GET') return listSchedules(query);
    if (collection === 'schedule-groups' && parts.length === 2 && name !== undefined) {
      if (method === 'POST') {
        await readJson(req);
        return createGroup(name);
      }
      if (method === 'GET') return groupOutput(findGroup(name));
      if (method === 'DELETE') return deleteGroup(name);
    }
    if (collection === 'schedule-groups' && parts.length === 1 && method === 'GET') {
      const prefix = query.get('NamePrefix') ?? '';
      const matching = [...groups.values()]
        .filter((group) => group.Name.startsWith(prefix))
        .sort((a, b) => a.Name.localeCompare(b.Name));
      const { items, nextToken } = page(matching, query);
      return { ScheduleGroups: items.map(groupOutput), ...(nextToken ? { NextToken: nextToken } : {}) };
    }
    throw new SchedulerError(
      'UnknownOperationException',
      `The local Scheduler does not implement ${method} ${url.pathname}.`,
    );
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    try {
      const result = await route(req.method ?? 'GET', new URL(req.url ?? '/', 'http://scheduler.local'), req);
      sendJson(res, 200, result, requestId);
    } catch (error) {
      req.resume();
      if (error instanceof SchedulerError) {
        sendJson(res, error.status, { Message: error.message }, requestId, error.type);
      } else {
        log(`request failed: ${(error as Error).message}`);
        sendJson(res, 500, { Message: 'Internal server error.' }, requestId, 'InternalServerException');
      }
    }
  };

  const { server, port } = await serveOnLoopback(handle, {
    ...(options.port ? { port: options.port } : {}),
    log,
  });

  const idle = async () => {
    while (inFlight.size > 0) await Promise.all(inFlight);
  };

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    registerRecurring: (schedule) => {
      const expression = parseExpression(schedule.expression);
      if (expression.kind === 'at')
        throw new Error(`Topology schedule ${schedule.name} must recur: ${schedule.expression}`);
      if (!isName(schedule.name)) throw new Error(`Invalid schedule name ${schedule.name}`);
      if (schedules.has(key(DEFAULT_GROUP, schedule.name)))
        throw new Error(`Schedule ${schedule.name} already exists`);
      const now = nowSeconds();
      const record: ScheduleRecord = {
        Name: schedule.name,
        GroupName: DEFAULT_GROUP,
        ScheduleExpression: schedule.expression,
        ScheduleExpressionTimezone: schedule.timezone ?? 'UTC',
        State: 'ENABLED',
        Target: {
          Arn: `arn:aws:lambda:${region}:${account}:function:${schedule.functionName}`,
          RoleArn: `arn:aws:iam::${account}:role/samskapa-local-scheduler`,
          ...(schedule.input === undefined ? {} : { Input: schedule.input }),
          RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
        },
        FlexibleTimeWindow: { Mode: 'OFF' },
        ActionAfterCompletion: 'NONE',
        CreationDate: now,
        LastModificationDate: now,
        managed: true,
      };
      add(record, expression);
      return arnOf(record);
    },
    metrics: () => ({ ...metrics }),
    failures: () => [...failures],
    idle,
    stop: () => {
      stopped ??= (async () => {
        stopping = true;
        for (const record of [...timers.keys()]) disarm(record);
        for (const timer of retryTimers) clock.clearTimeout(timer);
        retryTimers.clear();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await idle();
        await writes.catch(() => undefined);
      })();
      return stopped;
    },
  };
}
