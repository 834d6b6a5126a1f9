/**
 * The local Lambda host: runs the functions of a topology the way Lambda does.
 *
 * - Each function runs in its own execution environments ("sandboxes"): worker threads with their own
 *   `process.env` (the topology's environment, the runtime's endpoints and names, and Lambda's
 *   reserved variables), loading the handler from source or from an esbuild bundle. A sandbox serves
 *   one invocation at a time and stays warm for the next one.
 * - `invokeSync` is a RequestResponse invocation (the HTTP API gateway); `invokeAsync` is an Event
 *   invocation (EventBridge, Scheduler): accepted into a queue, run when a sandbox is free, retried
 *   after a throw (the function's `asyncInvocation` settings, delays on the injected clock) and, when
 *   retries or the event's age run out, sent with its error to the function's own failure queue, the
 *   local on-failure destination. Nothing accepted is dropped: stopping the host moves pending work
 *   to the failure queues too.
 * - Concurrency is bounded per function and in total, so a burst waits in the queue instead of
 *   starting hundreds of threads on a two-core machine.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createWriteStream, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FunctionDeclaration, Topology } from '../../functions/topology.ts';
import { type Clock, type ClockTimer, systemClock } from '../clock.ts';
import {
  type FailureAttributes,
  type FailureMessage,
  type FailureQueue,
  type FailureQueues,
  openFailureQueues,
  type RedriveResult,
} from '../queues/failure-queues.ts';
import { FunctionError, ResourceNotFoundException, ServiceException } from './errors.ts';
import { type InvokeApi, startLambdaInvokeApi } from './invoke-api.ts';
import type { SandboxData, SandboxRequest, SandboxResponse } from './sandbox.ts';

const REPOSITORY_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SANDBOX_MODULE = new URL('./sandbox.ts', import.meta.url);

export type { RedriveResult };

export type InvocationType = 'RequestResponse' | 'Event' | 'Redrive';

/** One run of a handler, for the console's invocation charts. */
export interface InvocationRecord {
  functionName: string;
  requestId: string;
  invocationType: InvocationType;
  /** 1 for the first run of an event, 2 and 3 for Lambda's async retries. */
  attempt: number;
  /** When the run started, on the host's clock. */
  startedAt: string;
  /** Wall-clock duration of the run. */
  durationMs: number;
  outcome: 'success' | 'error';
  error?: { errorType: string; errorMessage: string };
  /** True when this run started a new sandbox (Lambda's cold start). */
  coldStart: boolean;
}

export interface LambdaHostOptions {
  topology: Topology;
  /** Directory the topology's `entry` paths are relative to; the repository root by default. */
  root?: string;
  /** Function name -> esbuild bundle to run instead of the source entry (the code exactly as deployed). */
  bundles?: Record<string, string>;
  /** What the runtime gives every function: AWS_ENDPOINT_URL_*, credentials, table/bus/bucket names. */
  environment?: Record<string, string>;
  region?: string;
  accountId?: string;
  clock?: Clock;
  /** Failure queues shared with the rest of the runtime; else opened under `<dataDir>/queues` or in memory. */
  failureQueues?: FailureQueues;
  dataDir?: string;
  /** Function logs go to `<logDir>/<function>.log`; `<dataDir>/logs` by default; dropped without either. */
  logDir?: string;
  concurrency?: {
    /** Sandboxes per function (Lambda's per-function concurrency); default 4. */
    perFunction?: number;
    /** Invocations running at once across all functions; default 8. */
    total?: number;
    /**
     * Sandboxes kept at once, warm ones included; default twice `total`. Beyond it, the sandbox idle
     * longest is ended to make room, so many functions cannot fill the machine's memory with threads.
     */
    sandboxes?: number;
  };
  /** Waits before async retry 1 and 2; AWS waits about one minute, then two. */
  retryDelaysMs?: readonly number[];
  /** How long stop() lets running invocations finish before ending their sandboxes; default 2000 ms. */
  stopGraceMs?: number;
  /** Port of the Invoke API endpoint; 0 (the default) lets the OS choose a free one. */
  port?: number;
}

type Outcome = { ok: true; payload: unknown } | { ok: false; error: FunctionError };

interface Job {
  type: InvocationType;
  requestId: string;
  event: unknown;
  receivedAt: number;
  attempts: number;
  firstAttemptAt?: number;
  lastAttemptAt?: number;
  lastError?: FunctionError;
  /** Sync and redrive jobs report back; async jobs are handled by the host. */
  settle?: (outcome: Outcome) => void;
}

interface HostedFunction {
  declaration: FunctionDeclaration;
  name: string;
  arn: string;
  moduleUrl: string;
  env: Record<string, string>;
  /** Where the function's stdout and stderr go (its CloudWatch log group, locally); undefined: dropped. */
  log: Writable | undefined;
  /** RequestResponse and redrive jobs: someone is waiting, so they go first. */
  urgent: Job[];
  /** Event jobs in arrival order. */
  queue: Job[];
  running: number;
  idle: Sandbox[];
  sandboxes: Set<Sandbox>;
}

/** One execution environment: a worker thread running sandbox.ts for one function. */
class Sandbox {
  readonly worker: Worker;
  #pending: { requestId: string; resolve: (outcome: Outcome) => void } | undefined;
  #exitError: FunctionError | undefined;
  dead = false;
  /** When the sandbox last finished an invocation (performance.now()). */
  idleSince = 0;
  /** Taken out of service by the host; its thread is ending or has ended. */
  retired = false;
  readonly exited: Promise<void>;

  constructor(fn: HostedFunction) {
    const data: SandboxData = {
      functionName: fn.name,
      functionArn: fn.arn,
      memoryMb: fn.declaration.memoryMb,
      moduleUrl: fn.moduleUrl,
    };
    this.worker = new Worker(SANDBOX_MODULE, {
      name: `lambda ${fn.name}`,
      env: fn.env,
      workerData: data,
      // A debugger flag inherited from the parent would make every sandbox fight for its port.
      execArgv: process.execArgv.filter((flag) => !flag.startsWith('--inspect')),
      resourceLimits: { maxOldGenerationSizeMb: fn.declaration.memoryMb },
      // What the handler prints is its log, as in CloudWatch: kept per function, never on the terminal.
      stdout: true,
      stderr: true,
    });
    for (const stream of [this.worker.stdout, this.worker.stderr]) {
      if (fn.log) stream.pipe(fn.log, { end: false });
      else stream.resume();
    }
    this.worker.unref();
    this.worker.on('message', (response: SandboxResponse) => {
      const pending = this.#pending;
      if (!pending || response.requestId !== pending.requestId) return;
      this.#pending = undefined;
      this.worker.unref();
      if (response.type === 'result') pending.resolve({ ok: true, payload: response.payload });
      else {
        const error = new FunctionError(response.errorType, response.errorMessage, response.trace);
        // A handler that cannot even be loaded leaves the sandbox unusable; Lambda starts a fresh one.
        if (response.errorType.startsWith('Runtime.')) this.dead = true;
        pending.resolve({ ok: false, error });
      }
    });
    this.worker.on('error', (error: Error & { code?: string }) => {
      // An exception that escaped the handler (e.g. thrown from a timer) ends the sandbox, as it
      // ends the Lambda runtime process.
      this.#exitError =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? new FunctionError(
              'Runtime.OutOfMemory',
              `Runtime exited: out of memory (${fn.declaration.memoryMb} MB)`,
            )
          : new FunctionError(error.name || 'Error', error.message, (error.stack ?? '').split('\n'));
    });
    this.exited = new Promise((done) => {
      this.worker.once('exit', (code) => {
        this.dead = true;
        const pending = this.#pending;
        this.#pending = undefined;
        pending?.resolve({
          ok: false,
          error:
            this.#exitError ??
            new FunctionError('Runtime.ExitError', `Runtime exited with exit status ${code}`),
        });
        done();
      });
    });
  }

  invoke(requestId: string, event: unknown, timeoutMs: number): Promise<Outcome> {
    return new Promise((resolveOutcome) => {
      // Timeouts measure the handler's real running time, so they use a real timer, not the
      // injected clock (advancing a test clock must not kill a handler that is still working).
      const timer = setTimeout(() => {
        if (this.#pending?.requestId !== requestId) return;
        this.#exitError = new FunctionError(
          'Sandbox.Timedout',
          `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds`,
        );
        void this.worker.terminate();
      }, timeoutMs);
      this.#pending = {
        requestId,
        resolve: (outcome) => {
          clearTimeout(timer);
          resolveOutcome(outcome);
        },
      };
      this.worker.ref();
      const request: SandboxRequest = { type: 'invoke', requestId, event, deadline: Date.now() + timeoutMs };
      try {
        this.worker.postMessage(request);
      } catch (error) {
        // The event could not be cloned into the sandbox (e.g. it holds a function): the caller's fault.
        this.#pending = undefined;
        clearTimeout(timer);
        this.worker.unref();
        resolveOutcome({
          ok: false,
          error: new FunctionError('InvalidRequestContentException', (error as Error).message),
        });
      }
    });
  }

  async terminate(): Promise<void> {
    this.dead = true;
    await this.worker.terminate();
    await this.exited;
  }
}

export interface LambdaHostEvents {
  invocation: [InvocationRecord];
  failure: [FailureMessage];
}

export class LambdaHost extends EventEmitter<LambdaHostEvents> {
  /** Lambda's Invoke API (`AWS_ENDPOINT_URL_LAMBDA`); empty until started by startLambdaHost. */
  endpoint = '';
  readonly region: string;
  readonly accountId: string;
  readonly failureQueues: FailureQueues;
  readonly #clock: Clock;
  readonly #functions = new Map<string, HostedFunction>();
  readonly #order: HostedFunction[];
  readonly #perFunction: number;
  readonly #total: number;
  readonly #maxSandboxes: number;
  #sandboxCount = 0;
  /** Every sandbox whose thread has not exited yet, retired ones included, so stop() can await them. */
  readonly #threads = new Set<Sandbox>();
  readonly #retryDelaysMs: readonly number[];
  readonly #stopGraceMs: number;
  readonly #ownsQueues: boolean;
  readonly #retryTimers = new Map<Job, { fn: HostedFunction; timer: ClockTimer }>();
  readonly #runningJobs = new Set<Promise<void>>();
  readonly #redriving = new Set<string>();
  #invokeApi: InvokeApi | undefined;
  #idleWaiters: (() => void)[] = [];
  #running = 0;
  #cursor = 0;
  #stopped = false;

  constructor(options: LambdaHostOptions) {
    super();
    this.region = options.region ?? 'eu-north-1';
    this.accountId = options.accountId ?? '000000000000';
    this.#clock = options.clock ?? systemClock;
    this.#perFunction = positive(options.concurrency?.perFunction ?? 4, 'concurrency.perFunction');
    this.#total = positive(options.concurrency?.total ?? 8, 'concurrency.total');
    this.#maxSandboxes = positive(options.concurrency?.sandboxes ?? this.#total * 2, 'concurrency.sandboxes');
    if (this.#maxSandboxes < this.#total)
      throw new Error('concurrency.sandboxes must be at least concurrency.total');
    this.#retryDelaysMs = options.retryDelaysMs ?? [60_000, 120_000];
    this.#stopGraceMs = options.stopGraceMs ?? 2000;
    this.#ownsQueues = !options.failureQueues;
    this.failureQueues =
      options.failureQueues ??
      openFailureQueues({
        ...(options.dataDir ? { dir: resolve(options.dataDir, 'queues') } : {}),
        clock: this.#clock,
      });

    const root = resolve(options.root ?? REPOSITORY_ROOT);
    const bundles = options.bundles ?? {};
    const declared = new Set(options.topology.map((fn) => fn.name));
    const strangers = Object.keys(bundles).filter((name) => !declared.has(name));
    if (strangers.length > 0)
      throw new Error(`bundles given for functions not in the topology: ${strangers.join(', ')}`);

    const logDir = options.logDir ?? (options.dataDir ? resolve(options.dataDir, 'logs') : undefined);
    if (logDir) mkdirSync(logDir, { recursive: true });
    const missing: string[] = [];
    for (const declaration of options.topology) {
      const bundle = bundles[declaration.name];
      const file = bundle ? resolve(bundle) : resolve(root, declaration.entry);
      if (!existsSync(file)) missing.push(`${declaration.name}: ${file}`);
      const arn = this.functionArn(declaration.name);
      this.#functions.set(declaration.name, {
        declaration,
        name: declaration.name,
        arn,
        moduleUrl: pathToFileURL(file).href,
        env: this.#environment(declaration, root, options.environment ?? {}),
        log: logDir ? this.#logStream(logDir, declaration.name) : undefined,
        urgent: [],
        queue: [],
        running: 0,
        idle: [],
        sandboxes: new Set(),
      });
    }
    if (missing.length > 0) throw new Error(`handler modules not found:\n  ${missing.join('\n  ')}`);
    this.#order = [...this.#functions.values()];
  }

  /** Serves Lambda's Invoke API for these functions. */
  async listen(port = 0): Promise<void> {
    this.#invokeApi ??= await startLambdaInvokeApi(this, { port });
    this.endpoint = this.#invokeApi.endpoint;
    // Functions reach this endpoint as they reach the other services (a redrive invokes a consumer),
    // unless the runtime named another one. Sandboxes start later, so every one of them gets it.
    for (const fn of this.#functions.values()) fn.env.AWS_ENDPOINT_URL_LAMBDA ??= this.endpoint;
  }

  /** The functions this host runs. */
  get functionNames(): string[] {
    return [...this.#functions.keys()];
  }

  functionArn(functionName: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${functionName}`;
  }

  /** Resolves a function name, ARN or partial ARN (`function:name`, with or without `:$LATEST`). */
  resolveFunctionName(nameOrArn: string): string | undefined {
    const match = /^(?:arn:aws:lambda:[^:]*:[^:]*:)?(?:function:)?([a-zA-Z0-9_-]+)(?::\$LATEST)?$/.exec(
      nameOrArn,
    );
    const name = match?.[1];
    return name && this.#functions.has(name) ? name : undefined;
  }

  /** The environment a function's sandboxes get, for inspection and tests. */
  environmentOf(functionName: string): Record<string, string> {
    return { ...this.#require(functionName).env };
  }

  /** The function's on-failure destination. */
  failureQueueName(functionName: string): string {
    return `${functionName}-failures`;
  }

  failureQueue(functionName: string): FailureQueue {
    return this.failureQueues.queue(this.failureQueueName(this.#require(functionName).name));
  }

  /** RequestResponse: runs the handler and returns its JSON result, or rejects with FunctionError. */
  async invokeSync(functionName: string, event: unknown): Promise<unknown> {
    const fn = this.#require(functionName);
    this.#assertRunning();
    return new Promise((resolveResult, reject) => {
      fn.urgent.push({
        type: 'RequestResponse',
        requestId: randomUUID(),
        event,
        receivedAt: this.#clock.now(),
        attempts: 0,
        settle: (outcome) => (outcome.ok ? resolveResult(outcome.payload) : reject(outcome.error)),
      });
      this.#pump();
    });
  }

  /**
   * Event invocation: resolves as soon as the event is queued (Lambda's 202), before the handler runs.
   * Rejects with ResourceNotFoundException for an unknown function and ServiceException when stopped.
   */
  async invokeAsync(functionName: string, event: unknown): Promise<{ requestId: string }> {
    const fn = this.#require(functionName);
    this.#assertRunning();
    const job: Job = {
      type: 'Event',
      requestId: randomUUID(),
      event,
      receivedAt: this.#clock.now(),
      attempts: 0,
    };
    fn.queue.push(job);
    this.#pump();
    return { requestId: job.requestId };
  }

  /**
   * Re-invokes one function (by name, or by its queue's name) with messages from its failure queue:
   * one run each, no async retries.
   * A message that now succeeds is deleted; one that fails again stays, with the new error.
   */
  async redrive(functionName: string, messageId: string | 'all'): Promise<RedriveResult> {
    // The queue's own name (`<function>-failures`) is accepted too, as operators see it in listings.
    const suffix = '-failures';
    const named = functionName.endsWith(suffix) && !this.resolveFunctionName(functionName);
    const fn = this.#require(named ? functionName.slice(0, -suffix.length) : functionName);
    this.#assertRunning();
    const queue = this.failureQueue(fn.name);
    let messages: FailureMessage[];
    if (messageId === 'all') messages = queue.list();
    else {
      const message = queue.get(messageId);
      if (!message) throw new ResourceNotFoundException(`Message ${messageId} is not in ${queue.name}`);
      messages = [message];
    }
    messages = messages.filter((message) => !this.#redriving.has(message.messageId));
    const result: RedriveResult = { redriven: messages.length, succeeded: [], failed: [] };
    await Promise.all(
      messages.map(async (message) => {
        this.#redriving.add(message.messageId);
        try {
          const outcome = await new Promise<Outcome>((settle) => {
            fn.urgent.push({
              type: 'Redrive',
              requestId: randomUUID(),
              event: message.body,
              receivedAt: this.#clock.now(),
              attempts: 0,
              settle,
            });
            this.#pump();
          });
          if (outcome.ok) {
            queue.delete(message.messageId);
            result.succeeded.push(message.messageId);
          } else {
            queue.update(message.messageId, {
              ...message.attributes,
              errorType: outcome.error.errorType,
              errorMessage: outcome.error.errorMessage,
              attempts: message.attributes.attempts + 1,
              lastAttemptAt: this.#iso(this.#clock.now()),
            });
            result.failed.push({
              messageId: message.messageId,
              errorType: outcome.error.errorType,
              errorMessage: outcome.error.errorMessage,
            });
          }
        } finally {
          this.#redriving.delete(message.messageId);
        }
      }),
    );
    return result;
  }

  /** Work in the host right now; `waitingForRetry` events wait on the clock. */
  get stats(): { running: number; queued: number; waitingForRetry: number; sandboxes: number } {
    let queued = 0;
    let sandboxes = 0;
    for (const fn of this.#order) {
      queued += fn.queue.length + fn.urgent.length;
      sandboxes += fn.sandboxes.size;
    }
    return { running: this.#running, queued, waitingForRetry: this.#retryTimers.size, sandboxes };
  }

  /** Resolves when nothing is queued or running (retries waiting on the clock do not count). */
  idle(): Promise<void> {
    if (this.#isIdle()) return Promise.resolve();
    return new Promise((done) => this.#idleWaiters.push(done));
  }

  /**
   * Stops accepting work, moves queued and retry-pending events to their failure queues (so a restart
   * loses nothing), gives running invocations `stopGraceMs` to finish and ends every sandbox.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    await this.#invokeApi?.stop();
    const stopped = new FunctionError(
      'RuntimeStopped',
      'The local runtime stopped before the invocation completed',
    );
    for (const [job, { fn, timer }] of this.#retryTimers) {
      this.#clock.clearTimeout(timer);
      this.#toFailureQueue(fn, job, job.lastError ?? stopped, 'RuntimeStopped');
    }
    this.#retryTimers.clear();
    for (const fn of this.#order) {
      for (const job of fn.queue.splice(0))
        this.#toFailureQueue(fn, job, job.lastError ?? stopped, 'RuntimeStopped');
      for (const job of fn.urgent.splice(0)) job.settle?.({ ok: false, error: stopped });
    }
    if (this.#runningJobs.size > 0) {
      let grace: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled(this.#runningJobs),
        new Promise<void>((done) => {
          grace = setTimeout(done, this.#stopGraceMs);
        }),
      ]);
      clearTimeout(grace);
    }
    await Promise.all([...this.#threads].map((sandbox) => sandbox.terminate()));
    await Promise.allSettled(this.#runningJobs);
    if (this.#ownsQueues) this.failureQueues.close();
    await Promise.all(
      this.#order.map((fn) => (fn.log ? new Promise<void>((done) => fn.log?.end(() => done())) : undefined)),
    );
    this.#notifyIdle();
  }

  #logStream(logDir: string, functionName: string): Writable {
    return createWriteStream(resolve(logDir, `${functionName}.log`), { flags: 'a' });
  }

  #require(functionName: string): HostedFunction {
    const name = this.resolveFunctionName(functionName);
    const fn = name ? this.#functions.get(name) : undefined;
    if (!fn) throw new ResourceNotFoundException(`Function not found: ${this.functionArn(functionName)}`);
    return fn;
  }

  #assertRunning(): void {
    if (this.#stopped) throw new ServiceException('The local Lambda host is stopped');
  }

  #environment(
    declaration: FunctionDeclaration,
    root: string,
    runtime: Record<string, string>,
  ): Record<string, string> {
    return {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      // Dummy credentials so the SDK never looks for a real profile; the runtime may pass its own.
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      ...declaration.environment,
      ...runtime,
      // Lambda's reserved variables: neither the topology nor the runtime may override them.
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
      AWS_LAMBDA_FUNCTION_NAME: declaration.name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(declaration.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${declaration.name}`,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
      LAMBDA_TASK_ROOT: root,
    };
  }

  #pump(): void {
    while (this.#running < this.#total && this.#order.length > 0) {
      let job: Job | undefined;
      let fn: HostedFunction | undefined;
      // Round-robin over functions, so one function's burst cannot starve the others.
      for (let i = 0; i < this.#order.length && !job; i++) {
        const candidate = this.#order[(this.#cursor + i) % this.#order.length];
        if (!candidate || candidate.running >= this.#perFunction) continue;
        job = candidate.urgent.shift() ?? candidate.queue.shift();
        if (job) {
          fn = candidate;
          this.#cursor = (this.#cursor + i + 1) % this.#order.length;
        }
      }
      if (!job || !fn) break;
      if (job.type === 'Event' && this.#expired(fn, job)) {
        this.#toFailureQueue(fn, job, job.lastError ?? this.#ageError(fn), 'EventAgeExceeded');
        continue;
      }
      const run = this.#run(fn, job);
      this.#runningJobs.add(run);
      void run.finally(() => this.#runningJobs.delete(run));
    }
    this.#notifyIdle();
  }

  async #run(fn: HostedFunction, job: Job): Promise<void> {
    this.#running++;
    fn.running++;
    const now = this.#clock.now();
    job.attempts++;
    job.firstAttemptAt ??= now;
    job.lastAttemptAt = now;

    let sandbox = fn.idle.pop();
    const coldStart = !sandbox;
    if (!sandbox) {
      if (this.#sandboxCount >= this.#maxSandboxes) this.#evictIdleSandbox();
      sandbox = new Sandbox(fn);
      fn.sandboxes.add(sandbox);
      this.#sandboxCount++;
      const started = sandbox;
      this.#threads.add(started);
      // A sandbox can also die while idle (an error thrown from a timer): forget it then too.
      void started.exited.then(() => {
        this.#threads.delete(started);
        this.#retire(fn, started);
      });
    }
    const started = performance.now();
    const outcome = await sandbox.invoke(job.requestId, job.event, fn.declaration.timeoutSeconds * 1000);
    const durationMs = performance.now() - started;
    if (sandbox.dead) this.#retire(fn, sandbox);
    else {
      sandbox.idleSince = performance.now();
      fn.idle.push(sandbox);
    }
    this.#running--;
    fn.running--;

    this.emit('invocation', {
      functionName: fn.name,
      requestId: job.requestId,
      invocationType: job.type,
      attempt: job.attempts,
      startedAt: this.#iso(now),
      durationMs,
      outcome: outcome.ok ? 'success' : 'error',
      ...(outcome.ok
        ? {}
        : { error: { errorType: outcome.error.errorType, errorMessage: outcome.error.errorMessage } }),
      coldStart,
    });

    if (job.settle) job.settle(outcome);
    else if (!outcome.ok) this.#afterAsyncFailure(fn, job, outcome.error);
    if (!this.#stopped) this.#pump();
    this.#notifyIdle();
  }

  /** Ends the sandbox that has been idle longest (running ones are never ended for room). */
  #evictIdleSandbox(): void {
    let oldest: { fn: HostedFunction; sandbox: Sandbox } | undefined;
    for (const fn of this.#order) {
      const candidate = fn.idle[0];
      if (candidate && (!oldest || candidate.idleSince < oldest.sandbox.idleSince))
        oldest = { fn, sandbox: candidate };
    }
    if (oldest) this.#retire(oldest.fn, oldest.sandbox);
  }

  /** Forgets a sandbox and ends its thread; counted once however many paths lead here. */
  #retire(fn: HostedFunction, sandbox: Sandbox): void {
    if (sandbox.retired) return;
    sandbox.retired = true;
    fn.sandboxes.delete(sandbox);
    fn.idle = fn.idle.filter((idle) => idle !== sandbox);
    this.#sandboxCount--;
    void sandbox.terminate();
  }

  #afterAsyncFailure(fn: HostedFunction, job: Job, error: FunctionError): void {
    job.lastError = error;
    if (this.#stopped) {
      this.#toFailureQueue(fn, job, error, 'RuntimeStopped');
      return;
    }
    const retriesDone = job.attempts - 1;
    if (retriesDone >= fn.declaration.asyncInvocation.maximumRetryAttempts) {
      this.#toFailureQueue(fn, job, error, 'RetriesExhausted');
      return;
    }
    const delay = this.#retryDelaysMs[retriesDone] ?? this.#retryDelaysMs.at(-1) ?? 0;
    const timer = this.#clock.setTimeout(() => {
      this.#retryTimers.delete(job);
      fn.queue.push(job);
      this.#pump();
    }, delay);
    this.#retryTimers.set(job, { fn, timer });
  }

  #expired(fn: HostedFunction, job: Job): boolean {
    return this.#clock.now() - job.receivedAt > fn.declaration.asyncInvocation.maximumEventAgeSeconds * 1000;
  }

  #ageError(fn: HostedFunction): FunctionError {
    const seconds = fn.declaration.asyncInvocation.maximumEventAgeSeconds;
    return new FunctionError(
      'EventAgeExceeded',
      `The event was older than ${seconds} seconds before it could run`,
    );
  }

  #toFailureQueue(fn: HostedFunction, job: Job, error: FunctionError, condition: string): void {
    const attributes: FailureAttributes = {
      origin: { kind: 'function', functionName: fn.name, functionArn: fn.arn, requestId: job.requestId },
      condition,
      errorType: error.errorType,
      errorMessage: error.errorMessage,
      attempts: job.attempts,
      // An event that never ran (too old, or the runtime stopped) reports when it was received.
      firstAttemptAt: this.#iso(job.firstAttemptAt ?? job.receivedAt),
      lastAttemptAt: this.#iso(job.lastAttemptAt ?? job.receivedAt),
    };
    const message = this.failureQueues.queue(this.failureQueueName(fn.name)).send(job.event, attributes);
    this.emit('failure', message);
  }

  #isIdle(): boolean {
    return this.#running === 0 && this.#order.every((fn) => fn.queue.length === 0 && fn.urgent.length === 0);
  }

  #notifyIdle(): void {
    if (this.#idleWaiters.length === 0 || !this.#isIdle()) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const done of waiters) done();
  }

  #iso(ms: number): string {
    return new Date(ms).toISOString();
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** Starts the host and its Invoke API endpoint; `stop()` ends every sandbox and closes the endpoint. */
export async function startLambdaHost(options: LambdaHostOptions): Promise<LambdaHost> {
  const host = new LambdaHost(options);
  try {
    await host.listen(options.port ?? 0);
  } catch (error) {
    await host.stop();
    throw error;
  }
  return host;
}
