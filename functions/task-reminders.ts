/**
 * Task reminders. Task.Created with a due date -> a one-time EventBridge Scheduler schedule that puts
 * `Task.DueReached` on the pipeline bus at that time. Task.DueReached -> if the task is still open,
 * Task.Overdue and a taskOverdue email (Notification.Requested), reported once.
 *
 * Idempotency: the schedule's name comes from the task, so a redelivered Task.Created meets
 * ConflictException (already scheduled: success). The reminder is not a catalog event and Scheduler
 * may deliver it more than once with different event ids, so the facts get ids derived from (task,
 * due time): the same reminder is the same event, a GetItem on its timeline row finds it reported, and
 * the outbox's conditional write refuses a racing duplicate (thrown, retried, then found).
 */
import { createHash } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { ConflictException, CreateScheduleCommand } from '@aws-sdk/client-scheduler';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import type { PipelineEvent } from '../events/catalog.ts';
import * as E from '../events/catalog.ts';
import { deterministicEventId, Id } from '../events/envelope.ts';
import { NotFoundError } from '../shared/domain/errors.ts';
import { processes, schedulerClient } from '../shared/runtime/clients.ts';
import { resources } from '../shared/runtime/environment.ts';
import { type BusEvent, loggerFor, pipelineEventHandler } from '../shared/runtime/event-handler.ts';
import { SCHEDULER_SOURCE } from './topology.ts';

const NAME = 'taskReminders';
const ACTOR = { kind: 'system', id: NAME } as const;
export const DUE_REACHED = 'Task.DueReached';
/** A reminder is never scheduled in the past: Scheduler fires within the minute anyway. */
export const MIN_LEAD_MS = 60_000;

/** What the schedule puts on the bus (its Input); validated on the way back. */
export const DueReached = z.object({
  orgId: Id,
  placeId: Id,
  processId: Id,
  taskId: Id,
  dueAt: z.iso.datetime(),
  correlationId: z.string().min(1).max(64),
});
export type DueReached = z.infer<typeof DueReached>;

export class SchedulerConfigurationError extends Error {
  override readonly name = 'SchedulerConfigurationError';
}

/** Schedule names are unique in their group, 1-64 of [0-9A-Za-z_.-]; this one is stable per task. */
export function reminderName(orgId: string, processId: string, taskId: string): string {
  const digest = createHash('sha256').update(`${orgId}/${processId}/${taskId}`).digest('hex');
  const readable = `task-${taskId}-${digest.slice(0, 10)}`;
  return readable.length <= 64 ? readable : `task-${digest.slice(0, 40)}`;
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, never earlier than a minute from now. */
export function atExpression(dueAt: string, now = Date.now()): string {
  const at = Math.max(Date.parse(dueAt), now + MIN_LEAD_MS);
  return `at(${new Date(at).toISOString().slice(0, 19)})`;
}

/** The pipeline bus's ARN: partition and account from the scheduler role, region from the function's. */
export function eventBusArn(): string {
  const role = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/.+$/.exec(resources.schedulerRoleArn);
  if (!role) {
    throw new SchedulerConfigurationError(
      `SCHEDULER_ROLE_ARN is not an IAM role ARN: ${resources.schedulerRoleArn}`,
    );
  }
  const region = process.env.AWS_REGION;
  if (!region) throw new SchedulerConfigurationError('AWS_REGION is not set');
  return `arn:${role[1]}:events:${region}:${role[2]}:event-bus/${resources.eventBusName}`;
}

const onTaskCreated = pipelineEventHandler({
  name: NAME,
  accepts: ['Task.Created'],
  handle: async (event, { logger }) => {
    const { taskId, dueAt } = event.data;
    if (!dueAt) return;
    const { orgId, placeId, processId, correlationId } = event.metadata;
    const input: DueReached = { orgId, placeId, processId, taskId, dueAt, correlationId };
    try {
      await schedulerClient().send(
        new CreateScheduleCommand({
          Name: reminderName(orgId, processId, taskId),
          GroupName: resources.scheduleGroup,
          Description: `Reminder: task ${taskId} of process ${processId} is due`,
          ScheduleExpression: atExpression(dueAt),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Target: {
            Arn: eventBusArn(),
            RoleArn: resources.schedulerRoleArn,
            Input: JSON.stringify(input),
            EventBridgeParameters: { DetailType: DUE_REACHED, Source: SCHEDULER_SOURCE },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          },
        }),
      );
      logger.info('reminder scheduled', { taskId, dueAt });
    } catch (error) {
      // The schedule's name is the task's: a conflict is this reminder, created by an earlier delivery.
      if (!(error instanceof ConflictException)) throw error;
      logger.info('reminder already scheduled', { taskId });
    }
  },
});

const logger = loggerFor(NAME);
const onDueReached = middy<BusEvent, void, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (raw) => {
    const reminder = DueReached.parse(raw.detail);
    const { orgId, processId, taskId, dueAt } = reminder;
    logger.appendKeys({ eventId: raw.id, eventType: DUE_REACHED, processId });
    const store = processes();
    const stored = await store.load(orgId, processId);
    if (!stored) throw new NotFoundError('process', processId);
    const { state } = stored;
    const task = state.tasks[taskId];
    if (!task) throw new NotFoundError('task', taskId);
    // Done, already overdue, or moved to another due time (a later reminder covers that one).
    if (task.status !== 'open' || task.overdue || task.dueAt !== dueAt) {
      logger.info('task needs no reminder', { taskId, status: task.status, overdue: task.overdue });
      return;
    }

    const at = Date.parse(dueAt);
    const overdueId = factId(`${orgId}/${processId}/${taskId}@${dueAt}/overdue`, at);
    if (await recordedFact(orgId, processId, overdueId)) {
      logger.info('task already reported overdue', { taskId });
      return;
    }
    const notifyId = factId(`${orgId}/${processId}/${taskId}@${dueAt}/notify`, at);
    const metadata = {
      orgId,
      placeId: state.placeId,
      processId,
      correlationId: state.correlationId,
      causationId: raw.id,
      actor: ACTOR,
      depth: 1,
    };
    const emitted: PipelineEvent[] = [
      E.TaskOverdue.create({ metadata: { ...metadata, id: overdueId }, data: { taskId, dueAt } }),
      E.NotificationRequested.create({
        metadata: { ...metadata, id: notifyId },
        data: {
          notificationId: `n-${notifyId}`,
          template: 'taskOverdue',
          audience: [task.role],
          subject: { kind: 'task', id: taskId },
        },
      }),
    ];
    await store.report({ orgId, processId, emitted });
    logger.info('task overdue', { taskId });
  });

/** Two triggers, one function: the scheduler's reminders and the pipeline's Task.Created. */
export const handler = (raw: BusEvent, context: Context): Promise<void> =>
  raw.source === SCHEDULER_SOURCE && raw['detail-type'] === DUE_REACHED
    ? onDueReached(raw, context)
    : onTaskCreated(raw, context);

const factId = deterministicEventId;

/** The event with this id from the process timeline, if it was recorded. */
const recordedFact = (orgId: string, processId: string, eventId: string) =>
  processes().event(orgId, processId, eventId);
