/**
 * Failures: every failure queue of the pipeline with what is in it, and the redrive of a queue's
 * messages to its one consumer (ARCHITECTURE.md section 4, "Failures"). The queues are read with the
 * SQS API, the consumer is invoked with Lambda's Invoke API (`InvocationType: Event`), the same calls
 * locally (AWS_ENDPOINT_URL_SQS, AWS_ENDPOINT_URL_LAMBDA) and on AWS, where names carry the stack
 * prefix (FAILURE_QUEUE_PREFIX, FUNCTION_NAME_PREFIX).
 *
 * - `<function>-failures`: Lambda's on-failure record; the consumer is the function, the payload to
 *   invoke it with is `requestPayload`, the error is `responsePayload`.
 * - `<rule>-dlq`: the event itself, EventBridge's error in the message attributes; the consumer is the
 *   rule's target function, the payload the event.
 * - any other queue (the outbox pipe's, the scheduler's): its depth only; nothing to redrive it to.
 *
 * The queues serve every organisation: a caller sees and redrives only the messages whose event is of
 * its organisation (depths count them all; a count says nothing about anyone). Events carry no
 * personal data, and neither do these answers.
 */
import { InvokeCommand } from '@aws-sdk/client-lambda';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  type Message,
  QueueDoesNotExist,
  ReceiveMessageCommand,
} from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { lambdaClient, sqsClient } from '../../shared/runtime/clients.ts';
import { operations } from '../../shared/runtime/environment.ts';
import { defineRoute, reply } from '../../shared/runtime/http.ts';
import { problems } from '../../shared/runtime/http-problem.ts';
import { topology as pipelineTopology, type Topology } from '../topology.ts';

/** SQS's most messages per ReceiveMessage: a peek is one receive per queue. */
export const MAX_PEEK = 10;
/** The most messages one redrive request handles, and the most receives it makes to find them. */
export const MAX_REDRIVE = 50;
const MAX_REDRIVE_RECEIVES = 20;
/** How long a redrive holds the messages it received (they are released or deleted before). */
const REDRIVE_LEASE_SECONDS = 60;

let known: Topology = pipelineTopology;
/**
 * The topology whose failure queues these are: the pipeline's. A runtime that runs another topology
 * with this API in it (the tests' fixtures) names it once, when its entry module loads.
 */
export function operateOn(topology: Topology): void {
  known = topology;
}

type Kind = 'function' | 'rule' | 'other';
interface Queue {
  /** The name without the stack prefix, as the topology and the local runtime name it. */
  name: string;
  url: string;
  kind: Kind;
  /** The consumer a redrive invokes; undefined for `other`. */
  function: string | undefined;
  rule: string | undefined;
}

function classify(name: string): Pick<Queue, 'kind' | 'function' | 'rule'> {
  if (name.endsWith('-failures')) {
    const fn = known.find((f) => f.name === name.slice(0, -'-failures'.length));
    if (fn) return { kind: 'function', function: fn.name, rule: undefined };
  }
  if (name.endsWith('-dlq')) {
    const rule = name.slice(0, -'-dlq'.length);
    const fn = known.find((f) => f.triggers.some((t) => t.kind === 'event' && t.rule === rule));
    if (fn) return { kind: 'rule', function: fn.name, rule };
  }
  return { kind: 'other', function: undefined, rule: undefined };
}

const nameOf = (url: string) => decodeURIComponent(url.split('/').at(-1) ?? '');

/** Every failure queue of this stack (one ListQueues page: up to 1,000 queues). */
async function listQueues(): Promise<Queue[]> {
  const prefix = operations.failureQueuePrefix;
  const { QueueUrls } = await sqsClient().send(
    new ListQueuesCommand(prefix ? { QueueNamePrefix: prefix } : {}),
  );
  return (QueueUrls ?? [])
    .map((url) => ({ url, name: nameOf(url).slice(prefix.length) }))
    .filter((queue) => queue.name.length > 0)
    .map((queue) => ({ ...queue, ...classify(queue.name) }))
    .sort((a, b) => (a.name < b.name ? -1 : 1));
}

async function receive(url: string, max: number, visibilitySeconds: number): Promise<Message[]> {
  const { Messages } = await sqsClient().send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: max,
      VisibilityTimeout: visibilitySeconds,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['SentTimestamp'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages ?? [];
}

type Json = Record<string, unknown>;
const object = (value: unknown): Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
const text = (value: unknown): string | null =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : null;

interface Described {
  message: z.infer<typeof FailureMessage>;
  /** What a redrive invokes the consumer with. */
  payload: unknown;
  orgId: string | null;
}

/** The organisation, id, type, process and place of an event: its metadata, or an S3 object's key. */
function eventOf(value: unknown) {
  const event = object(value);
  const detail = object(event.detail);
  const metadata = object(detail.metadata);
  const key = text(object(detail.object).key) ?? '';
  const keyed = /^(?:recordings|quarantine)\/([^/]+)\/([^/]+)\/([^/]+)\//.exec(key);
  return {
    orgId: text(metadata.orgId) ?? keyed?.[1] ?? null,
    id: text(metadata.id) ?? text(event.id),
    type: text(metadata.type) ?? text(event['detail-type']),
    processId: text(metadata.processId) ?? keyed?.[3] ?? null,
    placeId: text(metadata.placeId) ?? keyed?.[2] ?? null,
  };
}

function describe(queue: Queue, message: Message): Described {
  let body: unknown;
  try {
    body = JSON.parse(message.Body ?? '');
  } catch {
    body = undefined;
  }
  const attribute = (name: string) => message.MessageAttributes?.[name]?.StringValue;
  let payload: unknown = body;
  let error = { type: attribute('ERROR_CODE') ?? 'Unknown', message: attribute('ERROR_MESSAGE') ?? '' };
  let attempts = Number(attribute('RETRY_ATTEMPTS') ?? 0) + 1;
  if (queue.kind === 'function') {
    const record = object(body);
    const response = object(record.responsePayload);
    payload = record.requestPayload;
    error = { type: text(response.errorType) ?? 'Unknown', message: text(response.errorMessage) ?? '' };
    attempts = Number(object(record.requestContext).approximateInvokeCount ?? 0);
  }
  const { orgId, ...event } = eventOf(payload);
  const sent = Number(message.Attributes?.SentTimestamp);
  return {
    orgId,
    payload,
    message: {
      queue: queue.name,
      messageId: message.MessageId ?? '',
      receiptHandle: message.ReceiptHandle ?? '',
      function: queue.function ?? '',
      error,
      attempts: Number.isFinite(attempts) ? attempts : 0,
      event,
      sentAt: Number.isFinite(sent) ? new Date(sent).toISOString() : '',
    },
  };
}

/**
 * The processes of an organisation with a message in a failure queue: every queue peeked once (one
 * ReceiveMessage of up to MAX_PEEK messages, visibility 0, so nothing is hidden from anyone). A
 * process whose message lies beyond the first MAX_PEEK of a queue (or that SQS's sampling of a nearly
 * empty queue skips) is not found: depth is the number to trust.
 */
export async function failedProcesses(orgId: string): Promise<Set<string>> {
  const queues = await listQueues();
  const peeked = await Promise.all(
    queues.map(async (queue) => (await receive(queue.url, MAX_PEEK, 0)).map((m) => describe(queue, m))),
  );
  return new Set(
    peeked
      .flat()
      .filter((d) => d.orgId === orgId && d.message.event.processId)
      .map((d) => String(d.message.event.processId)),
  );
}

const FailureMessage = z.object({
  queue: z.string(),
  messageId: z.string(),
  receiptHandle: z
    .string()
    .describe('From this peek; a redrive receives the message again, so it needs only the messageId'),
  function: z.string().describe('The consumer that failed, the one a redrive invokes'),
  error: z.object({
    type: z.string().describe("The error's name (a function), or EventBridge's ERROR_CODE (a rule)"),
    message: z.string(),
  }),
  attempts: z.number().int().describe('Invocations (a function) or delivery attempts (a rule) made'),
  event: z.object({
    id: z.string().nullable(),
    type: z.string().nullable(),
    processId: z.string().nullable(),
    placeId: z.string().nullable(),
  }),
  sentAt: z.string().describe('When the failure reached the queue'),
});
const FailureQueue = z.object({
  queue: z.string().describe('The name without the stack prefix, e.g. stageEngine-failures'),
  kind: z
    .enum(['function', 'rule', 'other'])
    .describe("function: a function's on-failure queue; rule: a rule target's DLQ; other: depth only"),
  function: z.string().nullable().describe('The consumer a redrive invokes'),
  rule: z.string().nullable(),
  depth: z.number().int().describe('ApproximateNumberOfMessages: visible messages of every organisation'),
  messages: z.array(FailureMessage).describe("The caller's organisation's messages among those peeked"),
});
const Failures = z.object({ queues: z.array(FailureQueue) });

const FailuresQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_PEEK)
    .default(MAX_PEEK)
    .describe('Messages peeked per queue (one ReceiveMessage each)'),
});
const QueueParams = z.object({
  queue: z.string().regex(/^[a-zA-Z0-9_-]{1,80}$/, 'a queue name, e.g. stageEngine-failures'),
});
const RedriveBody = z.object({
  messageIds: z
    .array(z.string().min(1).max(100))
    .min(1)
    .max(MAX_REDRIVE)
    .optional()
    .describe(
      `The messages to redrive; absent: every visible message of the organisation (up to ${MAX_REDRIVE})`,
    ),
});
const RedriveResult = z.object({
  queue: z.string(),
  function: z.string(),
  redriven: z.array(z.string()).describe('Message ids: the consumer was invoked and the message deleted'),
  failed: z
    .array(z.object({ id: z.string(), error: z.string() }))
    .describe('Message ids left in the queue, with why'),
});

const describeError = (error: unknown) =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

export const failureRoutes = [
  defineRoute({
    operationId: 'opsFailures',
    tag: 'ops',
    method: 'GET',
    path: '/ops/failures',
    query: FailuresQuery,
    response: {
      status: 200,
      description: `Every failure queue of the pipeline with its depth and, for a function's or a rule's queue, up to \`limit\` of its messages peeked (visibility 0: they stay visible) with the consumer, the error, the attempts and the event. One ReceiveMessage per queue: SQS answers at most ${MAX_PEEK} and may sample fewer from a queue with few messages, so depth is the count to trust.`,
      schema: Failures,
    },
    handle: async ({ caller, query }) => {
      const queues = await listQueues();
      const answers = await Promise.all(
        queues.map(async (queue) => {
          const [{ Attributes }, messages] = await Promise.all([
            sqsClient().send(
              new GetQueueAttributesCommand({
                QueueUrl: queue.url,
                AttributeNames: ['ApproximateNumberOfMessages'],
              }),
            ),
            queue.kind === 'other' || query.limit === 0 ? [] : receive(queue.url, query.limit, 0),
          ]);
          return {
            queue: queue.name,
            kind: queue.kind,
            function: queue.function ?? null,
            rule: queue.rule ?? null,
            depth: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
            messages: messages
              .map((m) => describe(queue, m))
              .filter((d) => d.orgId === caller.orgId)
              .map((d) => d.message),
          };
        }),
      );
      return reply.ok({ queues: answers });
    },
  }),

  defineRoute({
    operationId: 'opsRedrive',
    tag: 'ops',
    method: 'POST',
    path: '/ops/failures/{queue}/redrive',
    params: QueueParams,
    body: RedriveBody,
    response: {
      status: 200,
      description: `Invokes the queue's one consumer (asynchronously, InvocationType Event) with each message's event, then deletes the message: the given messages, or every visible message of the organisation, at most ${MAX_REDRIVE} a request. A message that could not be invoked stays in the queue and is listed in \`failed\`, as is a given id that was not found.`,
      schema: RedriveResult,
    },
    errors: [404, 409],
    handle: async ({ caller, params, body }) => {
      const prefix = operations.failureQueuePrefix;
      let url: string;
      try {
        ({ QueueUrl: url = '' } = await sqsClient().send(
          new GetQueueUrlCommand({ QueueName: `${prefix}${params.queue}` }),
        ));
      } catch (error) {
        if (error instanceof QueueDoesNotExist || (error as Error).name === 'QueueDoesNotExist')
          throw problems.notFound(`There is no failure queue ${params.queue}.`);
        throw error;
      }
      const queue: Queue = { name: params.queue, url, ...classify(params.queue) };
      const consumer = queue.function;
      if (!consumer)
        throw problems.conflict(
          'no-consumer',
          'No consumer',
          `${params.queue} is not a function's or a rule's failure queue; there is no one consumer to redrive it to.`,
        );
      const wanted = body.messageIds ? new Set(body.messageIds) : undefined;
      const redriven: string[] = [];
      const failed: { id: string; error: string }[] = [];
      /** Received but not redriven (another organisation's, not asked for, or failed): released at the end. */
      const held: Message[] = [];
      const handled = () => redriven.length + failed.length;
      for (let i = 0; i < MAX_REDRIVE_RECEIVES && handled() < MAX_REDRIVE; i++) {
        const messages = await receive(url, MAX_PEEK, REDRIVE_LEASE_SECONDS);
        if (messages.length === 0) break;
        for (const message of messages) {
          const described = describe(queue, message);
          const id = described.message.messageId;
          const mine = described.orgId === caller.orgId && (!wanted || wanted.has(id));
          if (!mine || handled() >= MAX_REDRIVE) {
            held.push(message);
            continue;
          }
          wanted?.delete(id);
          try {
            await lambdaClient().send(
              new InvokeCommand({
                FunctionName: `${operations.functionNamePrefix}${consumer}`,
                InvocationType: 'Event',
                Payload: new TextEncoder().encode(JSON.stringify(described.payload ?? {})),
              }),
            );
          } catch (error) {
            failed.push({ id, error: describeError(error) });
            held.push(message);
            continue;
          }
          try {
            await sqsClient().send(
              new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }),
            );
            redriven.push(id);
          } catch (error) {
            failed.push({ id, error: `invoked, but not deleted: ${describeError(error)}` });
          }
        }
        if (wanted?.size === 0) break;
      }
      for (const id of wanted ?? []) failed.push({ id, error: 'not in the queue (or not visible now)' });
      await Promise.allSettled(
        held.map((message) =>
          sqsClient().send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: url,
              ReceiptHandle: message.ReceiptHandle,
              VisibilityTimeout: 0,
            }),
          ),
        ),
      );
      return reply.ok({ queue: queue.name, function: consumer, redriven, failed });
    },
  }),
];
