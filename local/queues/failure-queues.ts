/**
 * Failure queues: the local stand-in for the SQS queues that catch what could not be processed,
 * namely the DLQ of an EventBridge rule target and the on-failure destination of a Lambda function.
 * Each message keeps the original event, the error and how often it was tried, so that an operator
 * can read it and redrive it to the one consumer that failed.
 *
 * With a directory, every change is appended as one JSON line to `<dir>/<queue>.jsonl` (a send, an
 * update after a failed redrive, a delete) and the queue is rebuilt from that log on open, so a
 * message survives a crash between any two writes. Without a directory the queues live in memory.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { type Clock, systemClock } from '../clock.ts';

/** What failed: a rule target (EventBridge's DLQ) or a function (Lambda's on-failure destination). */
export type FailureOrigin =
  | { kind: 'function'; functionName: string; functionArn: string; requestId: string }
  | {
      kind: 'ruleTarget';
      bus: string;
      rule: string;
      ruleArn: string;
      targetId: string;
      targetArn: string;
      eventId: string;
    };

export interface FailureAttributes {
  origin: FailureOrigin;
  /**
   * Why retrying stopped, in the words of the AWS service that stopped: Lambda's `RetriesExhausted` /
   * `EventAgeExceeded`, EventBridge's `MaximumRetryAttempts` / `MaximumEventAgeInSeconds`, or
   * `RuntimeStopped` when the local runtime shut down with the work still pending.
   */
  condition: string;
  errorType: string;
  errorMessage: string;
  /** Attempts made so far, redrives included. */
  attempts: number;
  firstAttemptAt: string;
  lastAttemptAt: string;
}

export interface FailureMessage<Body = unknown> {
  messageId: string;
  queue: string;
  /** The original event or payload, unchanged, so a redrive delivers exactly what failed. */
  body: Body;
  attributes: FailureAttributes;
  sentAt: string;
}

/** What a redrive did: one attempt per message; a success deletes it, a failure updates its error. */
export interface RedriveResult {
  redriven: number;
  succeeded: string[];
  failed: { messageId: string; errorType: string; errorMessage: string }[];
}

type LogLine =
  | { op: 'send'; message: FailureMessage }
  | { op: 'update'; messageId: string; attributes: FailureAttributes }
  | { op: 'delete'; messageId: string };

export class InvalidQueueNameError extends Error {
  override name = 'InvalidQueueNameError';
}

/** SQS's queue-name alphabet, plus `.` because EventBridge rule names may contain it. */
const QUEUE_NAME = /^[a-zA-Z0-9_-][a-zA-Z0-9_.-]{0,79}$/;

export interface FailureQueueEvents {
  message: [FailureMessage];
  update: [FailureMessage];
  delete: [{ queue: string; messageId: string }];
}

export class FailureQueue {
  readonly name: string;
  readonly #messages = new Map<string, FailureMessage>();
  readonly #owner: FailureQueues;
  #fd: number | undefined;
  readonly #file: string | undefined;

  constructor(owner: FailureQueues, name: string, file: string | undefined) {
    this.#owner = owner;
    this.name = name;
    this.#file = file;
  }

  get size(): number {
    return this.#messages.size;
  }

  /** Oldest first. */
  list(): FailureMessage[] {
    return [...this.#messages.values()].map((message) => structuredClone(message));
  }

  get(messageId: string): FailureMessage | undefined {
    const message = this.#messages.get(messageId);
    return message && structuredClone(message);
  }

  send(body: unknown, attributes: FailureAttributes): FailureMessage {
    const message: FailureMessage = {
      messageId: randomUUID(),
      queue: this.name,
      body: structuredClone(body),
      attributes: structuredClone(attributes),
      sentAt: new Date(this.#owner.clock.now()).toISOString(),
    };
    this.#append({ op: 'send', message });
    this.#messages.set(message.messageId, message);
    this.#owner.emit('message', structuredClone(message));
    return structuredClone(message);
  }

  /** Replaces the attributes, e.g. with the new error after a redrive that failed again. */
  update(messageId: string, attributes: FailureAttributes): FailureMessage | undefined {
    const message = this.#messages.get(messageId);
    if (!message) return undefined;
    this.#append({ op: 'update', messageId, attributes });
    message.attributes = structuredClone(attributes);
    this.#owner.emit('update', structuredClone(message));
    return structuredClone(message);
  }

  delete(messageId: string): boolean {
    if (!this.#messages.has(messageId)) return false;
    this.#append({ op: 'delete', messageId });
    this.#messages.delete(messageId);
    this.#owner.emit('delete', { queue: this.name, messageId });
    return true;
  }

  /** Rebuilds the queue from its log and rewrites the log without the deleted messages. */
  load(): void {
    if (!this.#file || !existsSync(this.#file)) return;
    const lines = readFileSync(this.#file, 'utf8').split('\n');
    let applied = 0;
    for (const [index, text] of lines.entries()) {
      if (!text.trim()) continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch (error) {
        // Only the very last line can be torn by a crash mid-write; anything else is corruption
        // that an operator must see rather than have the queue silently lose messages.
        if (index >= lines.length - 2) continue;
        throw new Error(`${this.#file}:${index + 1} is not valid JSON`, { cause: error });
      }
      applied++;
      if (line.op === 'send') this.#messages.set(line.message.messageId, line.message);
      else if (line.op === 'update') {
        const message = this.#messages.get(line.messageId);
        if (message) message.attributes = line.attributes;
      } else this.#messages.delete(line.messageId);
    }
    if (applied > this.#messages.size) this.#compact();
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #compact(): void {
    if (!this.#file) return;
    const temporary = `${this.#file}.${process.pid}.tmp`;
    const text = [...this.#messages.values()].map(
      (message) => `${JSON.stringify({ op: 'send', message })}\n`,
    );
    writeFileSync(temporary, text.join(''));
    renameSync(temporary, this.#file);
  }

  #append(line: LogLine): void {
    if (!this.#file) return;
    this.#fd ??= openSync(this.#file, 'a');
    // Synchronous on purpose: once send() returns the message is on disk, so a crash right after
    // a failure was recorded cannot lose it, and lines from one process never interleave.
    writeSync(this.#fd, `${JSON.stringify(line)}\n`);
  }
}

export interface FailureQueuesOptions {
  /** Directory for the queue logs; omit to keep the queues in memory (tests). */
  dir?: string;
  clock?: Clock;
}

/** All failure queues of one runtime, by name. Emits `message`, `update` and `delete` for live views. */
export class FailureQueues extends EventEmitter<FailureQueueEvents> {
  readonly dir: string | undefined;
  readonly clock: Clock;
  readonly #queues = new Map<string, FailureQueue>();

  constructor(options: FailureQueuesOptions = {}) {
    super();
    this.dir = options.dir;
    this.clock = options.clock ?? systemClock;
    if (this.dir) {
      mkdirSync(this.dir, { recursive: true });
      for (const file of readdirSync(this.dir).sort()) {
        const name = file.endsWith('.jsonl') ? file.slice(0, -'.jsonl'.length) : undefined;
        if (name && QUEUE_NAME.test(name)) this.queue(name).load();
      }
    }
  }

  /** The queue with this name, created on first use. */
  queue(name: string): FailureQueue {
    let queue = this.#queues.get(name);
    if (!queue) {
      if (!QUEUE_NAME.test(name)) {
        throw new InvalidQueueNameError(
          `${JSON.stringify(name)} is not a valid queue name (letters, digits, _ - .)`,
        );
      }
      queue = new FailureQueue(this, name, this.dir ? join(this.dir, `${name}.jsonl`) : undefined);
      this.#queues.set(name, queue);
    }
    return queue;
  }

  has(name: string): boolean {
    return this.#queues.has(name);
  }

  /** Every queue that has ever been used, with how many messages it holds now. */
  list(): { name: string; size: number }[] {
    return [...this.#queues.values()]
      .map((queue) => ({ name: queue.name, size: queue.size }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  close(): void {
    for (const queue of this.#queues.values()) queue.close();
  }
}

/** Opens (and with a directory, recovers) the failure queues. */
export function openFailureQueues(options: FailureQueuesOptions = {}): FailureQueues {
  return new FailureQueues(options);
}
