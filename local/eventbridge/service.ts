/**
 * The local EventBridge service: the bus (bus.ts) behind an HTTP endpoint that speaks EventBridge's
 * JSON 1.1 protocol (`POST /`, `X-Amz-Target: AWSEvents.<Operation>`), so the unchanged
 * @aws-sdk/client-eventbridge and `aws events ... --endpoint-url` work against it.
 *
 * Data (with `dataDir`): `archive/<archive>.jsonl` and `archive/archives.json` (the archives, the
 * pipeline bus's one named after the bus), `eventbridge/delivery-log.jsonl` (the bus logs) and, unless
 * the composition root shares its own, `queues/<rule>-dlq.jsonl` (the rule targets' DLQs).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { PutEventsRequestEntry, PutEventsResponse } from '@aws-sdk/client-eventbridge';
import { PIPELINE_BUS, type Topology } from '../../functions/topology.ts';
import { type Clock, systemClock } from '../clock.ts';
import {
  type FailureMessage,
  type FailureQueue,
  type FailureQueues,
  openFailureQueues,
  type RedriveResult,
} from '../queues/failure-queues.ts';
import { Archives } from './archive.ts';
import { type DeliveryPolicyOptions, EventBridgeCore, type LambdaInvoker, type RoutedEvent } from './bus.ts';
import { DeliveryLog } from './delivery-log.ts';
import { EventBridgeError } from './errors.ts';
import { InvalidEventPatternError } from './pattern.ts';

export type { BusEvent } from './archive.ts';
export type { LambdaInvoker, RoutedEvent } from './bus.ts';
export type { DeliveryLog, DeliveryLogRecord } from './delivery-log.ts';

/** Largest request body the endpoint reads; the PutEvents limit (1 MiB of entries) plus JSON escaping. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface EventBridgeOptions {
  /** The Lambda host (or anything that takes Event invocations). */
  lambda: LambdaInvoker;
  /** Rules and targets to create at start-up: every `event` trigger of every function. */
  topology?: Topology;
  /** Where archives, the delivery log and (without `failureQueues`) the DLQs live; memory when omitted. */
  dataDir?: string;
  clock?: Clock;
  /** Failure queues shared with the Lambda host, so one view lists every failure. */
  failureQueues?: FailureQueues;
  region?: string;
  accountId?: string;
  /** Custom buses besides `default`; default [PIPELINE_BUS]. */
  buses?: readonly string[];
  /** Buses whose every event is archived, each into an archive named after the bus; default [PIPELINE_BUS]. */
  archivedBuses?: readonly string[];
  /** Backoff of delivery retries (the RetryPolicy itself comes from each target). */
  delivery?: DeliveryPolicyOptions;
  /** Put event contents into the delivery log (EventBridge's IncludeDetail FULL); default false. */
  logIncludeDetail?: boolean;
  /** 0 (the default) lets the OS choose a free port. */
  port?: number;
}

export interface LocalEventBridge {
  /** `AWS_ENDPOINT_URL_EVENTBRIDGE` for functions, the SDK and the AWS CLI. */
  endpoint: string;
  region: string;
  accountId: string;
  /** In-process PutEvents through the same code path as the endpoint; `aws.*` sources allowed (runtime services). */
  putEvents(entries: PutEventsRequestEntry[]): Promise<PutEventsResponse>;
  /** Every processing step, in EventBridge's bus-log shape: `on('record')`, `follow()`, `recent()`. */
  deliveryLog: DeliveryLog;
  /** Subscribe to events going into a DLQ. */
  onDeadLetter(listener: (message: FailureMessage) => void): () => void;
  /** Subscribe to every accepted event as it is matched against its bus's rules. */
  onRouted(listener: (routed: RoutedEvent) => void): () => void;
  /** A rule's DLQ (`${rule}-dlq` unless its target names another queue). */
  deadLetterQueue(rule: string): FailureQueue;
  /** Re-delivers DLQ messages of one rule to the target each came from; deletes those delivered. */
  redrive(rule: string, messageId: string | 'all'): Promise<RedriveResult>;
  /** Calls an API operation in-process, e.g. `call('DescribeReplay', { ReplayName })`. */
  call(operation: string, input: Record<string, unknown>): Promise<unknown>;
  /** Resolves when no delivery hand-over or replay is running (clock-scheduled retries do not count). */
  idle(): Promise<void>;
  stats(): { inFlight: number; waitingForRetry: number; replaysRunning: number };
  stop(): Promise<void>;
}

type Operation = (core: EventBridgeCore, input: Record<string, unknown>) => unknown;

/** The operations the endpoint serves, by X-Amz-Target name. */
const OPERATIONS: Record<string, Operation> = {
  PutEvents: (core, input) => core.putEvents(input),
  TestEventPattern: (core, input) => core.testEventPattern(input),
  PutRule: (core, input) => core.putRule(input),
  DescribeRule: (core, input) => core.describeRule(input),
  ListRules: (core, input) => core.listRules(input),
  DeleteRule: (core, input) => core.deleteRule(input),
  EnableRule: (core, input) => core.enableRule(input, 'ENABLED'),
  DisableRule: (core, input) => core.enableRule(input, 'DISABLED'),
  PutTargets: (core, input) => core.putTargets(input),
  RemoveTargets: (core, input) => core.removeTargets(input),
  ListTargetsByRule: (core, input) => core.listTargetsByRule(input),
  ListEventBuses: (core, input) => core.listEventBuses(input),
  DescribeEventBus: (core, input) => core.describeEventBus(input),
  CreateArchive: (core, input) => core.createArchive(input),
  DescribeArchive: (core, input) => core.describeArchive(input),
  ListArchives: (core, input) => core.listArchives(input),
  StartReplay: (core, input) => core.startReplay(input),
  DescribeReplay: (core, input) => core.describeReplay(input),
  ListReplays: (core, input) => core.listReplays(input),
  CancelReplay: (core, input) => core.cancelReplay(input),
};

export async function startEventBridge(options: EventBridgeOptions): Promise<LocalEventBridge> {
  const clock = options.clock ?? systemClock;
  const ownsQueues = !options.failureQueues;
  const failureQueues =
    options.failureQueues ??
    openFailureQueues({ ...(options.dataDir ? { dir: join(options.dataDir, 'queues') } : {}), clock });
  const archives = new Archives(options.dataDir ? join(options.dataDir, 'archive') : undefined);
  const deliveryLog = new DeliveryLog({
    ...(options.dataDir ? { file: join(options.dataDir, 'eventbridge', 'delivery-log.jsonl') } : {}),
    includeDetail: options.logIncludeDetail ?? false,
  });
  const core = new EventBridgeCore({
    clock,
    lambda: options.lambda,
    failureQueues,
    archives,
    deliveryLog,
    region: options.region ?? 'eu-north-1',
    accountId: options.accountId ?? '000000000000',
    ...(options.buses ? { buses: options.buses } : {}),
    ...(options.delivery ? { delivery: options.delivery } : {}),
  });
  const release = () => {
    archives.close();
    deliveryLog.close();
    if (ownsQueues) failureQueues.close();
  };

  let server: Server;
  try {
    for (const bus of options.archivedBuses ?? [PIPELINE_BUS]) core.ensureArchive(bus, bus);
    if (options.topology) core.applyTopology(options.topology);
    server = createServer((request, response) => {
      serve(core, request, response).catch((error: unknown) => {
        console.error('local EventBridge: internal error', error);
        sendError(response, new EventBridgeError('InternalException', 'Internal service error', 500));
      });
    });
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(options.port ?? 0, '127.0.0.1', () => done());
    });
  } catch (error) {
    release();
    throw error;
  }
  const { port } = server.address() as AddressInfo;

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    region: core.region,
    accountId: core.accountId,
    putEvents: async (entries) => core.putEvents({ Entries: entries }, { trusted: true }),
    deliveryLog,
    onDeadLetter(listener) {
      core.on('dlq', listener);
      return () => core.off('dlq', listener);
    },
    onRouted(listener) {
      core.on('routed', listener);
      return () => core.off('routed', listener);
    },
    deadLetterQueue: (rule) => core.deadLetterQueue(rule),
    redrive: (rule, messageId) => core.redrive(rule, messageId),
    call: async (operation, input) => {
      const handler = OPERATIONS[operation];
      if (!handler) throw new EventBridgeError('UnknownOperationException', `Unknown operation ${operation}`);
      return handler(core, input);
    },
    idle: () => core.idle(),
    stats: () => core.stats,
    stop() {
      stopped ??= (async () => {
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        });
        await core.stop();
        release();
      })();
      return stopped;
    },
  };
}

async function serve(
  core: EventBridgeCore,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const target = String(request.headers['x-amz-target'] ?? '');
  const operation = target.startsWith('AWSEvents.') ? target.slice('AWSEvents.'.length) : '';
  const handler = OPERATIONS[operation];
  if (request.method !== 'POST' || !handler) {
    await drain(request);
    sendError(
      response,
      new EventBridgeError('UnknownOperationException', `Unknown operation ${target || '(no X-Amz-Target)'}`),
    );
    return;
  }
  const body = await readBody(request);
  if (body === undefined) {
    sendError(response, new EventBridgeError('ValidationException', 'Request body is too large.', 413));
    return;
  }
  let input: unknown = {};
  if (body.length > 0) {
    try {
      input = JSON.parse(body.toString('utf8'));
    } catch {
      sendError(response, new EventBridgeError('SerializationException', 'Request body is not valid JSON.'));
      return;
    }
  }
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    sendError(
      response,
      new EventBridgeError('SerializationException', 'Request body must be a JSON object.'),
    );
    return;
  }
  const requestId = randomUUID();
  try {
    const output =
      operation === 'PutEvents'
        ? core.putEvents(input as Record<string, unknown>, { requestId })
        : handler(core, input as Record<string, unknown>);
    send(response, 200, output ?? {}, requestId);
  } catch (error) {
    if (error instanceof EventBridgeError || error instanceof InvalidEventPatternError)
      sendError(response, error, requestId);
    else throw error;
  }
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  requestId: string = randomUUID(),
  type?: string,
): void {
  const text = JSON.stringify(body);
  response
    .writeHead(status, {
      'Content-Type': 'application/x-amz-json-1.1',
      'Content-Length': Buffer.byteLength(text),
      'x-amzn-RequestId': requestId,
      ...(type ? { 'x-amzn-ErrorType': type } : {}),
    })
    .end(text);
}

/** The JSON 1.1 error shape: the SDK reads `__type` (and the header) to pick the exception class. */
function sendError(
  response: ServerResponse,
  error: EventBridgeError | InvalidEventPatternError,
  requestId?: string,
): void {
  if (response.headersSent) return;
  const status = error instanceof EventBridgeError ? error.statusCode : 400;
  send(response, status, { __type: error.name, message: error.message }, requestId, error.name);
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function drain(request: IncomingMessage): Promise<void> {
  for await (const _ of request) {
    // discard: the request is answered with an error either way
  }
}
