/**
 * Task reminders against the local runtime with the real SDK: a Task.Created creates a real one-time
 * schedule in the local EventBridge Scheduler (once, however often delivered), and the reminder it will
 * put on the bus, delivered twice, reports the open task overdue once.
 */
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEvent, type PipelineEvent } from '../../events/catalog.ts';
import { PIPELINE_SOURCE, SCHEDULER_SOURCE } from '../../functions/topology.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { handle } from '../../shared/domain/process.ts';
import { changeProcess } from '../../shared/store/process-store.ts';
import { startCommand } from '../support/process.ts';

let cloud: LocalCloud;
let scheduler: SchedulerClient;
const ids = { orgId: 'org-jh', processId: 'proc-hede' };
const context = {
  functionName: 'taskReminders',
  awsRequestId: 'it-1',
  getRemainingTimeInMillis: () => 30_000,
} as Context;

beforeAll(async () => {
  cloud = await startLocalCloud({ topology: [] });
  Object.assign(process.env, cloud.environment, {
    SCHEDULE_GROUP: 'default',
    SCHEDULER_ROLE_ARN: 'arn:aws:iam::000000000000:role/samskapa-scheduler',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  });
  scheduler = new SchedulerClient({});
});
afterAll(() => cloud?.stop());

// Imported after the environment is set: the clients read their endpoints when first created.
const runtime = async () => ({
  ...(await import('../../functions/task-reminders.ts')),
  ...(await import('../../shared/runtime/clients.ts')),
});

const busEvent = (event: PipelineEvent) => ({
  version: '0',
  id: `it-${event.metadata.id}`,
  'detail-type': event.metadata.type,
  source: PIPELINE_SOURCE,
  account: '000000000000',
  time: event.metadata.occurredAt,
  region: cloud.endpoints.region,
  resources: [],
  detail: event,
});

describe('task reminders on the local runtime', () => {
  it('schedules a reminder per task once, and reports the task overdue once when it comes', async () => {
    const { handler, reminderName, processes } = await runtime();
    // Started now, so the first task is due in a week.
    const started = await changeProcess(processes(), ids, (current) => {
      const next = handle(current?.state, startCommand());
      return { state: next.state, emitted: next.events };
    });
    const task = started.emitted.find((e) => isEvent(e, 'Task.Created')) as PipelineEvent & {
      data: { taskId: string; dueAt: string; key: string };
    };
    expect(task.data.key).toBe('plan-interviews');

    await handler(busEvent(task), context);
    await handler(busEvent(task), context); // redelivered: the schedule exists, which is success

    const schedule = await scheduler.send(
      new GetScheduleCommand({
        Name: reminderName(ids.orgId, ids.processId, task.data.taskId),
        GroupName: 'default',
      }),
    );
    expect(schedule).toMatchObject({
      ScheduleExpression: `at(${task.data.dueAt.slice(0, 19)})`,
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      ActionAfterCompletion: 'DELETE',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: 'arn:aws:events:eu-north-1:000000000000:event-bus/samskapa',
        RoleArn: 'arn:aws:iam::000000000000:role/samskapa-scheduler',
        EventBridgeParameters: { DetailType: 'Task.DueReached', Source: 'samskapa.scheduler' },
      },
    });

    // What Scheduler puts on the bus at the due time, delivered twice with different event ids.
    const reminder = (id: string) => ({
      version: '0',
      id,
      'detail-type': 'Task.DueReached',
      source: SCHEDULER_SOURCE,
      account: '000000000000',
      time: task.data.dueAt,
      region: cloud.endpoints.region,
      resources: [schedule.Arn ?? ''],
      detail: JSON.parse(schedule.Target?.Input ?? '{}'),
    });
    await handler(reminder('first-delivery'), context);
    await handler(reminder('second-delivery'), context);

    const timeline = await processes().timeline(ids.orgId, ids.processId);
    const overdue = timeline.filter((e) => isEvent(e, 'Task.Overdue'));
    expect(overdue).toHaveLength(1);
    expect(overdue[0]?.data).toEqual({ taskId: task.data.taskId, dueAt: task.data.dueAt });
    const emails = timeline.filter(
      (e) => isEvent(e, 'Notification.Requested') && e.data.template === 'taskOverdue',
    );
    expect(emails).toHaveLength(1);
    expect(emails[0]?.data).toMatchObject({
      audience: ['facilitator'],
      subject: { kind: 'task', id: task.data.taskId },
    });
  });
});
