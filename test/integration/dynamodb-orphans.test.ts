/**
 * "No orphaned Java process, ever": a runtime killed with SIGKILL gets no chance to stop DynamoDB Local.
 * Two defences are pinned here: the launcher's watchdog (java exits when its owner's pipe closes) and,
 * for the fallback without it, the pid-file reaping at the next start.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startDynamoDb } from '../../local/dynamodb/index.ts';
import { isRunning, processStartTime } from '../../local/dynamodb/orphans.ts';

const dynamoDbModule = fileURLToPath(new URL('../../local/dynamodb/index.ts', import.meta.url));

interface Owned {
  ownerPid: number;
  javaPid: number;
  javaStartedAt: string;
}

/** Starts DynamoDB Local in a separate Node process (the owner) and reports the java pid. */
async function startInOwnerProcess(options: { forcePlainServerRunner: boolean }): Promise<Owned> {
  const script = `
    import { startDynamoDb } from ${JSON.stringify(dynamoDbModule)};
    const dynamoDb = await startDynamoDb(${JSON.stringify(options)});
    process.stdout.write(JSON.stringify({ javaPid: dynamoDb.pid }) + '\\n');
    setInterval(() => {}, 1000);
  `;
  const owner = spawn(process.execPath, ['--input-type=module', '--eval', script], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  owner.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    owner.stdout.on('data', (chunk) => {
      buffer += chunk;
      if (buffer.includes('\n')) resolve(buffer.split('\n')[0] ?? '');
    });
    owner.once('exit', (code) => reject(new Error(`owner exited with ${code}: ${stderr}`)));
  });
  const { javaPid } = JSON.parse(line) as { javaPid: number };
  const javaStartedAt = processStartTime(javaPid);
  if (javaStartedAt === undefined) throw new Error('java is not running');
  return { ownerPid: owner.pid as number, javaPid, javaStartedAt };
}

async function killWithSigkill(pid: number): Promise<void> {
  const startedAt = processStartTime(pid);
  process.kill(pid, 'SIGKILL');
  while (startedAt !== undefined && isRunning(pid, startedAt)) await new Promise((r) => setTimeout(r, 20));
}

async function waitUntilGone(pid: number, startedAt: string, withinMs: number): Promise<number> {
  const started = performance.now();
  while (isRunning(pid, startedAt)) {
    if (performance.now() - started > withinMs) return Number.POSITIVE_INFINITY;
    await new Promise((r) => setTimeout(r, 50));
  }
  return performance.now() - started;
}

describe('a runtime killed with SIGKILL leaves no DynamoDB Local behind', () => {
  it('java exits by itself within seconds (the watchdog sees its stdin pipe close)', async () => {
    const owned = await startInOwnerProcess({ forcePlainServerRunner: false });
    expect(isRunning(owned.javaPid, owned.javaStartedAt)).toBe(true);

    await killWithSigkill(owned.ownerPid);

    const goneAfterMs = await waitUntilGone(owned.javaPid, owned.javaStartedAt, 5000);
    expect(goneAfterMs).toBeLessThan(5000);
  });

  it('without the watchdog, the next start kills the orphan it finds in the pid files', async () => {
    const owned = await startInOwnerProcess({ forcePlainServerRunner: true });
    await killWithSigkill(owned.ownerPid);
    // The plain ServerRunner has no watchdog: java is an orphan now, until a start reaps it.
    // (A start in a test file running in parallel may get there first; either way it is a start that reaps.)
    const next = await startDynamoDb({ log: () => {} });
    try {
      expect(isRunning(owned.javaPid, owned.javaStartedAt)).toBe(false);
    } finally {
      await next.stop();
    }
  });
});
