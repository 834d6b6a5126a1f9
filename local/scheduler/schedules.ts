/**
 * Schedules and schedule groups as EventBridge Scheduler stores them: the checks CreateSchedule and
 * UpdateSchedule make, the record kept (and persisted), and the shapes GetSchedule and
 * ListSchedules answer with. Timestamps are epoch seconds, as the REST-JSON protocol carries them.
 */
import { SchedulerError, Validation } from './errors.ts';
import { ExpressionError, isTimeZone, parseExpression, type ScheduleExpression } from './expressions.ts';

export const DEFAULT_GROUP = 'default';
const NAME = /^[0-9a-zA-Z-_.]+$/;
const ROLE_ARN = /^arn:aws(-[a-z]+)?:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const EVENT_BUS_ARN = /^arn:aws(-[a-z]+)?:events:[a-z0-9-]+:\d{12}:event-bus\/([A-Za-z0-9._\-/]+)$/;
const FUNCTION_ARN =
  /^arn:aws(-[a-z]+)?:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(:[A-Za-z0-9$_-]+)?$/;

export interface TargetRecord {
  Arn: string;
  RoleArn: string;
  Input?: string;
  RetryPolicy: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number };
  DeadLetterConfig?: { Arn?: string };
  EventBridgeParameters?: { DetailType: string; Source: string };
  [other: string]: unknown;
}

export interface ScheduleRecord {
  Name: string;
  GroupName: string;
  ScheduleExpression: string;
  ScheduleExpressionTimezone: string;
  StartDate?: number;
  EndDate?: number;
  Description?: string;
  State: 'ENABLED' | 'DISABLED';
  KmsKeyArn?: string;
  Target: TargetRecord;
  FlexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  ActionAfterCompletion: 'NONE' | 'DELETE';
  CreationDate: number;
  LastModificationDate: number;
  /** Local bookkeeping: the scheduled time (ms) of the last occurrence that fired. */
  lastDue?: number;
  /** Local bookkeeping: a one-time schedule that has fired. */
  completed?: boolean;
  /** Registered by the runtime at start (topology schedules); never persisted. */
  managed?: boolean;
}

export interface GroupRecord {
  Name: string;
  State: 'ACTIVE';
  CreationDate: number;
  LastModificationDate: number;
}

/** Where a target delivers, as the local runtime can. */
export type Destination = { kind: 'event-bus'; busName: string } | { kind: 'function'; functionName: string };

export function destinationOf(arn: string): Destination | undefined {
  const bus = EVENT_BUS_ARN.exec(arn);
  if (bus) return { kind: 'event-bus', busName: bus[2] as string };
  const fn = FUNCTION_ARN.exec(arn);
  if (fn) return { kind: 'function', functionName: fn[2] as string };
  return undefined;
}

export const isName = (value: string) => value.length >= 1 && value.length <= 64 && NAME.test(value);

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks a CreateSchedule/UpdateSchedule body; returns the record fields it sets. `canInvoke` says
 * whether Lambda targets can be delivered (the runtime gave an invoke callback).
 */
export function checkScheduleInput(
  name: string,
  body: Json,
  canInvoke: boolean,
): { record: Omit<ScheduleRecord, 'CreationDate' | 'LastModificationDate'>; expression: ScheduleExpression } {
  const v = new Validation();
  v.string('name', name, { max: 64, pattern: NAME });
  const groupName = body.GroupName ?? DEFAULT_GROUP;
  v.string('groupName', groupName, { max: 64, pattern: NAME });
  v.required('scheduleExpression', body.ScheduleExpression);
  v.string('scheduleExpression', body.ScheduleExpression, { max: 256 });
  v.string('scheduleExpressionTimezone', body.ScheduleExpressionTimezone, { max: 50 });
  v.string('description', body.Description, { min: 0, max: 512 });
  v.string('kmsKeyArn', body.KmsKeyArn, { max: 2048 });
  v.oneOf('state', body.State, ['ENABLED', 'DISABLED']);
  v.oneOf('actionAfterCompletion', body.ActionAfterCompletion, ['NONE', 'DELETE']);
  for (const field of ['StartDate', 'EndDate'] as const) {
    const value = body[field];
    if (value !== undefined && value !== null && typeof value !== 'number')
      v.fail(field, value, 'Member must be a timestamp');
  }

  v.required('flexibleTimeWindow', body.FlexibleTimeWindow);
  const window = isObject(body.FlexibleTimeWindow) ? body.FlexibleTimeWindow : undefined;
  if (window) {
    v.required('flexibleTimeWindow.mode', window.Mode);
    v.oneOf('flexibleTimeWindow.mode', window.Mode, ['OFF', 'FLEXIBLE']);
    v.integer('flexibleTimeWindow.maximumWindowInMinutes', window.MaximumWindowInMinutes, 1, 1440);
    if (window.Mode === 'FLEXIBLE' && window.MaximumWindowInMinutes === undefined) {
      v.fail(
        'flexibleTimeWindow.maximumWindowInMinutes',
        null,
        'Member must not be null when mode is FLEXIBLE',
      );
    }
  }

  v.required('target', body.Target);
  const target = isObject(body.Target) ? body.Target : undefined;
  if (target) {
    v.required('target.arn', target.Arn);
    v.string('target.arn', target.Arn, { max: 1600 });
    v.required('target.roleArn', target.RoleArn);
    v.string('target.roleArn', target.RoleArn, { max: 1600, pattern: ROLE_ARN });
    v.string('target.input', target.Input, { max: 262_144 });
    const retry = isObject(target.RetryPolicy) ? target.RetryPolicy : {};
    v.integer('target.retryPolicy.maximumEventAgeInSeconds', retry.MaximumEventAgeInSeconds, 60, 86_400);
    v.integer('target.retryPolicy.maximumRetryAttempts', retry.MaximumRetryAttempts, 0, 185);
    const parameters = isObject(target.EventBridgeParameters) ? target.EventBridgeParameters : undefined;
    if (parameters) {
      v.required('target.eventBridgeParameters.detailType', parameters.DetailType);
      v.string('target.eventBridgeParameters.detailType', parameters.DetailType, { max: 128 });
      v.required('target.eventBridgeParameters.source', parameters.Source);
      v.string('target.eventBridgeParameters.source', parameters.Source, { max: 256 });
    }
  }
  v.throwIfAny();

  const expressionText = body.ScheduleExpression as string;
  const timeZone = (body.ScheduleExpressionTimezone as string | undefined) ?? 'UTC';
  if (!isTimeZone(timeZone)) {
    throw new SchedulerError('ValidationException', `Invalid ScheduleExpressionTimezone ${timeZone}.`);
  }
  let expression: ScheduleExpression;
  try {
    expression = parseExpression(expressionText);
  } catch (error) {
    if (error instanceof ExpressionError) throw new SchedulerError('ValidationException', error.message);
    throw error;
  }
  const startDate = body.StartDate as number | undefined;
  const endDate = body.EndDate as number | undefined;
  if (startDate !== undefined && endDate !== undefined && endDate <= startDate) {
    throw new SchedulerError('ValidationException', 'The EndDate you specify must be after the StartDate.');
  }

  const checkedTarget = target as Json;
  const destination = destinationOf(checkedTarget.Arn as string);
  const input = checkedTarget.Input as string | undefined;
  if (destination?.kind === 'event-bus') {
    if (!isObject(checkedTarget.EventBridgeParameters)) {
      throw new SchedulerError(
        'ValidationException',
        'EventBridgeParameters are required for an event bus target.',
      );
    }
    if (input !== undefined && !isJsonObject(input)) {
      throw new SchedulerError(
        'ValidationException',
        'Target Input for an event bus target must be a JSON object.',
      );
    }
  } else if (destination?.kind === 'function') {
    if (!canInvoke) {
      throw new SchedulerError(
        'ValidationException',
        'This local Scheduler has no Lambda functions to invoke.',
      );
    }
  } else {
    throw new SchedulerError(
      'ValidationException',
      `The local Scheduler delivers to EventBridge event buses and Lambda functions only; ${String(checkedTarget.Arn)} is neither.`,
    );
  }

  const retry = isObject(checkedTarget.RetryPolicy) ? checkedTarget.RetryPolicy : {};
  const record: Omit<ScheduleRecord, 'CreationDate' | 'LastModificationDate'> = {
    Name: name,
    GroupName: groupName as string,
    ScheduleExpression: expressionText,
    ScheduleExpressionTimezone: timeZone,
    ...(startDate !== undefined ? { StartDate: startDate } : {}),
    ...(endDate !== undefined ? { EndDate: endDate } : {}),
    ...(typeof body.Description === 'string' ? { Description: body.Description } : {}),
    State: (body.State as ScheduleRecord['State'] | undefined) ?? 'ENABLED',
    ...(typeof body.KmsKeyArn === 'string' ? { KmsKeyArn: body.KmsKeyArn } : {}),
    Target: {
      ...checkedTarget,
      Arn: checkedTarget.Arn as string,
      RoleArn: checkedTarget.RoleArn as string,
      RetryPolicy: {
        MaximumEventAgeInSeconds: (retry.MaximumEventAgeInSeconds as number | undefined) ?? 86_400,
        MaximumRetryAttempts: (retry.MaximumRetryAttempts as number | undefined) ?? 185,
      },
    },
    FlexibleTimeWindow: window as ScheduleRecord['FlexibleTimeWindow'],
    ActionAfterCompletion:
      (body.ActionAfterCompletion as ScheduleRecord['ActionAfterCompletion'] | undefined) ?? 'NONE',
  };
  return { record, expression };
}

function isJsonObject(text: string): boolean {
  // Context attributes may stand where a JSON value goes (e.g. "attempt": <aws.scheduler.attempt-number>).
  const probe = text.replace(/<aws\.scheduler\.[a-z-]+>/g, '0');
  try {
    return isObject(JSON.parse(probe));
  } catch {
    return false;
  }
}

export const scheduleArn = (region: string, account: string, group: string, name: string) =>
  `arn:aws:scheduler:${region}:${account}:schedule/${group}/${name}`;
export const groupArn = (region: string, account: string, name: string) =>
  `arn:aws:scheduler:${region}:${account}:schedule-group/${name}`;

/** GetSchedule's answer: the record without local bookkeeping. */
export function scheduleOutput(record: ScheduleRecord, arn: string): Json {
  const { lastDue: _lastDue, completed: _completed, managed: _managed, ...visible } = record;
  return { Arn: arn, ...visible };
}

export function scheduleSummary(record: ScheduleRecord, arn: string): Json {
  return {
    Arn: arn,
    Name: record.Name,
    GroupName: record.GroupName,
    State: record.State,
    CreationDate: record.CreationDate,
    LastModificationDate: record.LastModificationDate,
    Target: { Arn: record.Target.Arn },
  };
}
