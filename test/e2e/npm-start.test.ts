/** `npm start` as a user runs it: ready, endpoints printed and written, clean stop, no orphaned JVM. */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { afterEach, describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const started: ChildProcess[] = [];
const dirs: string[] = [];

function startRuntime() {
  const dataDir = mkdtempSync(join(tmpdir(), 'samskapa-start-'));
  dirs.push(dataDir);
  const child = spawn(process.execPath, ['local/start.ts', '--data', dataDir], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const ready = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 30 s:\n${output}`)), 30_000);
    child.stdout?.on('data', () => {
      if (output.includes('Endpoints as JSON')) {
        clearTimeout(timer);
        resolve(output);
      }
    });
    child.on('exit', (code) => reject(new Error(`exited with ${code}:\n${output}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, dataDir, ready, exited, output: () => output };
}

/** JVMs whose command line names this data dir: DynamoDB Local started by that runtime. */
function javaFor(dataDir: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', `java.*${dataDir}`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

async function eventually(check: () => boolean, ms = 15_000) {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}

afterEach(() => {
  for (const child of started.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('prints every endpoint, writes endpoints.json and answers the real SDK', async () => {
    const runtime = startRuntime();
    const output = await runtime.ready;
    expect(output).toMatch(/samskapa is running \(ready in \d+\.\d s\)/);
    for (const name of [
      'EventBridge',
      'S3',
      'DynamoDB',
      'DynamoDB Streams',
      'SES v2',
      'Scheduler',
      'Bucket',
      'Table',
    ]) {
      expect(output).toContain(`  ${name}`);
    }
    const endpoints = JSON.parse(readFileSync(join(runtime.dataDir, 'endpoints.json'), 'utf8'));
    expect(Object.keys(endpoints)).toEqual(
      expect.arrayContaining([
        'api',
        'console',
        'eventbridge',
        's3',
        'dynamodb',
        'dynamodbStreams',
        'ses',
        'scheduler',
        'region',
        'bus',
        'bucket',
        'table',
      ]),
    );
    // The operations console, built by the start, on the API's port.
    expect(endpoints.console).toBe(`${endpoints.api}/`);
    const page = await fetch(endpoints.console);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script type="module" src="app.js">');
    const [script, style, config] = await Promise.all(
      ['app.js', 'app.css', 'config.json'].map((file) => fetch(`${endpoints.console}${file}`)),
    );
    expect([script?.status, style?.status, config?.status]).toEqual([200, 200, 200]);
    expect(await config?.json()).toMatchObject({ stage: 'local', live: 'stream' });
    const events = new EventBridgeClient({
      endpoint: endpoints.eventbridge,
      region: endpoints.region,
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    });
    const rules = await events.send(new ListRulesCommand({ EventBusName: endpoints.bus }));
    expect(rules.Rules).toBeDefined();
    expect(javaFor(runtime.dataDir)).toHaveLength(1);

    runtime.child.kill('SIGINT');
    expect(await runtime.exited).toBe(0);
    expect(runtime.output()).toContain('Stopped.');
    expect(javaFor(runtime.dataDir)).toEqual([]);
  });

  it('leaves no DynamoDB Local behind when killed with SIGKILL', async () => {
    const runtime = startRuntime();
    await runtime.ready;
    expect(javaFor(runtime.dataDir)).toHaveLength(1);
    runtime.child.kill('SIGKILL');
    await runtime.exited;
    await eventually(() => javaFor(runtime.dataDir).length === 0);
  });
});
