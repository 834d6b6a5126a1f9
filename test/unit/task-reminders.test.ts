/** Task reminders with mocked Scheduler and DynamoDB: the schedule it creates, the overdue facts, exactly once. */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { ConflictException, CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ZodError } from 'zod';
import * as E from '../../events/catalog.ts';
import { isEvent, type PipelineEvent } from '../../events/catalog.ts';
import { atExpression, DUE_REACHED, handler, reminderName } from '../../functions/task-reminders.ts';
import { PIPELINE_SOURCE, SCHEDULER_SOURCE } from '../../functions/topology.ts';
import { NotFoundError } from '../../shared/domain/errors.ts';
import type { ProcessState } from '../../shared/domain/process.ts';
import { run, startCommand } from '../support/process.ts';

// Loggers are created when the handler module loads: quiet them before the imports run.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

const docs = mockClient(DynamoDBDocumentClient);
const scheduler = mockClient(SchedulerClient);
const context = {
  functionName: 'taskReminders',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
} as Context;
const ROLE = 'arn:aws:iam::123456789012:role/samskapa-scheduler';

beforeAll(() => {
  Object.assign(process.env, {
    TABLE_NAME: 'samskapa-test',
    EVENT_BUS_NAME: 'samskapa',
    SCHEDULE_GROUP: 'samskapa-reminders',
    SCHEDULER_ROLE_ARN: ROLE,
    AWS_REGION: 'eu-north-1',
  });
});
beforeEach(() => {
  docs.reset();
  scheduler.reset();
  vi.useFakeTimers({ now: Date.UTC(2026, 2, 2, 8), toFake: ['Date'] });
});
afterEach(() => vi.useRealTimers());

const started = run([startCommand()]);
const taskCreated = started.events.find((e) => isEvent(e, 'Task.Created')) as PipelineEvent & {
  data: { taskId: string; dueAt: string };
};

const pipelineEvent = (event: PipelineEvent) => ({
  version: '0',
  id: '0d0e3a3c-56a8-4f6c-b2f4-6a3e2f7d9a10',
  'detail-type': event.metadata.type,
  source: PIPELINE_SOURCE,
  account: '123456789012',
  time: event.metadata.occurredAt,
  region: 'eu-north-1',
  resources: [],
  detail: event,
});

const reminder = (detail: Record<string, unknown> = {}, id = '5f7c1c2e-5c43-4e9e-9a53-0f0d3b1c2a11') => ({
  version: '0',
  id,
  'detail-type': DUE_REACHED,
  source: SCHEDULER_SOURCE,
  account: '123456789012',
  time: taskCreated.data.dueAt,
  region: 'eu-north-1',
  resources: ['arn:aws:scheduler:eu-north-1:123456789012:schedule/samskapa-reminders/x'],
  detail: {
    orgId: 'org-jh',
    placeId: 'hede',
    processId: 'proc-hede',
    taskId: taskCreated.data.taskId,
    dueAt: taskCreated.data.dueAt,
    correlationId: started.state.correlationId,
    ...detail,
  },
});

describe('on Task.Created', () => {
  it('creates a one-time schedule at the due time that puts Task.DueReached on the pipeline bus', async () => {
    scheduler.on(CreateScheduleCommand).resolves({ ScheduleArn: 'arn:x' });
    await handler(pipelineEvent(taskCreated), context);
    const [call] = scheduler.commandCalls(CreateScheduleCommand);
    const input = call?.args[0].input;
    expect(input).toMatchObject({
      Name: reminderName('org-jh', 'proc-hede', taskCreated.data.taskId),
      GroupName: 'samskapa-reminders',
      ScheduleExpression: `at(${taskCreated.data.dueAt.slice(0, 19)})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Target: {
        Arn: 'arn:aws:events:eu-north-1:123456789012:event-bus/samskapa',
        RoleArn: ROLE,
        EventBridgeParameters: { DetailType: 'Task.DueReached', Source: 'samskapa.scheduler' },
      },
    });
    expect(JSON.parse(input?.Target?.Input ?? '')).toEqual(reminder().detail);
    expect(input?.Name).toMatch(/^task-[A-Za-z0-9_-]+-[0-9a-f]{10}$/);
  });

  it('treats ConflictException as already scheduled, and rethrows anything else', async () => {
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ConflictException({ message: 'exists', Message: 'exists', $metadata: {} }));
    await expect(handler(pipelineEvent(taskCreated), context)).resolves.toBeUndefined();
    scheduler
      .on(CreateScheduleCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(handler(pipelineEvent(taskCreated), context)).rejects.toThrow('Rate exceeded');
  });

  it('schedules nothing for a task without a due date', async () => {
    const { dueAt: _d, ...data } = taskCreated.data;
    await handler(pipelineEvent({ ...taskCreated, data } as PipelineEvent), context);
    expect(scheduler.commandCalls(CreateScheduleCommand)).toHaveLength(0);
  });

  it('never schedules in the past, and names schedules stably within 64 characters', () => {
    expect(atExpression('2026-03-01T09:00:00.000Z', Date.UTC(2026, 2, 2, 8))).toBe('at(2026-03-02T08:01:00)');
    expect(reminderName('o', 'p', 't')).toBe(reminderName('o', 'p', 't'));
    expect(reminderName('o', 'p', 't')).not.toBe(reminderName('o', 'q', 't'));
    expect(reminderName('o', 'p', 'x'.repeat(64))).toMatch(/^task-[0-9a-f]{40}$/);
  });
});

describe('on Task.DueReached', () => {
  /** The process row, and the timeline row of the overdue fact when `recorded`. */
  const given = (state: ProcessState | undefined, recorded = false) => {
    const overdue = E.TaskOverdue.create({
      metadata: {
        ...started.events[0]?.metadata,
        causationId: 'x',
        actor: { kind: 'system', id: 'taskReminders' },
      } as never,
      data: { taskId: taskCreated.data.taskId, dueAt: taskCreated.data.dueAt },
    });
    docs.on(GetCommand).callsFake((input) => {
      if (input.Key.sk === 'STATE') return state ? { Item: { state, version: 3 } } : {};
      return recorded ? { Item: { detail: JSON.stringify(overdue) } } : {};
    });
    docs.on(TransactWriteCommand).resolves({});
  };

  it('reports Task.Overdue and a taskOverdue email for an open task, with ids derived from the task and due time', async () => {
    given(started.state);
    await handler(reminder(), context);
    const items = docs.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    const outbox = items
      .filter((i) => i.Put?.Item?.itemType === 'outbox')
      .map((i) => JSON.parse(i.Put?.Item?.detail));
    expect(outbox.map((e) => e.metadata.type)).toEqual(['Task.Overdue', 'Notification.Requested']);
    expect(outbox[0].data).toEqual({ taskId: taskCreated.data.taskId, dueAt: taskCreated.data.dueAt });
    expect(outbox[1].data).toEqual({
      notificationId: `n-${outbox[1].metadata.id}`,
      template: 'taskOverdue',
      audience: ['facilitator'],
      subject: { kind: 'task', id: taskCreated.data.taskId },
    });
    expect(outbox[0].metadata).toMatchObject({
      causationId: reminder().id,
      actor: { kind: 'system', id: 'taskReminders' },
      correlationId: started.state.correlationId,
    });
    // No inbox item: the reminder is not a catalog event; the derived ids make the facts unique.
    expect(items.some((i) => String(i.Put?.Item?.sk).startsWith('INBOX#'))).toBe(false);

    // The same reminder delivered again (by Scheduler, with another event id) derives the same ids.
    docs.reset();
    given(started.state);
    await handler(reminder({}, 'another-delivery-id'), context);
    const again = (docs.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [])
      .filter((i) => i.Put?.Item?.itemType === 'outbox')
      .map((i) => JSON.parse(i.Put?.Item?.detail).metadata.id);
    expect(again).toEqual(outbox.map((e) => e.metadata.id));
  });

  it('reports nothing when the overdue fact is already in the timeline', async () => {
    given(started.state, true);
    await handler(reminder(), context);
    expect(docs.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  it('rethrows the conditional failure of a racing duplicate, so the retry finds the fact', async () => {
    given(started.state);
    docs.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [
          { Code: 'None' },
          { Code: 'ConditionalCheckFailed' },
          { Code: 'None' },
          { Code: 'None' },
        ],
      }),
    );
    await expect(handler(reminder(), context)).rejects.toThrow(TransactionCanceledException);
  });

  it('reports nothing for a task that is done, already overdue, or due at another time', async () => {
    const taskId = taskCreated.data.taskId;
    const withTask = (task: Partial<ProcessState['tasks'][string]>) =>
      ({
        ...started.state,
        tasks: { ...started.state.tasks, [taskId]: { ...started.state.tasks[taskId], ...task } },
      }) as ProcessState;
    for (const state of [
      withTask({ status: 'done' }),
      withTask({ overdue: true }),
      withTask({ dueAt: '2026-04-01T09:00:00.000Z' }),
    ]) {
      docs.reset();
      given(state);
      await handler(reminder(), context);
      expect(docs.commandCalls(TransactWriteCommand)).toHaveLength(0);
    }
  });

  it('validates the reminder and fails clearly for an unknown process or task', async () => {
    given(started.state);
    await expect(handler(reminder({ dueAt: 'tomorrow' }), context)).rejects.toThrow(ZodError);
    await expect(handler(reminder({ taskId: 'no-such-task' }), context)).rejects.toThrow(NotFoundError);
    docs.reset();
    given(undefined);
    await expect(handler(reminder(), context)).rejects.toThrow(/process proc-hede was not found/);
  });
});
