/**
 * Operations: what the console and `samskapa tail` read. Every event of the organisation in time
 * order (the byOrg index, `ORG#{org}#EVENTS`), every process as a board row with stuck marks (the
 * byOrg index, `ORG#{org}#BOARD`), and one process's timeline as a causal graph. All of it comes
 * from the table, locally and on AWS alike, but the board's `failed` mark, which peeks the failure
 * queues (failures.ts). Events carry no personal data, so neither do these.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { encodeTime } from 'ulid';
import * as z from 'zod';
import { EVENT_TYPE_PATTERN } from '../../events/envelope.ts';
import type { Stage } from '../../shared/domain/method.ts';
import { methodByKey, methods } from '../../shared/methods/index.ts';
import { documentClient, processes } from '../../shared/runtime/clients.ts';
import { resources } from '../../shared/runtime/environment.ts';
import { defineRoute, reply } from '../../shared/runtime/http.ts';
import { boardGsiPk, orgEventsGsiPk, processPk } from '../../shared/store/keys.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { failedProcesses, MAX_PEEK } from './failures.ts';
import { loadProcess } from './process.ts';
import { Id, ProcessParams, refineMethodStage, StageKey } from './schemas.ts';

/** The lowest event id (ULID) of a moment: every event that happened at or after it sorts above. */
export const ulidLowerBound = (ms: number) => `${encodeTime(ms, 10)}${'0'.repeat(16)}`;

/** How far back the flow starts without `since`. */
const DEFAULT_WINDOW_MS = 60 * 60 * 1000;
/** The most events one request reads from the index, matched by the filters or not (the cost bound). */
export const MAX_EVENTS_READ = 2_000;

/**
 * The organisation's events after the event id `after` (exclusive), in id (time) order, from the
 * byOrg index (`ORG#{org}#EVENTS`), one item at a time and at most `maxRead`. What it returns when
 * done: whether the index had more (the cap, not the end, stopped it).
 */
export async function* orgEventItems(
  orgId: string,
  after: string,
  options: { attributes: readonly string[]; maxRead: number; pageSize?: number },
): AsyncGenerator<Record<string, unknown>, boolean> {
  let read = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documentClient().send(
      new QueryCommand({
        TableName: resources.tableName,
        IndexName: 'byOrg',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk > :since',
        ExpressionAttributeValues: { ':pk': orgEventsGsiPk(orgId), ':since': after },
        ProjectionExpression: options.attributes.map((_, i) => `#a${i}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(options.attributes.map((name, i) => [`#a${i}`, name])),
        Limit: Math.min(options.maxRead - read, options.pageSize ?? options.maxRead),
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      read++;
      yield item;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey && read < options.maxRead);
  return startKey !== undefined;
}

const EventsQuery = z.object({
  since: z
    .string()
    .regex(/^[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$/, 'an event id (a ULID)')
    .optional()
    .describe(
      'Events after this event id (exclusive): the `next` of the previous answer. Default: the last hour',
    ),
  type: z.string().regex(EVENT_TYPE_PATTERN, 'an event type, Area.Fact').optional(),
  placeId: Id.optional(),
  processId: Id.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

const Envelope = z.object({ metadata: z.record(z.string(), z.unknown()), data: z.unknown() });
const EventsPage = z.object({
  items: z.array(Envelope).describe('Events in id (time) order'),
  next: z
    .string()
    .describe('The last event id read (matched or not): pass it as `since` to poll for what came after'),
});

const BoardQuery = z
  .object({
    method: z.string().min(1).optional(),
    stage: StageKey.optional().describe('A stage key of the method; needs method'),
    municipality: z.string().trim().min(1).max(100).optional(),
    state: z
      .enum(['active', 'completed', 'stuck'])
      .optional()
      .describe('stuck: active with no event for stuckAfterHours'),
    stuckAfterHours: z.coerce.number().positive().max(8760).default(72),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    cursor: z.string().max(2048).optional(),
  })
  .superRefine(refineMethodStage);

const LocalisedName = z.object({ sv: z.string(), fi: z.string(), en: z.string() });
const BoardRow = z.object({
  processId: z.string(),
  placeId: z.string(),
  placeName: z.string(),
  municipality: z.string(),
  method: z.string(),
  status: z.enum(['active', 'completed']),
  stage: z.object({ key: z.string().nullable(), index: z.number().int(), name: LocalisedName.nullable() }),
  stageStartedAt: z.string(),
  timeInStageSeconds: z.number().int(),
  lastEventAt: z.string(),
  openTasks: z.number().int(),
  overdueTasks: z.number().int(),
  stuck: z.boolean(),
  failed: z
    .boolean()
    .describe(
      `A message of this process is in a failure queue (GET /ops/failures): among the first ${MAX_PEEK} peeked of each queue`,
    ),
});
const BoardPage = z.object({ items: z.array(BoardRow), cursor: z.string().optional() });

const TraceNode = z.object({
  id: z.string(),
  type: z.string(),
  occurredAt: z.string(),
  actor: z.object({ kind: z.enum(['user', 'system']), id: z.string() }),
  depth: z.number().int(),
  causationId: z.string(),
  root: z.boolean().describe('Caused from outside the timeline (an API request, an upload)'),
  handledBy: z
    .array(z.string())
    .describe('The functions that reacted to it (the system actors of the events it caused)'),
});
const Trace = z.object({
  processId: z.string(),
  nodes: z.array(TraceNode).describe('Every event of the process, in id (time) order'),
  edges: z
    .array(z.object({ from: z.string(), to: z.string(), durationMs: z.number() }))
    .describe('causationId -> event id; durationMs: the effect occurredAt minus the cause occurredAt'),
  causes: z
    .array(z.object({ id: z.string(), actor: TraceNode.shape.actor, events: z.array(z.string()) }))
    .describe('Causes outside the timeline (requests, uploads) and the root events each caused'),
});

interface StoredEnvelope {
  metadata: {
    id: string;
    type: string;
    occurredAt: string;
    placeId: string;
    processId: string;
    causationId: string;
    actor: { kind: 'user' | 'system'; id: string };
    depth?: number;
  };
  data: unknown;
}

const BOARD_ATTRIBUTES = [
  'processId',
  'placeId',
  'placeName',
  'municipality',
  'method',
  'status',
  'stageIndex',
  'stageStartedAt',
  'lastEventAt',
  'tasks',
] as const;
const attr = (name: (typeof BOARD_ATTRIBUTES)[number]) => `#state.#a${BOARD_ATTRIBUTES.indexOf(name)}`;

type TaskView = { status: string; overdue?: boolean };

export const opsRoutes = [
  defineRoute({
    operationId: 'opsEvents',
    tag: 'ops',
    method: 'GET',
    path: '/ops/events',
    query: EventsQuery,
    response: {
      status: 200,
      description:
        'The events of the organisation after `since`, in time order, filtered by type, place and process. The filters apply to what the index returns: a request reads up to 2,000 events of the organisation, matched or not, so a narrow filter over a busy window costs as much as no filter; `next` moves past everything read.',
      schema: EventsPage,
    },
    handle: async ({ caller, query }) => {
      const since = query.since?.toUpperCase() ?? ulidLowerBound(Date.now() - DEFAULT_WINDOW_MS);
      const items: StoredEnvelope[] = [];
      let next = since;
      const events = orgEventItems(caller.orgId, since, {
        attributes: ['gsi1sk', 'type', 'pk', 'detail'],
        maxRead: MAX_EVENTS_READ,
        pageSize: Math.max(query.limit, 100),
      });
      for await (const item of events) {
        next = String(item.gsi1sk);
        if (query.type && item.type !== query.type) continue;
        if (query.processId && item.pk !== processPk(caller.orgId, query.processId)) continue;
        const event = JSON.parse(String(item.detail)) as StoredEnvelope;
        if (query.placeId && event.metadata.placeId !== query.placeId) continue;
        items.push(event);
        if (items.length >= query.limit) break;
      }
      return reply.ok({ items, next });
    },
  }),

  defineRoute({
    operationId: 'opsBoard',
    tag: 'ops',
    method: 'GET',
    path: '/ops/board',
    query: BoardQuery,
    response: {
      status: 200,
      description: `Every process of the organisation as a row: stage, time in stage, tasks, last event, stuck, failed (a page; \`cursor\` for the next). Municipality and state filter what the index returns, so a page may hold fewer rows than \`limit\` and still have a cursor. \`failed\` peeks every failure queue once per request (one ReceiveMessage of up to ${MAX_PEEK} messages per queue, which stay visible): a process whose message lies deeper in a busy queue is not marked.`,
      schema: BoardPage,
    },
    handle: async ({ caller, query }) => {
      const now = Date.now();
      const cutoff = new Date(now - query.stuckAfterHours * 3_600_000).toISOString();
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
      const values: Record<string, unknown> = { ':pk': pk, ...(prefix ? { ':prefix': prefix } : {}) };
      const filters: string[] = [];
      if (query.municipality) {
        filters.push(`${attr('municipality')} = :municipality`);
        values[':municipality'] = query.municipality;
      }
      if (query.state) {
        filters.push(`${attr('status')} = :status`);
        values[':status'] = query.state === 'completed' ? 'completed' : 'active';
      }
      if (query.state === 'stuck') {
        filters.push(`${attr('lastEventAt')} < :cutoff`);
        values[':cutoff'] = cutoff;
      }
      const [failed, page] = await Promise.all([
        failedProcesses(caller.orgId),
        documentClient().send(
          new QueryCommand({
            TableName: resources.tableName,
            IndexName: 'byOrg',
            KeyConditionExpression: prefix ? 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)' : 'gsi1pk = :pk',
            ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
            ProjectionExpression: ['pk', 'sk', 'gsi1pk', 'gsi1sk']
              .concat(BOARD_ATTRIBUTES.map((_, i) => `#state.#a${i}`))
              .join(', '),
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            Limit: query.limit,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        ),
      ]);
      const items = (page.Items ?? []).map((item) => {
        const state = item.state as Record<string, unknown>;
        const method = methods.get(String(state.method));
        const index = Number(state.stageIndex);
        const stage = method?.stages[index] as Stage | undefined;
        const tasks = Object.values((state.tasks ?? {}) as Record<string, TaskView>).filter(
          (task) => task.status === 'open',
        );
        const lastEventAt = String(state.lastEventAt ?? '');
        const stageStartedAt = String(state.stageStartedAt ?? '');
        return {
          processId: String(state.processId),
          placeId: String(state.placeId),
          placeName: String(state.placeName),
          municipality: String(state.municipality),
          method: String(state.method),
          status: state.status as 'active' | 'completed',
          stage: { key: stage?.key ?? null, index, name: stage?.name ?? null },
          stageStartedAt,
          timeInStageSeconds: Math.max(0, Math.floor((now - Date.parse(stageStartedAt)) / 1000)) || 0,
          lastEventAt,
          openTasks: tasks.length,
          overdueTasks: tasks.filter((task) => task.overdue).length,
          stuck: state.status === 'active' && lastEventAt < cutoff,
          failed: failed.has(String(state.processId)),
        };
      });
      const cursor = encodeCursor(page.LastEvaluatedKey);
      return reply.ok({ items, ...(cursor ? { cursor } : {}) });
    },
  }),

  defineRoute({
    operationId: 'opsTrace',
    tag: 'ops',
    method: 'GET',
    path: '/ops/processes/{processId}/trace',
    params: ProcessParams,
    response: {
      status: 200,
      description:
        'The timeline of a process as a causal graph: its events, causationId -> event edges with durations, and which functions handled each event',
      schema: Trace,
    },
    errors: [404],
    handle: async ({ caller, params }) => {
      await loadProcess(caller, params.processId);
      const events = (await processes().timeline(caller.orgId, params.processId)) as StoredEnvelope[];
      return reply.ok(traceOf(params.processId, events));
    },
  }),
];

/** The causal graph of a timeline; pure. */
export function traceOf(processId: string, events: readonly StoredEnvelope[]): z.infer<typeof Trace> {
  const byId = new Map(events.map((event) => [event.metadata.id, event]));
  const handledBy = new Map<string, Set<string>>();
  const edges: z.infer<typeof Trace>['edges'] = [];
  const causes = new Map<
    string,
    { id: string; actor: StoredEnvelope['metadata']['actor']; events: string[] }
  >();
  for (const event of events) {
    const { id, causationId, actor, occurredAt } = event.metadata;
    const cause = causationId !== id ? byId.get(causationId) : undefined;
    if (cause) {
      edges.push({
        from: causationId,
        to: id,
        durationMs: Date.parse(occurredAt) - Date.parse(cause.metadata.occurredAt),
      });
      if (actor.kind === 'system')
        handledBy.set(causationId, (handledBy.get(causationId) ?? new Set()).add(actor.id));
    } else {
      const outside = causes.get(causationId) ?? { id: causationId, actor, events: [] };
      outside.events.push(id);
      causes.set(causationId, outside);
    }
  }
  return {
    processId,
    nodes: events.map(({ metadata }) => {
      const { id, causationId } = metadata;
      return {
        id,
        type: metadata.type,
        occurredAt: metadata.occurredAt,
        actor: metadata.actor,
        depth: metadata.depth ?? 0,
        causationId,
        root: causationId === id || !byId.has(causationId),
        handledBy: [...(handledBy.get(id) ?? [])].sort(),
      };
    }),
    edges,
    causes: [...causes.values()],
  };
}
