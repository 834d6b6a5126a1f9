/**
 * The failure queues through the SQS JSON protocol (AWS JSON 1.0, `POST /`,
 * `X-Amz-Target: AmazonSQS.<Operation>`, what @aws-sdk/client-sqs v3 and the AWS CLI v2 speak), so the
 * console and the CLI read and clear failures with the same SQS calls here as on AWS.
 *
 * The queues are the runtime's FailureQueues; this endpoint reads them and deletes from them, it never
 * writes messages (Lambda and EventBridge do). Visibility leases, receive counts and receipt handles live
 * in memory on the injected clock: a restart makes every message visible again, as a lease that ran out.
 */
import { randomUUID } from 'node:crypto';
import { awsJsonHandler } from '../aws-json-endpoint.ts';
import { type Clock, systemClock } from '../clock.ts';
import { serveOnLoopback } from '../loopback-server.ts';
import type { FailureMessage, FailureQueues } from '../queues/failure-queues.ts';
import { md5Hex, md5OfMessageAttributes, selectAttributes, sqsView } from './messages.ts';

export interface StartSqsOptions {
  failureQueues: FailureQueues;
  /**
   * Queues that exist before anything failed, as the deployed stack creates them: every function's
   * `<function>-failures` and every rule's `<rule>-dlq`. Queues with messages are listed anyway.
   */
  declaredQueues?: readonly string[];
  port?: number;
  region?: string;
  accountId?: string;
  clock?: Clock;
  log?: (message: string) => void;
}

export interface LocalSqs {
  endpoint: string;
  queueUrl(name: string): string;
  stop(): Promise<void>;
}

/** SQS's defaults for a queue nobody configured: 30 s visibility, 14 days' retention (the stack's). */
const DEFAULT_VISIBILITY_SECONDS = 30;
const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;
const MAX_REQUEST_BYTES = 1024 * 1024;

export class SqsError extends Error {
  /** The awsQuery error code (`x-amzn-query-error`), e.g. `AWS.SimpleQueueService.NonExistentQueue`. */
  readonly queryCode: string;
  readonly statusCode: number;

  /** `name` is the shape the SDK maps to its exception class (`QueueDoesNotExist`, ...). */
  constructor(name: string, message: string, queryCode: string = name, statusCode = 400) {
    super(message);
    this.name = name;
    this.queryCode = queryCode;
    this.statusCode = statusCode;
  }
}

const invalid = (message: string) => new SqsError('InvalidParameterValue', message);
const missing = (parameter: string) =>
  new SqsError('MissingParameter', `The request must contain the parameter ${parameter}.`);
const noQueue = () =>
  new SqsError(
    'QueueDoesNotExist',
    'The specified queue does not exist.',
    'AWS.SimpleQueueService.NonExistentQueue',
  );
const badHandle = (handle: string) =>
  new SqsError(
    'ReceiptHandleIsInvalid',
    `The input receipt handle "${handle}" is not a valid receipt handle.`,
  );

interface Lease {
  leaseId: string;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt: number;
}

type Input = Record<string, unknown>;

class SqsCore {
  readonly #queues: FailureQueues;
  readonly #declared: Set<string>;
  readonly #clock: Clock;
  readonly #region: string;
  readonly #accountId: string;
  readonly #startedAt: number;
  /** queue -> messageId -> its latest lease. */
  readonly #leases = new Map<string, Map<string, Lease>>();
  readonly #waiters = new Set<() => void>();
  endpoint = '';

  constructor(options: StartSqsOptions) {
    this.#queues = options.failureQueues;
    this.#declared = new Set(options.declaredQueues ?? []);
    this.#clock = options.clock ?? systemClock;
    this.#region = options.region ?? 'eu-north-1';
    this.#accountId = options.accountId ?? '000000000000';
    this.#startedAt = this.#clock.now();
    this.#queues.on('delete', this.#forget);
  }

  readonly #forget = ({ queue, messageId }: { queue: string; messageId: string }) => {
    this.#leases.get(queue)?.delete(messageId);
  };

  queueUrl(name: string): string {
    return `${this.endpoint}/${this.#accountId}/${name}`;
  }

  async call(operation: string, input: Input): Promise<unknown> {
    switch (operation) {
      case 'ListQueues':
        return this.listQueues(input);
      case 'GetQueueUrl': {
        const name = requiredString(input, 'QueueName');
        if (!this.#exists(name)) throw noQueue();
        return { QueueUrl: this.queueUrl(name) };
      }
      case 'GetQueueAttributes':
        return this.getQueueAttributes(input);
      case 'ReceiveMessage':
        return this.receiveMessage(input);
      case 'DeleteMessage': {
        const queue = this.#queueOf(input);
        this.#delete(queue, requiredString(input, 'ReceiptHandle'));
        return {};
      }
      case 'DeleteMessageBatch':
        return this.deleteMessageBatch(input);
      case 'ChangeMessageVisibility':
        return this.changeMessageVisibility(input);
      case 'PurgeQueue': {
        const queue = this.#queueOf(input);
        const failures = this.#queues.queue(queue);
        for (const message of failures.list()) failures.delete(message.messageId);
        this.#leases.delete(queue);
        return {};
      }
      default:
        throw new SqsError(
          'UnsupportedOperation',
          `${operation || '(no X-Amz-Target)'} is not supported by the local failure queues: ` +
            'Lambda and EventBridge write them; read, delete, change visibility and purge are served.',
        );
    }
  }

  listQueues(input: Input): unknown {
    const prefix = optionalString(input, 'QueueNamePrefix') ?? '';
    const max = optionalInteger(input, 'MaxResults', 1, 1000);
    const names = [...new Set([...this.#declared, ...this.#queues.list().map((queue) => queue.name)])]
      .filter((name) => name.startsWith(prefix))
      .sort();
    const token = optionalString(input, 'NextToken');
    let start = 0;
    if (token !== undefined) {
      start = Number.parseInt(Buffer.from(token, 'base64url').toString('utf8'), 10);
      if (!Number.isInteger(start) || start < 0) throw invalid('Invalid NextToken value.');
    }
    const end = max === undefined ? Math.min(names.length, start + 1000) : start + max;
    const page = names.slice(start, end);
    return {
      ...(page.length > 0 ? { QueueUrls: page.map((name) => this.queueUrl(name)) } : {}),
      ...(max !== undefined && end < names.length
        ? { NextToken: Buffer.from(String(end), 'utf8').toString('base64url') }
        : {}),
    };
  }

  getQueueAttributes(input: Input): unknown {
    const queue = this.#queueOf(input);
    const requested = optionalStrings(input, 'AttributeNames') ?? [];
    const now = this.#clock.now();
    const messages = this.#queues.has(queue) ? this.#queues.queue(queue).list() : [];
    const inFlight = messages.filter((message) => this.#lease(queue, message.messageId, now)).length;
    const created = Math.min(this.#startedAt, ...messages.map((message) => Date.parse(message.sentAt)));
    const all: Record<string, string> = {
      ApproximateNumberOfMessages: String(messages.length - inFlight),
      ApproximateNumberOfMessagesNotVisible: String(inFlight),
      ApproximateNumberOfMessagesDelayed: '0',
      CreatedTimestamp: String(Math.floor(created / 1000)),
      LastModifiedTimestamp: String(Math.floor(created / 1000)),
      QueueArn: `arn:aws:sqs:${this.#region}:${this.#accountId}:${queue}`,
      VisibilityTimeout: String(DEFAULT_VISIBILITY_SECONDS),
      MessageRetentionPeriod: String(14 * 24 * 60 * 60),
      MaximumMessageSize: String(262_144),
      DelaySeconds: '0',
      ReceiveMessageWaitTimeSeconds: '0',
      SqsManagedSseEnabled: 'true',
    };
    const attributes: Record<string, string> = {};
    for (const name of requested) {
      if (name === 'All') Object.assign(attributes, all);
      else if (name in all) attributes[name] = all[name] as string;
      else throw new SqsError('InvalidAttributeName', `Unknown Attribute ${name}.`);
    }
    return Object.keys(attributes).length > 0 ? { Attributes: attributes } : {};
  }

  async receiveMessage(input: Input): Promise<unknown> {
    const queue = this.#queueOf(input);
    const max = optionalInteger(input, 'MaxNumberOfMessages', 1, 10) ?? 1;
    const visibility =
      optionalInteger(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS) ?? DEFAULT_VISIBILITY_SECONDS;
    const waitSeconds = optionalInteger(input, 'WaitTimeSeconds', 0, 20) ?? 0;
    const systemNames = [
      ...(optionalStrings(input, 'MessageSystemAttributeNames') ?? []),
      ...(optionalStrings(input, 'AttributeNames') ?? []),
    ];
    const attributeNames = optionalStrings(input, 'MessageAttributeNames') ?? [];

    let messages = this.#take(queue, max, visibility);
    if (messages.length === 0 && waitSeconds > 0) {
      await this.#waitForMessage(queue, waitSeconds * 1000);
      messages = this.#take(queue, max, visibility);
    }
    if (messages.length === 0) return {};
    return {
      Messages: messages.map(({ message, lease }) => {
        const view = sqsView(message);
        const selected = selectAttributes(view.messageAttributes, attributeNames);
        const system = systemAttributes(message, lease, systemNames);
        return {
          MessageId: message.messageId,
          ReceiptHandle: encodeHandle(queue, message.messageId, lease.leaseId),
          MD5OfBody: md5Hex(view.body),
          Body: view.body,
          ...(Object.keys(system).length > 0 ? { Attributes: system } : {}),
          ...(Object.keys(selected).length > 0
            ? { MessageAttributes: selected, MD5OfMessageAttributes: md5OfMessageAttributes(selected) }
            : {}),
        };
      }),
    };
  }

  deleteMessageBatch(input: Input): unknown {
    const queue = this.#queueOf(input);
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length === 0)
      throw new SqsError('EmptyBatchRequest', 'There should be at least one DeleteMessageBatchRequestEntry.');
    if (entries.length > 10)
      throw new SqsError(
        'TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
      );
    const ids = new Set<string>();
    for (const entry of entries as Input[]) {
      const id = entry?.Id;
      if (typeof id !== 'string' || !/^[a-zA-Z0-9_-]{1,80}$/.test(id))
        throw new SqsError(
          'InvalidBatchEntryId',
          `A batch entry id can only contain letters, digits, - and _.`,
        );
      if (ids.has(id)) throw new SqsError('BatchEntryIdsNotDistinct', `Id ${id} repeated.`);
      ids.add(id);
    }
    const Successful: { Id: string }[] = [];
    const Failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
    for (const entry of entries as Input[]) {
      const id = entry.Id as string;
      try {
        this.#delete(queue, typeof entry.ReceiptHandle === 'string' ? entry.ReceiptHandle : '');
        Successful.push({ Id: id });
      } catch (error) {
        if (!(error instanceof SqsError)) throw error;
        Failed.push({ Id: id, SenderFault: true, Code: error.name, Message: error.message });
      }
    }
    return { Successful, Failed };
  }

  changeMessageVisibility(input: Input): unknown {
    const queue = this.#queueOf(input);
    const handle = requiredString(input, 'ReceiptHandle');
    const timeout = optionalInteger(input, 'VisibilityTimeout', 0, MAX_VISIBILITY_SECONDS);
    if (timeout === undefined) throw missing('VisibilityTimeout');
    const { messageId, leaseId } = decodeHandle(queue, handle);
    const now = this.#clock.now();
    const lease = this.#lease(queue, messageId, now);
    if (!lease || lease.leaseId !== leaseId || !this.#queues.queue(queue).get(messageId))
      throw new SqsError(
        'MessageNotInflight',
        'Value for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.',
        'AWS.SimpleQueueService.MessageNotInflight',
      );
    lease.visibleAt = now + timeout * 1000;
    return {};
  }

  stop(): void {
    this.#queues.off('delete', this.#forget);
    for (const wake of [...this.#waiters]) wake();
  }

  /** Deletes by the latest receipt handle; an older one succeeds without deleting, as on SQS. */
  #delete(queue: string, handle: string): void {
    const { messageId, leaseId } = decodeHandle(queue, handle);
    const lease = this.#leases.get(queue)?.get(messageId);
    if (lease && lease.leaseId !== leaseId) return;
    this.#queues.queue(queue).delete(messageId);
    this.#leases.get(queue)?.delete(messageId);
  }

  #take(queue: string, max: number, visibilitySeconds: number): { message: FailureMessage; lease: Lease }[] {
    if (!this.#queues.has(queue)) return [];
    const now = this.#clock.now();
    const taken: { message: FailureMessage; lease: Lease }[] = [];
    for (const message of this.#queues.queue(queue).list()) {
      if (taken.length >= max) break;
      if (this.#lease(queue, message.messageId, now)) continue;
      const leases = this.#leases.get(queue) ?? new Map<string, Lease>();
      this.#leases.set(queue, leases);
      const previous = leases.get(message.messageId);
      const lease: Lease = {
        leaseId: randomUUID(),
        visibleAt: now + visibilitySeconds * 1000,
        receiveCount: (previous?.receiveCount ?? 0) + 1,
        firstReceivedAt: previous?.firstReceivedAt ?? now,
      };
      leases.set(message.messageId, lease);
      taken.push({ message, lease });
    }
    return taken;
  }

  /** The message's lease if it is in flight now. */
  #lease(queue: string, messageId: string, now: number): Lease | undefined {
    const lease = this.#leases.get(queue)?.get(messageId);
    return lease && lease.visibleAt > now ? lease : undefined;
  }

  #waitForMessage(queue: string, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.#waiters.delete(wake);
        this.#queues.off('message', onMessage);
        this.#clock.clearTimeout(timer);
        resolve();
      };
      const onMessage = (message: FailureMessage) => {
        if (message.queue === queue) wake();
      };
      const timer = this.#clock.setTimeout(wake, ms);
      this.#queues.on('message', onMessage);
      this.#waiters.add(wake);
    });
  }

  #exists(name: string): boolean {
    return this.#declared.has(name) || this.#queues.has(name);
  }

  /** The queue a QueueUrl names (its last path segment), which must exist. */
  #queueOf(input: Input): string {
    const url = requiredString(input, 'QueueUrl');
    let name: string | undefined;
    try {
      name = new URL(url).pathname.split('/').filter(Boolean).at(-1);
    } catch {
      throw new SqsError('InvalidAddress', `The address ${url} is not valid for this endpoint.`);
    }
    if (!name || !this.#exists(name)) throw noQueue();
    return name;
  }
}

function systemAttributes(message: FailureMessage, lease: Lease, requested: readonly string[]) {
  const all: Record<string, string> = {
    SentTimestamp: String(Date.parse(message.sentAt)),
    ApproximateReceiveCount: String(lease.receiveCount),
    ApproximateFirstReceiveTimestamp: String(lease.firstReceivedAt),
    SenderId: message.attributes.origin.kind === 'function' ? 'lambda.amazonaws.com' : 'events.amazonaws.com',
  };
  if (requested.includes('All')) return all;
  return Object.fromEntries(Object.entries(all).filter(([name]) => requested.includes(name)));
}

/** Receipt handles name the queue, the message and the lease they were issued with. */
function encodeHandle(queue: string, messageId: string, leaseId: string): string {
  return Buffer.from(JSON.stringify([queue, messageId, leaseId]), 'utf8').toString('base64url');
}

function decodeHandle(queue: string, handle: string): { messageId: string; leaseId: string } {
  let parts: unknown;
  try {
    parts = JSON.parse(Buffer.from(handle, 'base64url').toString('utf8'));
  } catch {
    throw badHandle(handle);
  }
  if (
    !Array.isArray(parts) ||
    parts.length !== 3 ||
    !parts.every((part) => typeof part === 'string') ||
    parts[0] !== queue
  )
    throw badHandle(handle);
  return { messageId: parts[1] as string, leaseId: parts[2] as string };
}

function requiredString(input: Input, name: string): string {
  const value = input[name];
  if (value === undefined || value === null || value === '') throw missing(name);
  if (typeof value !== 'string') throw invalid(`Value for parameter ${name} must be a string.`);
  return value;
}

function optionalString(input: Input, name: string): string | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(`Value for parameter ${name} must be a string.`);
  return value;
}

function optionalStrings(input: Input, name: string): string[] | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
    throw invalid(`Value for parameter ${name} must be a list of strings.`);
  return value as string[];
}

function optionalInteger(input: Input, name: string, min: number, max: number): number | undefined {
  const value = input[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw invalid(
      `Value ${JSON.stringify(value)} for parameter ${name} is invalid. Reason: Must be between ${min} and ${max}, if provided.`,
    );
  return value;
}

export async function startSqs(options: StartSqsOptions): Promise<LocalSqs> {
  const core = new SqsCore(options);
  const log = options.log ?? (() => {});

  const handle = awsJsonHandler({
    targetPrefix: 'AmazonSQS.',
    namespace: 'com.amazonaws.sqs',
    maxRequestBytes: MAX_REQUEST_BYTES,
    isServiceError: (error) => error instanceof SqsError,
    unknownOperation: (message) => new SqsError('UnsupportedOperation', message),
    invalidInput: invalid,
    call: (operation, input) => core.call(operation, input as Input),
  });

  const { server, port } = await serveOnLoopback(handle, {
    ...(options.port ? { port: options.port } : {}),
    log: (message) => log(`SQS: ${message}`),
  });
  core.endpoint = `http://127.0.0.1:${port}`;

  let stopped: Promise<void> | undefined;
  return {
    endpoint: core.endpoint,
    queueUrl: (name) => core.queueUrl(name),
    stop() {
      stopped ??= (async () => {
        core.stop();
        await new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        });
      })();
      return stopped;
    },
  };
}
