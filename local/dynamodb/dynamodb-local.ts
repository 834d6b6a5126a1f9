/**
 * DynamoDB Local, the official engine, as a child process: in memory (tests) or persisted in a data
 * dir (`npm start`), always on 127.0.0.1 and never outliving its owner (see orphans.ts and
 * SamskapaDynamoDbLocal.java for how).
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { planLaunch } from './launcher.ts';
import { reapOrphans, recordProcess } from './orphans.ts';

export interface StartDynamoDbOptions {
  /** Persist the database here (`-dbPath`); in memory when absent. */
  dataDir?: string;
  /** A fixed port; an OS-chosen free port when absent or 0. */
  port?: number;
  /** How long to wait for the engine to answer ListTables. */
  startTimeoutMs?: number;
  /** Where operational notes go (orphans reaped, fallback mode). No data ever goes here. */
  log?: (message: string) => void;
  /**
   * Skip the compiled launcher and run DynamoDB Local's own ServerRunner (what happens anyway on a
   * Java runtime without javac). It listens on every interface and has no watchdog: only the pid
   * file reaping protects against orphans. For tests of that path.
   */
  forcePlainServerRunner?: boolean;
}

export interface DynamoDbLocal {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  /** The java process id. */
  pid: number;
  port: number;
  /** Absolute data dir, or undefined when in memory. */
  dataDir: string | undefined;
  /** 'launcher' (loopback only, dies with its parent) or 'plain' (fallback, see options). */
  mode: 'launcher' | 'plain';
  /** Milliseconds from start() to the first successful ListTables. */
  startupMs: number;
  stop(): Promise<void>;
}

export class DynamoDbStartError extends Error {
  override name = 'DynamoDbStartError';
}

/** Client settings for talking to the local engine; with -sharedDb any region and keys see the same tables. */
export function localDynamoDbClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'eu-north-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  };
}

const LISTENING = /SAMSKAPA_DYNAMODB_LISTENING (\d+)/;
const OUTPUT_TAIL_CHARS = 4000;

export async function startDynamoDb(options: StartDynamoDbOptions = {}): Promise<DynamoDbLocal> {
  const started = performance.now();
  const log = options.log ?? ((message: string) => process.stderr.write(`[dynamodb] ${message}\n`));
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });

  const reaped = await reapOrphans(dataDir);
  if (reaped.killed.length > 0) {
    log(
      `killed ${reaped.killed.length} orphaned DynamoDB Local process(es) left by a dead runtime: ${reaped.killed}`,
    );
  }

  let plan = planLaunch({ dataDir, port: options.port ?? 0, forcePlain: options.forcePlainServerRunner });
  if (plan.kind === 'plain') {
    // ServerRunner rejects port 0, so pick a free one (a small race, acceptable for the fallback).
    const port = options.port || (await freePort());
    plan = planLaunch({ dataDir, port, forcePlain: true });
    if (!options.forcePlainServerRunner && plan.kind === 'plain') {
      log(
        `running DynamoDB Local without the samskapa launcher (${plan.reason}): it listens on all interfaces, ` +
          'and an orphan left by a crash is only removed at the next start. Install a JDK (javac) to fix this.',
      );
    }
  }

  const child = spawn(plan.java, plan.args, { cwd: plan.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const output = { text: '' };
  const keepTail = (chunk: Buffer) => {
    output.text = (output.text + chunk.toString('utf8')).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout.on('data', keepTail);
  child.stderr.on('data', keepTail);
  // Writes to a dead launcher's stdin fail with EPIPE; we never write, but end() can still raise it.
  child.stdin.on('error', () => {});

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  const spawnFailed = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new DynamoDbStartError(
          error.code === 'ENOENT'
            ? `could not run '${plan.java}': DynamoDB Local needs Java >= 17 on PATH (or JAVA_HOME)`
            : `could not start DynamoDB Local: ${error.message}`,
        ),
      );
    });
  });
  const diedEarly = exited.then(({ code, signal }) => {
    throw new DynamoDbStartError(
      `DynamoDB Local exited during startup (${signal ?? `code ${code}`}); it needs Java >= 17. Output:\n${output.text}`,
    );
  });

  const cleanup: { removeRecords?: () => void } = {};
  const killOnExit = () => child.kill('SIGKILL');
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      process.off('exit', killOnExit);
      // A child that never spawned (no java) has nothing to stop and emits no 'exit'.
      if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        // The launcher exits when its stdin closes; the plain ServerRunner needs a signal.
        child.stdin.end();
        if (plan.kind === 'plain') child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      child.stdout.destroy();
      child.stderr.destroy();
      cleanup.removeRecords?.();
    })();
    return stopping;
  };

  try {
    await Promise.race([new Promise<void>((ok) => child.once('spawn', ok)), spawnFailed]);
    const pid = child.pid as number;
    try {
      cleanup.removeRecords = recordProcess(pid, dataDir);
    } catch (error) {
      // java died at once: its own output says why better than a missing /proc entry does.
      await Promise.race([diedEarly, new Promise((wait) => setTimeout(wait, 2000))]);
      throw error;
    }
    // process 'exit' covers process.exit() and normal ends; signals and SIGKILL are the watchdog's and
    // the pid files' job.
    process.on('exit', killOnExit);

    const timeoutMs = options.startTimeoutMs ?? 30_000;
    const port =
      plan.kind === 'launcher'
        ? await Promise.race([announcedPort(child.stdout, timeoutMs, output), diedEarly])
        : Number(plan.args[plan.args.indexOf('-port') + 1]);
    const endpoint = `http://127.0.0.1:${port}`;
    await Promise.race([waitForListTables(endpoint, timeoutMs), diedEarly]);
    diedEarly.catch(() => {}); // after startup, an exit is reported through stop() callers, not here

    // Do not keep the owner's event loop alive just for DynamoDB Local: if the owner forgets stop()
    // and exits, the closed stdin pipe ends java.
    child.unref();
    for (const stream of [child.stdin, child.stdout, child.stderr]) {
      (stream as unknown as { unref?: () => void }).unref?.();
    }
    return {
      endpoint,
      pid,
      port,
      dataDir,
      mode: plan.kind,
      startupMs: Math.round(performance.now() - started),
      stop,
    };
  } catch (error) {
    diedEarly.catch(() => {});
    spawnFailed.catch(() => {});
    await stop();
    throw error;
  }
}

function announcedPort(
  stdout: ChildProcessByStdio<Writable, Readable, Readable>['stdout'],
  timeoutMs: number,
  output: { text: string },
): Promise<number> {
  return new Promise((resolvePort, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const match = LISTENING.exec(buffer);
      if (match) {
        done();
        resolvePort(Number(match[1]));
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(
        new DynamoDbStartError(
          `DynamoDB Local did not start within ${timeoutMs} ms. Output:\n${output.text}`,
        ),
      );
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      stdout.off('data', onData);
    };
    stdout.on('data', onData);
  });
}

async function waitForListTables(endpoint: string, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient(localDynamoDbClientConfig(endpoint));
  const deadline = performance.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (performance.now() > deadline) {
          throw new DynamoDbStartError(`DynamoDB Local at ${endpoint} did not answer ListTables: ${error}`);
        }
        await new Promise((ok) => setTimeout(ok, 25));
      }
    }
  } finally {
    client.destroy();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject()));
    });
  });
}
