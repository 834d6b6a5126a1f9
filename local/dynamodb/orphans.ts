/**
 * The second line of defence against an orphaned DynamoDB Local (the first is the launcher's
 * watchdog, which makes java exit when its parent dies). Every running instance is recorded in a
 * pid file naming the java process and the Node process that owns it, each with its start time so a
 * recycled pid is never mistaken for ours. Every start reaps recorded java processes whose owner is
 * dead. Pid files live in os.tmpdir() (`samskapa-dynamodb-<javaPid>.pid`, so any later start finds
 * any orphan) and, for a persisted database, also in its data dir (a lock: two engines must not share
 * one database file).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ProcessRecord {
  javaPid: number;
  javaStartedAt: string;
  ownerPid: number;
  ownerStartedAt: string;
  dataDir: string | null;
}

const REGISTRY_PREFIX = 'samskapa-dynamodb-';
export const DATA_DIR_LOCK = 'dynamodb-local.pid';

export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

/**
 * An opaque token identifying one process incarnation, or undefined when no such process runs.
 * Linux: field 22 of /proc/<pid>/stat (start time in clock ticks since boot). Elsewhere: `ps`.
 */
export function processStartTime(pid: number): string | undefined {
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // The command name (field 2) is in parentheses and may contain spaces: count after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const state = fields[0];
      if (state === 'Z' || state === 'X') return undefined; // exited, not yet reaped by its parent
      return fields[19];
    } catch {
      return undefined;
    }
  }
  const ps = spawnSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' });
  const started = ps.stdout?.trim();
  return ps.status === 0 && started ? started : undefined;
}

export function isRunning(pid: number, startedAt: string): boolean {
  return processStartTime(pid) === startedAt;
}

function registryPath(javaPid: number): string {
  return join(tmpdir(), `${REGISTRY_PREFIX}${javaPid}.pid`);
}

/** Records a freshly spawned java; returns a function that removes the records again. */
export function recordProcess(javaPid: number, dataDir: string | undefined): () => void {
  const javaStartedAt = processStartTime(javaPid);
  const ownerStartedAt = processStartTime(process.pid);
  if (javaStartedAt === undefined || ownerStartedAt === undefined) {
    throw new Error(`DynamoDB Local (pid ${javaPid}) exited during startup`);
  }
  const record: ProcessRecord = {
    javaPid,
    javaStartedAt,
    ownerPid: process.pid,
    ownerStartedAt,
    dataDir: dataDir ?? null,
  };
  const files = [registryPath(javaPid)];
  if (dataDir !== undefined) {
    mkdirSync(dataDir, { recursive: true });
    files.push(join(dataDir, DATA_DIR_LOCK));
  }
  for (const file of files) writeFileSync(file, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  return () => {
    for (const file of files) rmSync(file, { force: true });
  };
}

function readRecord(file: string): ProcessRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as ProcessRecord;
    return typeof record.javaPid === 'number' && typeof record.ownerPid === 'number' ? record : undefined;
  } catch {
    return undefined;
  }
}

export interface ReapResult {
  /** java pids that were killed because their owner was gone. */
  killed: number[];
}

/**
 * Kills every recorded DynamoDB Local whose owner is dead, and removes stale records. With a data
 * dir, throws DataDirInUseError if a live owner still runs an engine on it.
 */
export async function reapOrphans(dataDir: string | undefined): Promise<ReapResult> {
  const files: string[] = [];
  try {
    for (const name of readdirSync(tmpdir())) {
      if (name.startsWith(REGISTRY_PREFIX) && name.endsWith('.pid')) files.push(join(tmpdir(), name));
    }
  } catch {
    // An unreadable tmpdir only disables this sweep; the data dir lock below still works.
  }
  const lock = dataDir === undefined ? undefined : join(dataDir, DATA_DIR_LOCK);
  if (lock !== undefined) files.push(lock);

  const killed: number[] = [];
  for (const file of files) {
    const record = readRecord(file);
    if (record === undefined) {
      // Unparseable: a crash between create and write. Only remove our own kinds of file.
      rmSync(file, { force: true });
      continue;
    }
    const javaAlive = isRunning(record.javaPid, record.javaStartedAt);
    const ownerAlive = isRunning(record.ownerPid, record.ownerStartedAt);
    if (javaAlive && ownerAlive) {
      if (file === lock) {
        throw new DataDirInUseError(
          `DynamoDB Local (pid ${record.javaPid}, started by pid ${record.ownerPid}) already uses ${dataDir}; ` +
            'stop that runtime first or choose another data dir',
        );
      }
      continue;
    }
    if (javaAlive) {
      await killAndWait(record.javaPid, record.javaStartedAt);
      killed.push(record.javaPid);
    }
    rmSync(file, { force: true });
  }
  return { killed: [...new Set(killed)] };
}

/** SIGKILL (the owner is gone, nobody will miss a graceful shutdown) and wait until it is gone. */
async function killAndWait(pid: number, startedAt: string): Promise<void> {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return;
    throw new Error(`could not kill orphaned DynamoDB Local (pid ${pid}): ${(error as Error).message}`);
  }
  const deadline = Date.now() + 5000;
  while (isRunning(pid, startedAt)) {
    if (Date.now() > deadline)
      throw new Error(`orphaned DynamoDB Local (pid ${pid}) did not exit after SIGKILL`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
