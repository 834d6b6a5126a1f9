/**
 * What the operations console needs from the local runtime beyond the API function's /ops routes,
 * served by the gateway itself (in-process routes):
 *
 * - `GET /config.json`: where the API is and how the page signs in (on AWS a file written at deploy).
 * - `POST /console/session`: a development sign-in: an ops token for an organisation. Local only, as
 *   `npm run token` is; on AWS the console signs in with Cognito.
 * - `GET /ops/stream`: the organisation's pipeline events as server-sent events, the moment the bus
 *   routes them, each with how many rules matched it. On AWS the console polls GET /ops/events.
 * - `GET /ops/unmatched`: recent events of the organisation that no rule matched (the bus's
 *   NO_STANDARD_RULES_MATCHED) although one should have: an event type or version the catalog does not
 *   know, or one a rule takes whatever its data. Facts nobody consumes by design (Process.Completed,
 *   Notification.Sent, …: kept in the timeline) are not alerts. On AWS the bus logs hold them.
 * - `GET /ops/emails`, `GET /ops/emails/{messageId}`: the local SES outbox, as recipients see it.
 *
 * Each /ops route is behind the same JWT authorizer and the same roles as the API's /ops routes, and
 * answers only for the caller's organisation.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConsoleConfig } from '../console/src/config.ts';
import { catalog } from '../events/catalog.ts';
import { consumerRulesOf } from '../events/documents.ts';
import { Id } from '../events/envelope.ts';
import { PIPELINE_BUS, type Topology } from '../functions/topology.ts';
import { authorize, type Caller } from '../shared/runtime/http-auth.ts';
import { HttpProblem, PROBLEM_CONTENT_TYPE, problems } from '../shared/runtime/http-problem.ts';
import type { RoutedEvent } from './eventbridge/bus.ts';
import type { LocalEventBridge } from './eventbridge/service.ts';
import type { InProcessRoute, InProcessRouteContext } from './http-api/index.ts';
import { listOutbox, readMessage } from './ses/outbox.ts';

export interface ConsoleRoutesOptions {
  eventBridge: Pick<LocalEventBridge, 'onRouted'>;
  /** The functions running: which event types have consumers. */
  topology: Topology;
  /** The local SES data folder (its outbox/ holds the .eml files). */
  sesDataDir: string;
  region: string;
  issuer: string;
  issueToken(claims: { orgId: string; role: string; sub?: string }): Promise<string>;
  /** How many unmatched events to remember (all organisations together). */
  keepUnmatched?: number;
  /** Comment lines keep idle streams open through proxies. */
  heartbeatMs?: number;
}

export interface ConsoleRoutes {
  routes: InProcessRoute[];
  /** Open event streams (tests and the benchmark wait for the page to subscribe). */
  streams(): number;
  stop(): void;
}

interface PipelineEnvelope {
  metadata: {
    id: string;
    type: string;
    version: number;
    orgId: string;
    placeId?: string;
    processId?: string;
  };
  data: unknown;
}

/** The same roles as the API's /ops routes (functions/api/route-table.ts). */
const OPERATIONS = { auth: 'jwt', roles: ['ops', 'coordinator'] } as const;
const MAX_EMAILS = 500;

export function consoleRoutes(options: ConsoleRoutesOptions): ConsoleRoutes {
  const keepUnmatched = options.keepUnmatched ?? 500;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const unmatched: { routed: RoutedEvent; envelope: PipelineEnvelope }[] = [];
  // Catalog events that some rule takes whatever their data: if none matched, something is off (a
  // disabled rule, a wrong source). Facts nobody consumes, or only some of (a rule narrowing on the
  // data), routinely match nothing.
  const alwaysConsumed = new Set(
    catalog.definitions
      .filter((definition) =>
        consumerRulesOf(definition, options.topology).some((consumer) => consumer.when === undefined),
      )
      .map((definition) => `${definition.type}@${definition.version}`),
  );
  const known = new Set(catalog.definitions.map((definition) => `${definition.type}@${definition.version}`));
  const missedItsRule = (routed: RoutedEvent, envelope: PipelineEnvelope) => {
    if (routed.matchedRules > 0) return false;
    const key = `${envelope.metadata.type}@${envelope.metadata.version}`;
    return !known.has(key) || alwaysConsumed.has(key);
  };
  const listeners = new Set<(routed: RoutedEvent, envelope: PipelineEnvelope) => void>();

  const unsubscribe = options.eventBridge.onRouted((routed) => {
    if (routed.bus !== PIPELINE_BUS) return;
    const envelope = envelopeOf(routed);
    if (!envelope) return;
    if (missedItsRule(routed, envelope)) {
      unmatched.push({ routed, envelope });
      if (unmatched.length > keepUnmatched) unmatched.shift();
    }
    for (const listener of listeners) listener(routed, envelope);
  });

  const config: ConsoleConfig = {
    stage: 'local',
    region: options.region,
    apiUrl: '',
    live: 'stream',
    features: { emails: true, unmatched: true },
    auth: { issuer: options.issuer, development: true },
  };

  const routes: InProcessRoute[] = [
    {
      method: 'GET',
      path: '/config.json',
      auth: 'none',
      handle: (_request, response) => sendJson(response, 200, config),
    },
    {
      method: 'POST',
      path: '/console/session',
      auth: 'none',
      handle: guarded(async (request, response) => {
        const body = await readJson(request);
        const orgId = Id.safeParse(body?.orgId);
        if (!orgId.success)
          throw problems.validation([
            { path: 'orgId', message: 'an organisation id of letters, digits, _ and -' },
          ]);
        const token = await options.issueToken({ orgId: orgId.data, role: 'ops', sub: 'console-ops' });
        sendJson(response, 200, { token, orgId: orgId.data, role: 'ops' });
      }),
    },
    {
      method: 'GET',
      path: '/ops/stream',
      handle: guarded((request, response, context) => {
        const caller = operator(context);
        const query = new URL(request.url ?? '/', 'http://console.local').searchParams;
        const wanted = {
          type: query.get('type') ?? undefined,
          placeId: query.get('placeId') ?? undefined,
          processId: query.get('processId') ?? undefined,
        };
        response.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
          'x-accel-buffering': 'no',
        });
        // EventSource reconnects after `retry` ms and sends Last-Event-ID; the page fills the gap from
        // GET /ops/events?since=<that id>.
        response.write('retry: 1000\n: samskapa event stream\n\n');
        const listener = (routed: RoutedEvent, envelope: PipelineEnvelope) => {
          const { metadata } = envelope;
          if (metadata.orgId !== caller.orgId) return;
          if (wanted.type && metadata.type !== wanted.type) return;
          if (wanted.placeId && metadata.placeId !== wanted.placeId) return;
          if (wanted.processId && metadata.processId !== wanted.processId) return;
          const payload = {
            event: envelope,
            matchedRules: routed.matchedRules,
            ...(missedItsRule(routed, envelope) ? { unmatched: true } : {}),
            ...(routed.replay ? { replay: routed.replay } : {}),
          };
          response.write(`id: ${metadata.id}\nevent: pipeline-event\ndata: ${JSON.stringify(payload)}\n\n`);
        };
        listeners.add(listener);
        const heartbeat = setInterval(() => response.write(': keep-alive\n\n'), heartbeatMs);
        heartbeat.unref();
        const close = () => {
          clearInterval(heartbeat);
          listeners.delete(listener);
        };
        request.once('close', close);
        response.once('close', close);
      }),
    },
    {
      method: 'GET',
      path: '/ops/unmatched',
      handle: guarded((_request, response, context) => {
        const caller = operator(context);
        const items = unmatched
          .filter(({ envelope }) => envelope.metadata.orgId === caller.orgId)
          .map(({ routed, envelope }) => ({
            event: envelope,
            receivedAt: routed.event.time,
            ...(routed.replay ? { replay: routed.replay } : {}),
          }))
          .reverse();
        sendJson(response, 200, { items });
      }),
    },
    {
      method: 'GET',
      path: '/ops/emails',
      handle: guarded(async (_request, response, context) => {
        const caller = operator(context);
        const entries = (await listOutbox(options.sesDataDir)).filter(
          (entry) => entry.tags.orgId === caller.orgId,
        );
        sendJson(response, 200, { items: entries.slice(0, MAX_EMAILS), total: entries.length });
      }),
    },
    {
      method: 'GET',
      path: '/ops/emails/{messageId}',
      handle: guarded(async (_request, response, context) => {
        const caller = operator(context);
        const message = await readMessage(options.sesDataDir, context.pathParameters.messageId ?? '');
        if (!message || message.tags.orgId !== caller.orgId)
          throw problems.notFound('No email of this organisation has that id.');
        const { raw: _raw, ...shown } = message;
        sendJson(response, 200, shown);
      }),
    },
  ];

  return {
    routes,
    streams: () => listeners.size,
    stop: () => {
      unsubscribe();
      listeners.clear();
    },
  };
}

function envelopeOf(routed: RoutedEvent): PipelineEnvelope | undefined {
  const detail = routed.event.detail as Partial<PipelineEnvelope> | undefined;
  const metadata = detail?.metadata;
  if (!metadata || typeof metadata.id !== 'string' || typeof metadata.orgId !== 'string') return undefined;
  return detail as PipelineEnvelope;
}

function operator(context: InProcessRouteContext): Caller {
  return authorize(OPERATIONS, context.claims) as Caller;
}

type Handler = (
  request: IncomingMessage,
  response: ServerResponse,
  context: InProcessRouteContext,
) => void | Promise<void>;

/** Typed problems become problem+json, as the API function's errors do. */
function guarded(handler: Handler): Handler {
  return async (request, response, context) => {
    try {
      await handler(request, response, context);
    } catch (error) {
      if (!(error instanceof HttpProblem)) throw error;
      if (response.headersSent) return void response.end();
      response.writeHead(error.status, { 'content-type': PROBLEM_CONTENT_TYPE });
      response.end(JSON.stringify(error.toProblem()));
    }
  };
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  response.end(JSON.stringify(body));
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  let text = '';
  for await (const chunk of request) {
    text += String(chunk);
    if (text.length > 16_384) throw problems.validation([{ path: '', message: 'the body is too large' }]);
  }
  try {
    const value: unknown = JSON.parse(text || '{}');
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    throw problems.validation([{ path: '', message: 'the body is not JSON' }]);
  }
}
