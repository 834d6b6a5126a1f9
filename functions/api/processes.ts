/** Processes: start one for a place, the board across places, one process, its timeline, its stages. */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { Locale } from '../../events/vocabulary.ts';
import type { Stage } from '../../shared/domain/method.ts';
import { methodByKey, methods } from '../../shared/methods/index.ts';
import { documentClient, processes } from '../../shared/runtime/clients.ts';
import { resources } from '../../shared/runtime/environment.ts';
import { defineRoute, reply } from '../../shared/runtime/http.ts';
import { type FieldError, HttpProblem } from '../../shared/runtime/http-problem.ts';
import { boardGsiPk } from '../../shared/store/keys.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { commandResult, directory, loadProcess, processView, runCommand } from './process.ts';
import { Id, newId, Page, ProcessParams, refineMethodStage, StageKey, Text } from './schemas.ts';

export const CommandResult = z.object({
  processId: Id,
  status: z.enum(['active', 'completed']),
  stage: z.object({ key: z.string(), index: z.number().int() }),
  emitted: z.array(z.string()).describe('The event types the command emitted, in order'),
});

const StartProcess = z.object({
  placeId: Id,
  method: z
    .string()
    .min(1)
    .default('smarta-orter')
    .describe(`One of: ${[...methods.keys()].join(', ')}`),
  locale: Locale.default('sv'),
  facilitators: z.array(Id).min(1).max(20).describe('User ids; the first is assigned the facilitator tasks'),
  overrides: z
    .record(z.string().regex(/^[a-z][a-zA-Z0-9]{1,39}$/), z.number().int())
    .optional()
    .describe('Method parameters for this process, e.g. { "minimumInterviews": 6 }'),
});

const BoardQuery = Page.extend({
  method: z.string().min(1).optional(),
  stage: StageKey.optional().describe('A stage key of the method; needs method'),
  status: z.enum(['active', 'completed']).optional(),
}).superRefine(refineMethodStage);

const BOARD_ATTRIBUTES = [
  'processId',
  'placeId',
  'placeName',
  'municipality',
  'method',
  'locale',
  'status',
  'stageIndex',
  'stageStartedAt',
  'lastEventAt',
];

export const processRoutes = [
  defineRoute({
    operationId: 'startProcess',
    tag: 'processes',
    method: 'POST',
    path: '/processes',
    body: StartProcess,
    fields: { UnknownMethod: 'body.method', InvalidParameter: 'body.overrides' },
    response: { status: 201, description: 'The process started in its first stage', schema: CommandResult },
    errors: [404],
    handle: async ({ caller, body, requestId }) => {
      const facilitators = [...new Set(body.facilitators)];
      const [place, users] = await Promise.all([
        directory().place(caller.orgId, body.placeId),
        Promise.all(facilitators.map((userId) => directory().user(caller.orgId, userId))),
      ]);
      const unknown: FieldError[] = [];
      if (!place) unknown.push({ path: 'body.placeId', message: `place ${body.placeId} was not found` });
      users.forEach((user, i) => {
        if (!user || (user.role !== 'facilitator' && user.role !== 'coordinator'))
          unknown.push({
            path: `body.facilitators.${i}`,
            message: `${facilitators[i]} is not a facilitator or coordinator of the organisation`,
          });
      });
      if (!place || unknown.length > 0)
        throw new HttpProblem(404, 'not-found', 'Not found', 'The body names what does not exist.', unknown);
      const processId = newId();
      const result = await runCommand(caller, requestId, processId, {
        type: 'startProcess',
        processId,
        placeId: place.placeId,
        placeName: place.name,
        municipality: place.municipality,
        method: body.method,
        locale: body.locale,
        facilitators,
        ...(body.overrides ? { overrides: body.overrides } : {}),
      });
      return reply.created(commandResult(result), `/processes/${processId}`);
    },
  }),

  defineRoute({
    operationId: 'listProcesses',
    tag: 'processes',
    method: 'GET',
    path: '/processes',
    query: BoardQuery,
    response: {
      status: 200,
      description: 'The board: processes by method and stage across places (a page; `cursor` for the next)',
    },
    handle: async ({ caller, query }) => {
      const pk = boardGsiPk(caller.orgId);
      const stageIndex =
        query.method && query.stage
          ? methodByKey(query.method).stages.findIndex((s) => s.key === query.stage)
          : undefined;
      const prefix = query.method
        ? `${query.method}#${stageIndex !== undefined ? `${String(stageIndex).padStart(2, '0')}#` : ''}`
        : undefined;
      const startKey = decodeCursor(query.cursor, { attribute: 'gsi1pk', value: pk });
      const names: Record<string, string> = { '#state': 'state' };
      BOARD_ATTRIBUTES.forEach((attribute, i) => {
        names[`#a${i}`] = attribute;
      });
      const page = await documentClient().send(
        new QueryCommand({
          TableName: resources.tableName,
          IndexName: 'byOrg',
          KeyConditionExpression: prefix ? 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)' : 'gsi1pk = :pk',
          ...(query.status
            ? { FilterExpression: `#state.#a${BOARD_ATTRIBUTES.indexOf('status')} = :status` }
            : {}),
          ProjectionExpression: ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'updatedAt']
            .concat(BOARD_ATTRIBUTES.map((_, i) => `#state.#a${i}`))
            .join(', '),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':pk': pk,
            ...(prefix ? { ':prefix': prefix } : {}),
            ...(query.status ? { ':status': query.status } : {}),
          },
          Limit: query.limit,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      const items = (page.Items ?? []).map((item) => {
        const state = item.state as Record<string, string | number>;
        const method = methods.get(String(state.method));
        const stage = method?.stages[Number(state.stageIndex)] as Stage | undefined;
        return {
          processId: state.processId,
          placeId: state.placeId,
          placeName: state.placeName,
          municipality: state.municipality,
          method: state.method,
          locale: state.locale,
          status: state.status,
          stage: { key: stage?.key ?? null, index: state.stageIndex, name: stage?.name ?? null },
          stageStartedAt: state.stageStartedAt,
          lastEventAt: state.lastEventAt,
          updatedAt: item.updatedAt,
        };
      });
      const cursor = encodeCursor(page.LastEvaluatedKey);
      return reply.ok({ items, ...(cursor ? { cursor } : {}) });
    },
  }),

  defineRoute({
    operationId: 'getProcess',
    tag: 'processes',
    method: 'GET',
    path: '/processes/{processId}',
    params: ProcessParams,
    response: { status: 200, description: 'State, current stage with names, counters, open tasks' },
    errors: [404],
    handle: async ({ caller, params }) => reply.ok(processView(await loadProcess(caller, params.processId))),
  }),

  defineRoute({
    operationId: 'getTimeline',
    tag: 'processes',
    method: 'GET',
    path: '/processes/{processId}/timeline',
    params: ProcessParams,
    response: {
      status: 200,
      description: 'Every event of the process, in order (they carry no personal data)',
    },
    errors: [404],
    handle: async ({ caller, params }) => {
      await loadProcess(caller, params.processId);
      return reply.ok({ items: await processes().timeline(caller.orgId, params.processId) });
    },
  }),

  defineRoute({
    operationId: 'completeStage',
    tag: 'processes',
    method: 'POST',
    path: '/processes/{processId}/stages/{stage}/complete',
    params: ProcessParams.extend({ stage: StageKey }),
    body: z.object({ reason: Text(500) }),
    response: {
      status: 200,
      description: 'The stage was completed by hand; the next one started',
      schema: CommandResult,
    },
    errors: [404, 409],
    handle: async ({ caller, params, body, requestId }) =>
      reply.ok(
        commandResult(
          await runCommand(caller, requestId, params.processId, {
            type: 'completeStage',
            stage: params.stage,
            reason: body.reason,
          }),
        ),
      ),
  }),

  defineRoute({
    operationId: 'confirmStage',
    tag: 'processes',
    method: 'POST',
    path: '/processes/{processId}/stages/{stage}/confirm',
    params: ProcessParams.extend({ stage: StageKey }),
    body: z.object({ note: Text(500).optional() }),
    response: { status: 200, description: 'The stage was confirmed ready to close', schema: CommandResult },
    errors: [404, 409],
    handle: async ({ caller, params, body, requestId }) =>
      reply.ok(
        commandResult(
          await runCommand(caller, requestId, params.processId, {
            type: 'confirmStage',
            stage: params.stage,
            ...(body.note ? { note: body.note } : {}),
          }),
        ),
      ),
  }),
];
