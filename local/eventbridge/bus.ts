/**
 * The local EventBridge: buses, rules, Lambda targets, delivery with EventBridge's retry policy and
 * DLQ, archives and replays. Every operation takes and returns the JSON shapes of the EventBridge API
 * (timestamps as epoch seconds), so the HTTP endpoint (server.ts) is only a dispatcher and the
 * in-process callers (the composition root, S3 notifications, the outbox pipe) use the same code path.
 *
 * Delivery is two-layered as on AWS: the bus only has to hand the event to Lambda (`invokeAsync`
 * accepting it is a successful delivery); a function that throws is Lambda's business (its own retries
 * and failure queue). When the hand-over fails (no such function, host stopped), the bus retries with
 * exponential backoff and jitter on the injected clock until the target's RetryPolicy runs out, then
 * puts the event into the target's DLQ, a failure queue named `${rule}-dlq` unless the target names one.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type {
  PutEventsRequestEntry,
  PutEventsResponse,
  PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { DEFAULT_BUS, PIPELINE_BUS, type Topology } from '../../functions/topology.ts';
import type { Clock, ClockTimer } from '../clock.ts';
import type { FailureMessage, FailureQueue, FailureQueues, RedriveResult } from '../queues/failure-queues.ts';
import type { Archive, Archives, BusEvent } from './archive.ts';
import type { DeliveryLog, DeliveryLogRecord, MessageType } from './delivery-log.ts';
import { alreadyExists, EventBridgeError, notFound, validation } from './errors.ts';
import { type CompiledPattern, compilePattern, matchesPattern } from './pattern.ts';

/**
 * Largest PutEvents request: EventBridge raised its event payload limit from 256 KB to 1 MB on
 * 2026-01-29 ("More room to build: serverless services now support payloads up to 1 MB",
 * https://aws.amazon.com/blogs/compute/more-room-to-build-serverless-services-now-support-payloads-up-to-1-mb).
 * Sizes are counted as AWS documents in "Calculating PutEvents event entry size"
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html): 14 bytes for Time,
 * the UTF-8 bytes of Source, DetailType, Detail and each resource, summed over the request's entries.
 */
export const MAX_PUT_EVENTS_BYTES = 1024 * 1024;
/** PutEvents takes at most 10 entries per request (API reference, `Entries` array length). */
export const MAX_PUT_EVENTS_ENTRIES = 10;
const MAX_TARGETS_PER_RULE = 5;
const NAME = /^[.\-_A-Za-z0-9]+$/;
const LAMBDA_ARN = /^arn:aws:lambda:[a-z0-9-]*:\d*:function:([a-zA-Z0-9_-]+)(?::[a-zA-Z0-9$_-]+)?$/;
const SQS_ARN = /^arn:aws:sqs:[a-z0-9-]*:\d*:([a-zA-Z0-9_.-]{1,80})$/;

/** What the bus needs from the Lambda host: Event invocations. */
export interface LambdaInvoker {
  invokeAsync(functionName: string, event: unknown): Promise<unknown>;
}

export interface DeliveryPolicyOptions {
  /** First retry delay before jitter; default 1000 ms, doubled per attempt. */
  baseDelayMs?: number;
  /** Longest retry delay; default 5 minutes. */
  maxDelayMs?: number;
  /** Source of jitter in [0, 1); inject a fixed one for reproducible delays. */
  random?: () => number;
}

export interface EventBridgeCoreOptions {
  clock: Clock;
  lambda: LambdaInvoker;
  failureQueues: FailureQueues;
  archives: Archives;
  deliveryLog: DeliveryLog;
  region: string;
  accountId: string;
  /** Custom buses besides `default`; default [PIPELINE_BUS]. */
  buses?: readonly string[];
  delivery?: DeliveryPolicyOptions;
}

interface RuleTarget {
  Id: string;
  Arn: string;
  RetryPolicy: { MaximumRetryAttempts: number; MaximumEventAgeInSeconds: number };
  DeadLetterConfig?: { Arn: string };
  functionName: string;
  dlqName: string;
}

interface Rule {
  name: string;
  arn: string;
  bus: string;
  eventPattern: string;
  compiled: CompiledPattern;
  state: 'ENABLED' | 'DISABLED';
  description?: string;
  targets: Map<string, RuleTarget>;
}

interface Bus {
  name: string;
  arn: string;
  creationTime: number;
  rules: Map<string, Rule>;
}

interface Replay {
  name: string;
  arn: string;
  description?: string;
  eventSourceArn: string;
  destination: { Arn: string; FilterArns?: string[] };
  eventStartTime: number;
  eventEndTime: number;
  state: 'STARTING' | 'RUNNING' | 'CANCELLING' | 'CANCELLED' | 'COMPLETED' | 'FAILED';
  stateReason?: string;
  replayStartTime: number;
  replayEndTime?: number;
  eventLastReplayedTime?: number;
}

interface Delivery {
  invocationId: string;
  requestId: string;
  bus: Bus;
  rule: Rule;
  target: RuleTarget;
  event: BusEvent;
  ingestedAt: number;
  attempts: number;
  firstAttemptAt?: number;
  lastAttemptAt?: number;
  lastError?: Error;
}

type Json = Record<string, unknown>;

export interface EventBridgeEvents {
  /** An event went into a rule target's DLQ. */
  dlq: [FailureMessage];
  /** An accepted event was matched against its bus's rules (live views: the console's flow). */
  routed: [RoutedEvent];
}

export interface RoutedEvent {
  bus: string;
  event: BusEvent;
  /** How many enabled rules matched it; 0 is NO_STANDARD_RULES_MATCHED. */
  matchedRules: number;
  /** Set when the event came from an archive replay. */
  replay?: string;
}

export class EventBridgeCore extends EventEmitter<EventBridgeEvents> {
  readonly region: string;
  readonly accountId: string;
  readonly deliveryLog: DeliveryLog;
  readonly #clock: Clock;
  readonly #lambda: LambdaInvoker;
  readonly #queues: FailureQueues;
  readonly #archives: Archives;
  readonly #buses = new Map<string, Bus>();
  readonly #replays = new Map<string, Replay>();
  readonly #retryTimers = new Map<Delivery, ClockTimer>();
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #random: () => number;
  #inFlight = 0;
  #replaysRunning = 0;
  #idleWaiters: (() => void)[] = [];
  #stopped = false;

  constructor(options: EventBridgeCoreOptions) {
    super();
    this.#clock = options.clock;
    this.#lambda = options.lambda;
    this.#queues = options.failureQueues;
    this.#archives = options.archives;
    this.deliveryLog = options.deliveryLog;
    this.region = options.region;
    this.accountId = options.accountId;
    this.#baseDelayMs = options.delivery?.baseDelayMs ?? 1000;
    this.#maxDelayMs = options.delivery?.maxDelayMs ?? 5 * 60_000;
    this.#random = options.delivery?.random ?? Math.random;
    for (const name of new Set([DEFAULT_BUS, ...(options.buses ?? [PIPELINE_BUS])])) {
      this.#buses.set(name, {
        name,
        arn: this.busArn(name),
        creationTime: this.#clock.now(),
        rules: new Map(),
      });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // ARNs

  busArn(bus: string): string {
    return `arn:aws:events:${this.region}:${this.accountId}:event-bus/${bus}`;
  }

  ruleArn(bus: string, rule: string): string {
    const path = bus === DEFAULT_BUS ? rule : `${bus}/${rule}`;
    return `arn:aws:events:${this.region}:${this.accountId}:rule/${path}`;
  }

  archiveArn(archive: string): string {
    return `arn:aws:events:${this.region}:${this.accountId}:archive/${archive}`;
  }

  lambdaArn(functionName: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${functionName}`;
  }

  queueArn(queue: string): string {
    return `arn:aws:sqs:${this.region}:${this.accountId}:${queue}`;
  }

  // ---------------------------------------------------------------------------------------------
  // Wiring from the topology (through the same operations as the API)

  /** Creates every event rule of the topology with its Lambda target, RetryPolicy and DLQ. */
  applyTopology(topology: Topology): void {
    for (const fn of topology) {
      for (const trigger of fn.triggers) {
        if (trigger.kind !== 'event') continue;
        this.putRule({
          Name: trigger.rule,
          EventBusName: trigger.bus,
          EventPattern: JSON.stringify(trigger.pattern),
          State: 'ENABLED',
          Description: `Delivers to ${fn.name}: ${fn.description}`.slice(0, 512),
        });
        this.putTargets({
          Rule: trigger.rule,
          EventBusName: trigger.bus,
          Targets: [
            {
              Id: fn.name,
              Arn: this.lambdaArn(fn.name),
              RetryPolicy: {
                MaximumRetryAttempts: trigger.delivery.maximumRetryAttempts,
                MaximumEventAgeInSeconds: trigger.delivery.maximumEventAgeSeconds,
              },
              DeadLetterConfig: { Arn: this.queueArn(this.defaultDlqName(trigger.rule)) },
            },
          ],
        });
      }
    }
  }

  /** Creates the archive `name` of every event on `bus`, unless it exists (it may, from a previous run). */
  ensureArchive(name: string, bus: string): void {
    if (this.#archives.get(name)) return;
    this.createArchive({
      ArchiveName: name,
      EventSourceArn: this.busArn(bus),
      Description: `Every event on the ${bus} bus`,
    });
  }

  defaultDlqName(rule: string): string {
    return `${rule}-dlq`;
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  /**
   * PutEvents. `trusted` callers are the runtime's own AWS services (S3 notifications), which may use
   * `aws.*` sources; over HTTP such sources are refused as AWS refuses them to customers.
   */
  putEvents(input: Json, options: { trusted?: boolean; requestId?: string } = {}): PutEventsResponse {
    const entries = input.Entries;
    if (!Array.isArray(entries))
      throw validation(
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
      );
    if (entries.length < 1 || entries.length > MAX_PUT_EVENTS_ENTRIES) {
      const bound =
        entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_PUT_EVENTS_ENTRIES}`;
      throw validation(
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
      );
    }
    const size = entries.reduce<number>((sum, entry) => sum + entrySize(entry as PutEventsRequestEntry), 0);
    if (size > MAX_PUT_EVENTS_BYTES)
      throw validation('Total size of the entries in the request is over the limit.');

    const requestId = options.requestId ?? randomUUID();
    const now = this.#clock.now();
    const results: PutEventsResultEntry[] = [];
    const accepted: { bus: Bus; event: BusEvent }[] = [];
    for (const raw of entries as PutEventsRequestEntry[]) {
      const outcome = this.#admit(raw ?? {}, now, options.trusted ?? false);
      if ('error' in outcome) {
        results.push(outcome.error);
        const bus = this.#buses.get(busName(raw?.EventBusName)) ?? this.#buses.get(DEFAULT_BUS);
        if (bus) {
          this.#log(bus, 'EVENT_INGEST_FAILURE', {
            request_id: requestId,
            details: this.#receiptDetails(raw ?? {}),
            error: { error_message: outcome.error.ErrorMessage ?? '', aws_service: 'events' },
          });
        }
        continue;
      }
      results.push({ EventId: outcome.event.id });
      accepted.push(outcome);
    }
    // Archive and match before answering, as EventBridge does; deliveries start but are not awaited.
    for (const { bus, event } of accepted) {
      this.#log(bus, 'EVENT_INGEST_SUCCESS', {
        request_id: requestId,
        event_id: event.id,
        details: this.#eventDetails(event),
      });
      for (const archive of this.#archives.list()) {
        if (archive.definition.eventSourceArn === bus.arn && archive.accepts(event)) {
          archive.append({ archivedAt: now, event });
        }
      }
      this.#route(bus, event, requestId, now);
    }
    return { FailedEntryCount: results.filter((result) => result.ErrorCode).length, Entries: results };
  }

  testEventPattern(input: Json): { Result: boolean } {
    const compiled = compilePattern(requiredString(input, 'EventPattern'));
    const text = requiredString(input, 'Event');
    let event: unknown;
    try {
      event = JSON.parse(text);
    } catch {
      throw validation('Parameter Event is not valid. Reason: Event is not valid JSON.');
    }
    if (!isObject(event))
      throw validation('Parameter Event is not valid. Reason: Event must be a JSON object.');
    for (const field of ['id', 'account', 'source', 'time', 'region', 'detail-type']) {
      if (!(field in event))
        throw validation(`Parameter Event is not valid. Reason: Provided Event must have a ${field} field.`);
    }
    return { Result: matchesPattern(compiled, event) };
  }

  #admit(
    entry: PutEventsRequestEntry,
    now: number,
    trusted: boolean,
  ): { bus: Bus; event: BusEvent } | { error: PutEventsResultEntry } {
    const invalid = (field: string) => ({
      error: {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: `Parameter ${field} is not valid. Reason: ${field} is a required argument.`,
      },
    });
    if (!entry.Source) return invalid('Source');
    if (!entry.DetailType) return invalid('DetailType');
    if (!entry.Detail) return invalid('Detail');
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      detail = undefined;
    }
    if (!isObject(detail))
      return { error: { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' } };
    if (!trusted && entry.Source.startsWith('aws.')) {
      return {
        error: {
          ErrorCode: 'NotAuthorizedForSourceException',
          ErrorMessage: 'Not authorized for the source.',
        },
      };
    }
    const name = busName(entry.EventBusName);
    const bus = this.#buses.get(name);
    if (!bus)
      return {
        error: { ErrorCode: 'ResourceNotFoundException', ErrorMessage: `Event bus ${name} does not exist.` },
      };
    const time = entry.Time === undefined ? now : toMillis(entry.Time);
    if (Number.isNaN(time)) {
      return {
        error: {
          ErrorCode: 'InvalidArgument',
          ErrorMessage: 'Parameter Time is not valid. Reason: Time is not a timestamp.',
        },
      };
    }
    return {
      bus,
      event: {
        version: '0',
        id: randomUUID(),
        'detail-type': entry.DetailType,
        source: entry.Source,
        account: this.accountId,
        time: isoSeconds(time),
        region: this.region,
        resources: [...(entry.Resources ?? [])],
        detail,
      },
    };
  }

  /** Matches an accepted event against the bus's rules and starts one delivery per target. */
  #route(bus: Bus, event: BusEvent, requestId: string, ingestedAt: number, replay?: Replay): void {
    this.#log(bus, 'EVENT_RECEIPT', {
      request_id: requestId,
      event_id: event.id,
      details: { ...this.#eventDetails(event), ...(replay ? { replay_name: replay.name } : {}) },
    });
    const filter = replay?.destination.FilterArns;
    const matched = [...bus.rules.values()].filter(
      (rule) =>
        rule.state === 'ENABLED' &&
        (!filter || filter.length === 0 || filter.includes(rule.arn)) &&
        matchesPattern(rule.compiled, event),
    );
    this.emit('routed', {
      bus: bus.name,
      event,
      matchedRules: matched.length,
      ...(replay ? { replay: replay.name } : {}),
    });
    if (matched.length === 0) {
      this.#log(bus, 'NO_STANDARD_RULES_MATCHED', { request_id: requestId, event_id: event.id, details: {} });
      return;
    }
    for (const rule of matched) {
      const deliveries: Delivery[] = [...rule.targets.values()].map((target) => ({
        invocationId: randomUUID(),
        requestId,
        bus,
        rule,
        target,
        event,
        ingestedAt,
        attempts: 0,
      }));
      this.#log(bus, 'RULE_MATCH', {
        request_id: requestId,
        event_id: event.id,
        details: {
          rule_arn: rule.arn,
          target_arns: deliveries.map((delivery) => delivery.target.Arn),
          invocation_ids: deliveries.map((delivery) => delivery.invocationId),
        },
      });
      for (const delivery of deliveries) {
        this.#log(bus, 'INVOCATION_START', {
          request_id: requestId,
          event_id: event.id,
          invocation_id: delivery.invocationId,
          details: this.#targetDetails(delivery, { attempt_count: 0 }),
        });
        void this.#attempt(delivery);
      }
    }
  }

  async #attempt(delivery: Delivery): Promise<void> {
    const { target } = delivery;
    const now = this.#clock.now();
    if (
      delivery.attempts > 0 &&
      now - delivery.ingestedAt > target.RetryPolicy.MaximumEventAgeInSeconds * 1000
    ) {
      this.#exhaust(delivery, 'MaximumEventAgeInSeconds');
      return;
    }
    delivery.attempts++;
    delivery.firstAttemptAt ??= now;
    delivery.lastAttemptAt = now;
    const base = {
      request_id: delivery.requestId,
      event_id: delivery.event.id,
      invocation_id: delivery.invocationId,
    };
    this.#log(delivery.bus, 'INVOCATION_ATTEMPT_START', {
      ...base,
      details: this.#targetDetails(delivery, { attempt_count: delivery.attempts }),
    });
    this.#inFlight++;
    const started = performance.now();
    try {
      await this.#lambda.invokeAsync(target.functionName, delivery.event);
      const duration = Math.round(performance.now() - started);
      this.#log(delivery.bus, 'INVOCATION_ATTEMPT_SUCCESS', {
        ...base,
        details: this.#targetDetails(delivery, {
          attempt_type: delivery.attempts === 1 ? 'FIRST' : 'RETRY',
          attempt_count: delivery.attempts,
          invocation_status: 'SUCCESS',
          target_duration_ms: duration,
        }),
      });
      this.#log(delivery.bus, 'INVOCATION_SUCCESS', {
        ...base,
        details: this.#targetDetails(delivery, {
          total_attempts: delivery.attempts,
          final_invocation_status: 'SUCCESS',
          ingestion_to_success_latency_ms: this.#clock.now() - delivery.ingestedAt,
          target_duration_ms: duration,
        }),
      });
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      delivery.lastError = error;
      this.#log(delivery.bus, 'INVOCATION_ATTEMPT_RETRYABLE_FAILURE', {
        ...base,
        details: this.#targetDetails(delivery, {
          attempt_type: delivery.attempts === 1 ? 'FIRST' : 'RETRY',
          attempt_count: delivery.attempts,
          invocation_status: 'RETRYABLE_FAILURE',
          target_duration_ms: Math.round(performance.now() - started),
        }),
        error: lambdaError(error),
      });
      if (this.#stopped) this.#exhaust(delivery, 'RuntimeStopped');
      else if (delivery.attempts - 1 >= target.RetryPolicy.MaximumRetryAttempts)
        this.#exhaust(delivery, 'MaximumRetryAttempts');
      else {
        const timer = this.#clock.setTimeout(() => {
          this.#retryTimers.delete(delivery);
          void this.#attempt(delivery);
        }, this.#backoff(delivery.attempts));
        this.#retryTimers.set(delivery, timer);
      }
    } finally {
      this.#inFlight--;
      this.#notifyIdle();
    }
  }

  /** Exponential backoff with "equal jitter": half the doubled delay fixed, half random. */
  #backoff(attempts: number): number {
    const ceiling = Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** (attempts - 1));
    return Math.round(ceiling / 2 + this.#random() * (ceiling / 2));
  }

  /** Retries are over: the event goes to the target's DLQ with the last error, never dropped. */
  #exhaust(delivery: Delivery, condition: string): void {
    const error = delivery.lastError ?? new Error('The event expired before it could be delivered');
    const base = {
      request_id: delivery.requestId,
      event_id: delivery.event.id,
      invocation_id: delivery.invocationId,
    };
    this.#log(delivery.bus, 'INVOCATION_FAILURE', {
      ...base,
      details: this.#targetDetails(delivery, {
        total_attempts: delivery.attempts,
        final_invocation_status: 'FAILURE',
      }),
      error: lambdaError(error),
    });
    const message = this.#queues.queue(delivery.target.dlqName).send(delivery.event, {
      origin: {
        kind: 'ruleTarget',
        bus: delivery.bus.name,
        rule: delivery.rule.name,
        ruleArn: delivery.rule.arn,
        targetId: delivery.target.Id,
        targetArn: delivery.target.Arn,
        eventId: delivery.event.id,
      },
      condition,
      errorType: error.name,
      errorMessage: error.message,
      attempts: delivery.attempts,
      firstAttemptAt: new Date(delivery.firstAttemptAt ?? delivery.ingestedAt).toISOString(),
      lastAttemptAt: new Date(delivery.lastAttemptAt ?? delivery.ingestedAt).toISOString(),
    });
    this.#log(delivery.bus, 'INVOCATION_DLQ', {
      ...base,
      details: this.#targetDetails(delivery, {
        total_attempts: delivery.attempts,
        final_invocation_status: 'FAILURE',
        dlq_arn: delivery.target.DeadLetterConfig?.Arn ?? this.queueArn(delivery.target.dlqName),
      }),
      error: lambdaError(error),
    });
    this.emit('dlq', message);
  }

  // ---------------------------------------------------------------------------------------------
  // DLQs and redrive

  /** The DLQ of a rule's targets (the default `${rule}-dlq` unless a target names another queue). */
  deadLetterQueue(rule: string): FailureQueue {
    const names = this.#dlqNames(rule);
    return this.#queues.queue(names[0] ?? this.defaultDlqName(rule));
  }

  /**
   * Re-delivers messages from a rule's DLQ (by rule name, or the DLQ's default name) to the one target
   * each came from: one attempt per message.
   * A message delivered now is deleted; one that fails again stays, with the new error.
   */
  async redrive(ruleOrQueue: string, messageId: string | 'all'): Promise<RedriveResult> {
    if (this.#stopped)
      throw new EventBridgeError('InternalException', 'The local EventBridge is stopped', 500);
    // The DLQ's default name (`<rule>-dlq`) is accepted too, as operators see it in listings.
    const known = [...this.#buses.values()].some((bus) => bus.rules.has(ruleOrQueue));
    const rule = !known && ruleOrQueue.endsWith('-dlq') ? ruleOrQueue.slice(0, -'-dlq'.length) : ruleOrQueue;
    const queues = this.#dlqNames(rule).map((name) => this.#queues.queue(name));
    if (queues.length === 0) queues.push(this.#queues.queue(this.defaultDlqName(rule)));
    const found = queues.flatMap((queue) =>
      queue
        .list()
        .filter(
          (message) =>
            message.attributes.origin.kind === 'ruleTarget' && message.attributes.origin.rule === rule,
        )
        .filter((message) => messageId === 'all' || message.messageId === messageId)
        .map((message) => ({ queue, message })),
    );
    if (messageId !== 'all' && found.length === 0)
      throw notFound(`Message ${messageId} is not in the DLQ of rule ${rule}`);
    const result: RedriveResult = { redriven: found.length, succeeded: [], failed: [] };
    await Promise.all(
      found.map(async ({ queue, message }) => {
        const failure = await this.#redeliver(message);
        if (!failure) {
          queue.delete(message.messageId);
          result.succeeded.push(message.messageId);
          return;
        }
        queue.update(message.messageId, {
          ...message.attributes,
          errorType: failure.name,
          errorMessage: failure.message,
          attempts: message.attributes.attempts + 1,
          lastAttemptAt: new Date(this.#clock.now()).toISOString(),
        });
        result.failed.push({
          messageId: message.messageId,
          errorType: failure.name,
          errorMessage: failure.message,
        });
      }),
    );
    return result;
  }

  async #redeliver(message: FailureMessage): Promise<Error | undefined> {
    const origin = message.attributes.origin;
    if (origin.kind !== 'ruleTarget') return new Error('not a rule target message');
    const bus = this.#buses.get(origin.bus);
    const rule = bus?.rules.get(origin.rule);
    const target = rule?.targets.get(origin.targetId);
    if (!bus || !rule || !target) {
      return notFound(
        `Target ${origin.targetId} of rule ${origin.rule} on bus ${origin.bus} no longer exists`,
      );
    }
    const delivery: Delivery = {
      invocationId: randomUUID(),
      requestId: randomUUID(),
      bus,
      rule,
      target,
      event: message.body as BusEvent,
      ingestedAt: this.#clock.now(),
      attempts: message.attributes.attempts,
    };
    const base = {
      request_id: delivery.requestId,
      event_id: delivery.event.id,
      invocation_id: delivery.invocationId,
    };
    this.#log(bus, 'INVOCATION_ATTEMPT_START', {
      ...base,
      details: this.#targetDetails(delivery, { attempt_count: delivery.attempts + 1, redrive: true }),
    });
    this.#inFlight++;
    try {
      await this.#lambda.invokeAsync(target.functionName, delivery.event);
      this.#log(bus, 'INVOCATION_ATTEMPT_SUCCESS', {
        ...base,
        details: this.#targetDetails(delivery, {
          attempt_type: 'RETRY',
          attempt_count: delivery.attempts + 1,
          invocation_status: 'SUCCESS',
        }),
      });
      return undefined;
    } catch (caught) {
      const error = caught instanceof Error ? caught : new Error(String(caught));
      this.#log(bus, 'INVOCATION_ATTEMPT_RETRYABLE_FAILURE', {
        ...base,
        details: this.#targetDetails(delivery, {
          attempt_type: 'RETRY',
          attempt_count: delivery.attempts + 1,
          invocation_status: 'RETRYABLE_FAILURE',
        }),
        error: lambdaError(error),
      });
      return error;
    } finally {
      this.#inFlight--;
      this.#notifyIdle();
    }
  }

  #dlqNames(rule: string): string[] {
    const names = new Set<string>();
    for (const bus of this.#buses.values()) {
      for (const target of bus.rules.get(rule)?.targets.values() ?? []) names.add(target.dlqName);
    }
    return [...names];
  }

  // ---------------------------------------------------------------------------------------------
  // Rules and targets

  putRule(input: Json): { RuleArn: string } {
    const name = ruleName(input.Name);
    const bus = this.#bus(input.EventBusName);
    if (input.ScheduleExpression !== undefined) {
      throw validation(
        'ScheduleExpression is not supported by the local runtime; use EventBridge Scheduler schedules.',
      );
    }
    const eventPattern = requiredString(input, 'EventPattern');
    const compiled = compilePattern(eventPattern);
    const state = input.State ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED') {
      throw validation(
        `1 validation error detected: Value '${String(state)}' at 'state' failed to satisfy constraint: Member must satisfy enum value set: [ENABLED, DISABLED]`,
      );
    }
    const description = optionalString(input, 'Description', 512);
    const existing = bus.rules.get(name);
    const rule: Rule = {
      name,
      arn: this.ruleArn(bus.name, name),
      bus: bus.name,
      eventPattern,
      compiled,
      state,
      ...(description === undefined ? {} : { description }),
      targets: existing?.targets ?? new Map(),
    };
    bus.rules.set(name, rule);
    return { RuleArn: rule.arn };
  }

  describeRule(input: Json): Json {
    const bus = this.#bus(input.EventBusName);
    return { ...ruleShape(this.#rule(bus, input.Name)), CreatedBy: this.accountId };
  }

  listRules(input: Json): Json {
    const bus = this.#bus(input.EventBusName);
    const prefix = optionalString(input, 'NamePrefix', 64) ?? '';
    const rules = [...bus.rules.values()].filter((rule) => rule.name.startsWith(prefix)).sort(byName);
    const { page, next } = paginate(rules, input);
    return { Rules: page.map(ruleShape), ...(next ? { NextToken: next } : {}) };
  }

  deleteRule(input: Json): Json {
    const bus = this.#bus(input.EventBusName);
    const name = ruleName(input.Name);
    const rule = bus.rules.get(name);
    if (!rule) return {}; // DeleteRule of a missing rule succeeds on AWS too
    if (rule.targets.size > 0 && input.Force !== true)
      throw validation("Rule can't be deleted since it has targets.");
    bus.rules.delete(name);
    return {};
  }

  enableRule(input: Json, state: 'ENABLED' | 'DISABLED'): Json {
    this.#rule(this.#bus(input.EventBusName), input.Name).state = state;
    return {};
  }

  putTargets(input: Json): { FailedEntryCount: number; FailedEntries: [] } {
    const bus = this.#bus(input.EventBusName);
    const rule = this.#rule(bus, input.Rule);
    const targets = input.Targets;
    if (!Array.isArray(targets) || targets.length < 1 || targets.length > 10) {
      throw validation(
        "1 validation error detected: Value at 'targets' failed to satisfy constraint: Member must have length between 1 and 10",
      );
    }
    const parsed = targets.map((target) => this.#target(rule, target));
    const ids = new Set([...rule.targets.keys(), ...parsed.map((target) => target.Id)]);
    if (ids.size > MAX_TARGETS_PER_RULE) {
      throw new EventBridgeError(
        'LimitExceededException',
        'The requested resource exceeds the maximum number allowed.',
      );
    }
    for (const target of parsed) rule.targets.set(target.Id, target);
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  removeTargets(input: Json): { FailedEntryCount: number; FailedEntries: [] } {
    const rule = this.#rule(this.#bus(input.EventBusName), input.Rule);
    if (!Array.isArray(input.Ids))
      throw validation('Parameter Ids is not valid. Reason: Ids is a required argument.');
    for (const id of input.Ids) rule.targets.delete(String(id));
    return { FailedEntryCount: 0, FailedEntries: [] };
  }

  listTargetsByRule(input: Json): Json {
    const rule = this.#rule(this.#bus(input.EventBusName), input.Rule);
    const { page, next } = paginate([...rule.targets.values()], input);
    return {
      Targets: page.map((target) => ({
        Id: target.Id,
        Arn: target.Arn,
        RetryPolicy: target.RetryPolicy,
        ...(target.DeadLetterConfig ? { DeadLetterConfig: target.DeadLetterConfig } : {}),
      })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  #target(rule: Rule, raw: unknown): RuleTarget {
    if (!isObject(raw)) throw validation('Each target must be an object.');
    const id = raw.Id;
    if (typeof id !== 'string' || id.length < 1 || id.length > 64 || !NAME.test(id)) {
      throw validation(
        `1 validation error detected: Value '${String(id)}' at 'targets.member.id' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
      );
    }
    for (const unsupported of [
      'Input',
      'InputPath',
      'InputTransformer',
      'RoleArn',
      'SqsParameters',
      'HttpParameters',
    ]) {
      if (raw[unsupported] !== undefined)
        throw validation(`Target ${id}: ${unsupported} is not supported by the local runtime.`);
    }
    const arn = typeof raw.Arn === 'string' ? raw.Arn : '';
    const functionName = LAMBDA_ARN.exec(arn)?.[1];
    if (!functionName)
      throw validation(
        `Target ${id}: the local runtime delivers to Lambda function ARNs only, got ${JSON.stringify(arn)}.`,
      );
    const retry = isObject(raw.RetryPolicy) ? raw.RetryPolicy : {};
    const maximumRetryAttempts = integerIn(
      retry.MaximumRetryAttempts,
      185,
      0,
      185,
      'RetryPolicy.MaximumRetryAttempts',
    );
    const maximumEventAge = integerIn(
      retry.MaximumEventAgeInSeconds,
      86_400,
      60,
      86_400,
      'RetryPolicy.MaximumEventAgeInSeconds',
    );
    let dlqName = this.defaultDlqName(rule.name);
    let deadLetterConfig: { Arn: string } | undefined;
    if (isObject(raw.DeadLetterConfig) && raw.DeadLetterConfig.Arn !== undefined) {
      const dlqArn = String(raw.DeadLetterConfig.Arn);
      const queue = SQS_ARN.exec(dlqArn)?.[1];
      if (!queue)
        throw validation(
          `Target ${id}: DeadLetterConfig.Arn must be an SQS queue ARN, got ${JSON.stringify(dlqArn)}.`,
        );
      dlqName = queue;
      deadLetterConfig = { Arn: dlqArn };
    }
    // A target without a DLQ would drop undeliverable events on AWS; locally they still land in
    // `${rule}-dlq`, so nothing is ever lost silently.
    return {
      Id: id,
      Arn: arn,
      RetryPolicy: { MaximumRetryAttempts: maximumRetryAttempts, MaximumEventAgeInSeconds: maximumEventAge },
      ...(deadLetterConfig ? { DeadLetterConfig: deadLetterConfig } : {}),
      functionName,
      dlqName,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Buses

  listEventBuses(input: Json): Json {
    const prefix = optionalString(input, 'NamePrefix', 256) ?? '';
    const buses = [...this.#buses.values()].filter((bus) => bus.name.startsWith(prefix)).sort(byName);
    const { page, next } = paginate(buses, input);
    return { EventBuses: page.map((bus) => this.#busShape(bus)), ...(next ? { NextToken: next } : {}) };
  }

  describeEventBus(input: Json): Json {
    return this.#busShape(this.#bus(input.Name));
  }

  #busShape(bus: Bus): Json {
    return {
      Name: bus.name,
      Arn: bus.arn,
      CreationTime: bus.creationTime / 1000,
      LastModifiedTime: bus.creationTime / 1000,
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Archives and replays

  createArchive(input: Json): Json {
    const name = requiredString(input, 'ArchiveName');
    if (name.length > 48 || !NAME.test(name)) {
      throw validation(
        `1 validation error detected: Value '${name}' at 'archiveName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
      );
    }
    if (this.#archives.get(name)) throw alreadyExists(`Archive ${name} already exists.`);
    const source = requiredString(input, 'EventSourceArn');
    const bus = [...this.#buses.values()].find((candidate) => candidate.arn === source);
    if (!bus) throw notFound(`Event bus ${busName(source)} does not exist.`);
    const eventPattern = optionalString(input, 'EventPattern', 4096);
    if (eventPattern !== undefined) compilePattern(eventPattern);
    const description = optionalString(input, 'Description', 512);
    const archive = this.#archives.create({
      name,
      arn: this.archiveArn(name),
      eventSourceArn: bus.arn,
      ...(description === undefined ? {} : { description }),
      ...(eventPattern === undefined ? {} : { eventPattern }),
      retentionDays: integerIn(input.RetentionDays, 0, 0, 2_147_483_647, 'RetentionDays'),
      creationTime: this.#clock.now(),
    });
    return {
      ArchiveArn: archive.definition.arn,
      State: 'ENABLED',
      CreationTime: archive.definition.creationTime / 1000,
    };
  }

  describeArchive(input: Json): Json {
    const archive = this.#archive(requiredString(input, 'ArchiveName'));
    const { definition } = archive;
    return {
      ArchiveArn: definition.arn,
      ...this.#archiveShape(archive),
      ...(definition.description === undefined ? {} : { Description: definition.description }),
      ...(definition.eventPattern === undefined ? {} : { EventPattern: definition.eventPattern }),
    };
  }

  listArchives(input: Json): Json {
    const prefix = optionalString(input, 'NamePrefix', 48) ?? '';
    const source = optionalString(input, 'EventSourceArn', 1600);
    const archives = this.#archives
      .list()
      .filter((archive) => archive.definition.name.startsWith(prefix))
      .filter((archive) => source === undefined || archive.definition.eventSourceArn === source)
      .sort((a, b) => a.definition.name.localeCompare(b.definition.name));
    const { page, next } = paginate(archives, input);
    return {
      Archives: page.map((archive) => this.#archiveShape(archive)),
      ...(next ? { NextToken: next } : {}),
    };
  }

  #archiveShape(archive: Archive): Json {
    const { definition } = archive;
    return {
      ArchiveName: definition.name,
      EventSourceArn: definition.eventSourceArn,
      State: 'ENABLED',
      RetentionDays: definition.retentionDays,
      SizeBytes: archive.sizeBytes,
      EventCount: archive.eventCount,
      CreationTime: definition.creationTime / 1000,
    };
  }

  startReplay(input: Json): Json {
    const name = requiredString(input, 'ReplayName');
    if (name.length > 64 || !NAME.test(name)) {
      throw validation(
        `1 validation error detected: Value '${name}' at 'replayName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
      );
    }
    if (this.#replays.has(name)) throw alreadyExists(`Replay ${name} already exists.`);
    const sourceArn = requiredString(input, 'EventSourceArn');
    const archiveName = /:archive\/(.+)$/.exec(sourceArn)?.[1] ?? sourceArn;
    const archive = this.#archive(archiveName);
    const start = requiredTimestamp(input, 'EventStartTime');
    const end = requiredTimestamp(input, 'EventEndTime');
    if (start >= end)
      throw validation(
        'Parameter EventStartTime is not valid. Reason: EventStartTime must be before EventEndTime.',
      );
    const destination = input.Destination;
    if (!isObject(destination) || typeof destination.Arn !== 'string') {
      throw validation('Parameter Destination is not valid. Reason: Destination is a required argument.');
    }
    if (destination.Arn !== archive.definition.eventSourceArn) {
      throw validation(
        'Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.',
      );
    }
    const bus = [...this.#buses.values()].find((candidate) => candidate.arn === destination.Arn);
    if (!bus) throw notFound(`Event bus ${busName(destination.Arn)} does not exist.`);
    const filterArns = Array.isArray(destination.FilterArns) ? destination.FilterArns.map(String) : undefined;
    for (const arn of filterArns ?? []) {
      if (![...bus.rules.values()].some((rule) => rule.arn === arn)) {
        throw validation(
          `Parameter Destination.FilterArns is not valid. Reason: Rule ${arn} does not exist on event bus ${bus.name}.`,
        );
      }
    }
    const description = optionalString(input, 'Description', 512);
    const replay: Replay = {
      name,
      arn: `arn:aws:events:${this.region}:${this.accountId}:replay/${name}`,
      ...(description === undefined ? {} : { description }),
      eventSourceArn: archive.definition.arn,
      destination: { Arn: destination.Arn, ...(filterArns ? { FilterArns: filterArns } : {}) },
      eventStartTime: start,
      eventEndTime: end,
      state: 'STARTING',
      replayStartTime: this.#clock.now(),
    };
    this.#replays.set(name, replay);
    this.#replaysRunning++;
    setImmediate(() => {
      this.#runReplay(replay, archive, bus).finally(() => {
        this.#replaysRunning--;
        this.#notifyIdle();
      });
    });
    return { ReplayArn: replay.arn, State: replay.state, ReplayStartTime: replay.replayStartTime / 1000 };
  }

  async #runReplay(replay: Replay, archive: Archive, bus: Bus): Promise<void> {
    if (replay.state !== 'STARTING') return;
    replay.state = 'RUNNING';
    const requestId = randomUUID();
    try {
      for await (const entry of archive.read(replay.eventStartTime, replay.eventEndTime)) {
        if (replay.state !== 'RUNNING') break;
        // A replayed event keeps its id and time and carries the replay's name, as on AWS.
        this.#route(
          bus,
          { ...entry.event, 'replay-name': replay.name },
          requestId,
          this.#clock.now(),
          replay,
        );
        replay.eventLastReplayedTime = entry.archivedAt;
      }
      // Read the state afresh: cancelReplay may have changed it while the loop awaited the archive.
      replay.state = stateOf(replay) === 'CANCELLING' ? 'CANCELLED' : 'COMPLETED';
    } catch (error) {
      replay.state = 'FAILED';
      replay.stateReason = (error as Error).message;
    }
    replay.replayEndTime = this.#clock.now();
  }

  cancelReplay(input: Json): Json {
    const replay = this.#replay(requiredString(input, 'ReplayName'));
    if (replay.state === 'STARTING') {
      replay.state = 'CANCELLED';
      replay.replayEndTime = this.#clock.now();
    } else if (replay.state === 'RUNNING') replay.state = 'CANCELLING';
    else
      throw new EventBridgeError(
        'IllegalStatusException',
        `Replay ${replay.name} is not in a state that can be cancelled.`,
      );
    return { ReplayArn: replay.arn, State: replay.state };
  }

  describeReplay(input: Json): Json {
    const replay = this.#replay(requiredString(input, 'ReplayName'));
    return {
      ReplayName: replay.name,
      ReplayArn: replay.arn,
      ...(replay.description === undefined ? {} : { Description: replay.description }),
      Destination: replay.destination,
      ...this.#replayShape(replay),
    };
  }

  listReplays(input: Json): Json {
    const prefix = optionalString(input, 'NamePrefix', 64) ?? '';
    const state = optionalString(input, 'State', 20);
    const source = optionalString(input, 'EventSourceArn', 1600);
    const replays = [...this.#replays.values()]
      .filter((replay) => replay.name.startsWith(prefix))
      .filter((replay) => state === undefined || replay.state === state)
      .filter((replay) => source === undefined || replay.eventSourceArn === source)
      .sort(byName);
    const { page, next } = paginate(replays, input);
    return {
      Replays: page.map((replay) => ({ ReplayName: replay.name, ...this.#replayShape(replay) })),
      ...(next ? { NextToken: next } : {}),
    };
  }

  #replayShape(replay: Replay): Json {
    return {
      EventSourceArn: replay.eventSourceArn,
      State: replay.state,
      ...(replay.stateReason === undefined ? {} : { StateReason: replay.stateReason }),
      EventStartTime: replay.eventStartTime / 1000,
      EventEndTime: replay.eventEndTime / 1000,
      ...(replay.eventLastReplayedTime === undefined
        ? {}
        : { EventLastReplayedTime: replay.eventLastReplayedTime / 1000 }),
      ReplayStartTime: replay.replayStartTime / 1000,
      ...(replay.replayEndTime === undefined ? {} : { ReplayEndTime: replay.replayEndTime / 1000 }),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  /** Deliveries being handed over right now and retries waiting on the clock. */
  get stats(): { inFlight: number; waitingForRetry: number; replaysRunning: number } {
    return {
      inFlight: this.#inFlight,
      waitingForRetry: this.#retryTimers.size,
      replaysRunning: this.#replaysRunning,
    };
  }

  /** Resolves when no delivery attempt or replay is running (retries waiting on the clock do not count). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((done) => this.#idleWaiters.push(done));
  }

  /**
   * Stops delivering: retries waiting on the clock go to their DLQs now (condition `RuntimeStopped`)
   * so a restart loses nothing, and running replays are cancelled.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const replay of this.#replays.values())
      if (replay.state === 'RUNNING' || replay.state === 'STARTING') replay.state = 'CANCELLING';
    for (const [delivery, timer] of this.#retryTimers) {
      this.#clock.clearTimeout(timer);
      this.#exhaust(delivery, 'RuntimeStopped');
    }
    this.#retryTimers.clear();
    await this.idle();
  }

  #isIdle(): boolean {
    return this.#inFlight === 0 && this.#replaysRunning === 0;
  }

  #notifyIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const done of waiters) done();
  }

  // ---------------------------------------------------------------------------------------------
  // Lookups and log helpers

  #bus(nameOrArn: unknown): Bus {
    const name = busName(nameOrArn === undefined || nameOrArn === null ? undefined : String(nameOrArn));
    const bus = this.#buses.get(name);
    if (!bus) throw notFound(`Event bus ${name} does not exist.`);
    return bus;
  }

  #rule(bus: Bus, name: unknown): Rule {
    const rule = bus.rules.get(ruleName(name));
    if (!rule) throw notFound(`Rule ${String(name)} does not exist on EventBus ${bus.name}.`);
    return rule;
  }

  #archive(name: string): Archive {
    const archive = this.#archives.get(name);
    if (!archive) throw notFound(`Archive ${name} does not exist.`);
    return archive;
  }

  #replay(name: string): Replay {
    const replay = this.#replays.get(name);
    if (!replay) throw notFound(`Replay ${name} does not exist.`);
    return replay;
  }

  #log(
    bus: Bus,
    type: MessageType,
    record: Partial<Omit<DeliveryLogRecord, 'message_type' | 'log_level'>> & { details: Json },
  ): void {
    this.deliveryLog.write({
      resource_arn: bus.arn,
      event_bus_name: bus.name,
      message_timestamp_ms: this.#clock.now(),
      message_type: type,
      ...record,
    });
  }

  #eventDetails(event: BusEvent): Json {
    return {
      caller_account_id: this.accountId,
      source_time_ms: Date.parse(event.time),
      source: event.source,
      detail_type: event['detail-type'],
      resources: event.resources,
      ...(this.deliveryLog.includeDetail ? { event_detail: JSON.stringify(event.detail) } : {}),
    };
  }

  #receiptDetails(entry: PutEventsRequestEntry): Json {
    return {
      caller_account_id: this.accountId,
      ...(entry.Source === undefined ? {} : { source: entry.Source }),
      ...(entry.DetailType === undefined ? {} : { detail_type: entry.DetailType }),
      resources: entry.Resources ?? [],
    };
  }

  #targetDetails(delivery: Delivery, extra: Json): Json {
    return {
      rule_arn: delivery.rule.arn,
      target_arn: delivery.target.Arn,
      ...(this.deliveryLog.includeDetail ? { target_input: JSON.stringify(delivery.event) } : {}),
      ...extra,
    };
  }
}

// -----------------------------------------------------------------------------------------------
// Helpers

/** Size of one PutEvents entry, as AWS counts it (see MAX_PUT_EVENTS_BYTES). */
export function entrySize(entry: PutEventsRequestEntry | undefined): number {
  if (!entry) return 0;
  const bytes = (value: unknown) => (typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : 0);
  let size = entry.Time === undefined ? 0 : 14;
  size += bytes(entry.Source) + bytes(entry.DetailType) + bytes(entry.Detail);
  for (const resource of entry.Resources ?? []) size += bytes(resource);
  return size;
}

function busName(nameOrArn: string | undefined): string {
  if (!nameOrArn) return DEFAULT_BUS;
  return /:event-bus\/(.+)$/.exec(nameOrArn)?.[1] ?? nameOrArn;
}

function ruleName(value: unknown): string {
  if (typeof value !== 'string' || value.length < 1 || value.length > 64 || !NAME.test(value)) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+`,
    );
  }
  return value;
}

function ruleShape(rule: Rule): Json {
  return {
    Name: rule.name,
    Arn: rule.arn,
    EventPattern: rule.eventPattern,
    State: rule.state,
    ...(rule.description === undefined ? {} : { Description: rule.description }),
    EventBusName: rule.bus,
  };
}

function stateOf(replay: Replay): Replay['state'] {
  return replay.state;
}

function byName(a: { name: string }, b: { name: string }): number {
  return a.name.localeCompare(b.name);
}

function paginate<T>(items: T[], input: Json): { page: T[]; next: string | undefined } {
  const limit = integerIn(input.Limit, 100, 1, 100, 'Limit');
  let start = 0;
  if (input.NextToken !== undefined) {
    start = Number.parseInt(Buffer.from(String(input.NextToken), 'base64url').toString('utf8'), 10);
    if (!Number.isInteger(start) || start < 0) throw validation('The NextToken is not valid.');
  }
  const end = start + limit;
  return {
    page: items.slice(start, end),
    next: end < items.length ? Buffer.from(String(end)).toString('base64url') : undefined,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(input: Json, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value.length === 0) {
    throw validation(`Parameter ${field} is not valid. Reason: ${field} is a required argument.`);
  }
  return value;
}

function optionalString(input: Json, field: string, max: number): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || value.length > max) {
    throw validation(
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  }
  return value;
}

function integerIn(value: unknown, fallback: number, min: number, max: number, field: string): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw validation(
      `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: Member must be between ${min} and ${max}`,
    );
  }
  return value;
}

function requiredTimestamp(input: Json, field: string): number {
  const value = input[field];
  const ms = value === undefined || value === null ? Number.NaN : toMillis(value as number | string | Date);
  if (Number.isNaN(ms))
    throw validation(`Parameter ${field} is not valid. Reason: ${field} is a required timestamp.`);
  return ms;
}

/** Wire timestamps are epoch seconds; in-process callers may pass a Date or an ISO string. */
function toMillis(value: number | string | Date): number {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'number') return value * 1000;
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  return typeof value === 'string' ? Date.parse(value) : Number.NaN;
}

/** EventBridge's `time`: ISO 8601 in UTC without milliseconds. */
function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function lambdaError(error: Error): {
  error_message: string;
  aws_service: string;
  http_status_code?: number;
} {
  const status = (error as { statusCode?: unknown }).statusCode;
  return {
    error_message: `${error.name}: ${error.message}`,
    aws_service: 'lambda',
    ...(typeof status === 'number' ? { http_status_code: status } : {}),
  };
}
