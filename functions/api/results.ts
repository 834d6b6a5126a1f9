/**
 * What the pipeline produced: compiled results with links to the report files, the generated guide
 * and its publication at a stable public link, and the tasks (of a process, and the caller's own).
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { type EventOfType, isEvent, type PipelineEvent } from '../../events/catalog.ts';
import { NotReadyError } from '../../shared/domain/errors.ts';
import { taskStatuses } from '../../shared/domain/process.ts';
import { documentClient, processes } from '../../shared/runtime/clients.ts';
import { resources } from '../../shared/runtime/environment.ts';
import { defineRoute, reply } from '../../shared/runtime/http.ts';
import type { Caller } from '../../shared/runtime/http-auth.ts';
import { problems } from '../../shared/runtime/http-problem.ts';
import { assigneeGsiPk, orgPk } from '../../shared/store/keys.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { presignedGet } from './files.ts';
import { commandResult, loadProcess, runCommand, taskTitle } from './process.ts';
import { CommandResult } from './processes.ts';
import { Id, Page, ProcessParams } from './schemas.ts';

/** Links in answers live an hour. */
export const LINK_TTL_SECONDS = 3600;

/**
 * The published guide of a place, in the organisation's partition: written in the transaction that
 * emits Guide.Published, read by the public guide route. (Belongs in shared/store/keys.ts.)
 */
export { publishedGuideSk } from '../../shared/store/keys.ts';

import { publishedGuideSk } from '../../shared/store/keys.ts';
export const guidePath = (orgId: string, placeId: string) => `/guides/${orgId}/${placeId}`;

export interface PublishedGuide {
  placeId: string;
  processId: string;
  guideId: string;
  locale: string;
  path: string;
  keys: { markdown: string; html: string };
  publishedAt: string;
}

function last<T extends PipelineEvent['metadata']['type']>(
  timeline: readonly PipelineEvent[],
  type: T,
  where: (event: EventOfType<T>) => boolean = () => true,
): EventOfType<T> | undefined {
  for (let i = timeline.length - 1; i >= 0; i--) {
    const event = timeline[i] as PipelineEvent;
    if (isEvent(event, type) && where(event)) return event;
  }
  return undefined;
}

async function links<K extends string>(keys: Record<K, string>): Promise<Record<K, string>> {
  const entries = await Promise.all(
    Object.entries<string>(keys).map(async ([name, key]) => [
      name,
      await presignedGet(key, LINK_TTL_SECONDS),
    ]),
  );
  return Object.fromEntries(entries) as Record<K, string>;
}

const expiry = () => new Date(Date.now() + LINK_TTL_SECONDS * 1000).toISOString();

async function generatedGuide(caller: Caller, processId: string) {
  const { state } = await loadProcess(caller, processId);
  const timeline = await processes().timeline(caller.orgId, processId);
  const generated = state.guide
    ? last(timeline, 'Guide.Generated', (e) => e.data.guideId === state.guide?.guideId)
    : undefined;
  return { state, timeline, generated };
}

const TaskView = z.object({
  taskId: Id,
  key: z.string(),
  stage: z.string(),
  role: z.string(),
  assignee: z.string().optional(),
  dueAt: z.string().optional(),
  status: z
    .enum(taskStatuses)
    .describe('open; done (completed by someone); closed (its stage completed without it: no reminders)'),
  overdue: z.boolean(),
});

export const resultRoutes = [
  defineRoute({
    operationId: 'getResults',
    tag: 'results',
    method: 'GET',
    path: '/processes/{processId}/results',
    params: ProcessParams,
    response: {
      status: 200,
      description:
        'The compiled results (Results.Compiled) and presigned links (1 hour) to report.md/html and results.json',
    },
    errors: [404],
    handle: async ({ caller, params }) => {
      await loadProcess(caller, params.processId);
      const timeline = await processes().timeline(caller.orgId, params.processId);
      const compiled = last(timeline, 'Results.Compiled');
      if (!compiled) throw problems.notFound(`the results of ${params.processId} have not been compiled yet`);
      return reply.ok({
        processId: params.processId,
        compiledAt: compiled.metadata.occurredAt,
        ...compiled.data,
        links: await links(compiled.data.reportKeys),
        linksExpireAt: expiry(),
      });
    },
  }),

  defineRoute({
    operationId: 'getGuide',
    tag: 'guides',
    method: 'GET',
    path: '/processes/{processId}/guide',
    params: ProcessParams,
    response: { status: 200, description: 'The generated guide, its status and presigned links (1 hour)' },
    errors: [404],
    handle: async ({ caller, params }) => {
      const { state, timeline, generated } = await generatedGuide(caller, params.processId);
      if (!state.guide || !generated)
        throw problems.notFound(`the guide of ${params.processId} has not been generated yet`);
      const published = last(timeline, 'Guide.Published', (e) => e.data.guideId === generated.data.guideId);
      return reply.ok({
        processId: params.processId,
        guideId: generated.data.guideId,
        locale: generated.data.locale,
        status: state.guide.status,
        generatedAt: generated.metadata.occurredAt,
        ...(published ? { path: published.data.path, publishedAt: published.metadata.occurredAt } : {}),
        links: await links(generated.data.keys),
        linksExpireAt: expiry(),
      });
    },
  }),

  defineRoute({
    operationId: 'publishGuide',
    tag: 'guides',
    method: 'POST',
    path: '/processes/{processId}/guide/publish',
    params: ProcessParams,
    response: {
      status: 200,
      description: 'The guide is published at /guides/{orgId}/{placeId}',
      schema: CommandResult.extend({ guideId: Id, path: z.string(), url: z.url() }),
    },
    errors: [404, 409],
    handle: async ({ caller, params, requestId }) => {
      const { state, generated } = await generatedGuide(caller, params.processId);
      if (!state.guide || !generated)
        throw new NotReadyError(`the guide of ${params.processId} has not been generated yet`);
      const path = guidePath(caller.orgId, state.placeId);
      const { guideId } = generated.data;
      const result = await runCommand(
        caller,
        requestId,
        params.processId,
        { type: 'publishGuide', guideId, path },
        () => {
          const row: PublishedGuide = {
            placeId: state.placeId,
            processId: params.processId,
            guideId,
            locale: generated.data.locale,
            path,
            keys: generated.data.keys,
            publishedAt: new Date().toISOString(),
          };
          return {
            put: [
              {
                pk: orgPk(caller.orgId),
                sk: publishedGuideSk(state.placeId),
                itemType: 'publishedGuide',
                ...row,
              },
            ],
          };
        },
      );
      return reply.ok(commandResult(result, { guideId, path, url: resources.publicApiUrl + path }));
    },
  }),

  defineRoute({
    operationId: 'listProcessTasks',
    tag: 'tasks',
    method: 'GET',
    path: '/processes/{processId}/tasks',
    params: ProcessParams,
    query: z.object({ status: z.enum([...taskStatuses, 'all']).default('open') }),
    response: {
      status: 200,
      description: 'The tasks of the process, soonest due first',
      schema: z.object({ items: z.array(TaskView) }),
    },
    errors: [404],
    handle: async ({ caller, params, query }) => {
      const { state } = await loadProcess(caller, params.processId);
      const items = Object.entries(state.tasks)
        .filter(([, task]) => query.status === 'all' || task.status === query.status)
        .map(([taskId, task]) => ({ taskId, ...task, title: taskTitle(task.key) ?? null }))
        .sort((a, b) => (a.dueAt ?? '9999').localeCompare(b.dueAt ?? '9999'));
      return reply.ok({ items });
    },
  }),

  defineRoute({
    operationId: 'completeTask',
    tag: 'tasks',
    method: 'POST',
    path: '/processes/{processId}/tasks/{taskId}/complete',
    params: ProcessParams.extend({ taskId: Id }),
    response: { status: 200, description: 'The task is done', schema: CommandResult },
    errors: [404, 409],
    handle: async ({ caller, params, requestId }) =>
      reply.ok(
        commandResult(
          await runCommand(caller, requestId, params.processId, {
            type: 'completeTask',
            taskId: params.taskId,
          }),
        ),
      ),
  }),

  defineRoute({
    operationId: 'listMyTasks',
    tag: 'tasks',
    method: 'GET',
    path: '/tasks/mine',
    query: Page,
    response: {
      status: 200,
      description:
        'The caller’s open tasks across processes, soonest due first (a page; `cursor` for the next)',
    },
    handle: async ({ caller, query }) => {
      const pk = assigneeGsiPk(caller.orgId, caller.userId);
      const startKey = decodeCursor(query.cursor, { attribute: 'gsi2pk', value: pk });
      const page = await documentClient().send(
        new QueryCommand({
          TableName: resources.tableName,
          IndexName: 'byAssignee',
          KeyConditionExpression: 'gsi2pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          Limit: query.limit,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      const items = (page.Items ?? []).map((item) => ({
        taskId: item.taskId,
        processId: item.processId,
        placeId: item.placeId,
        key: item.key,
        title: taskTitle(String(item.key)) ?? null,
        stage: item.stage,
        role: item.role,
        dueAt: item.dueAt,
        overdue: item.overdue,
        status: item.status,
      }));
      const cursor = encodeCursor(page.LastEvaluatedKey);
      return reply.ok({ items, ...(cursor ? { cursor } : {}) });
    },
  }),
];
