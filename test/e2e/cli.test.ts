/**
 * The `samskapa` command as a user runs it: the real binary (`node cli/samskapa.ts`, and once through
 * `npx samskapa`) against a local runtime started here. An operator imports places from a spreadsheet
 * with mistakes in it, looks at the board, starts a process, traces it, replays the last minutes of
 * the bus; then the same against a "deployed stack" whose outputs point at this runtime; then every
 * way it can go wrong prints one line and exits non-zero.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { type Api, apiClient, eventually } from '../support/api-client.ts';

const root = new URL('../../', import.meta.url);
const ORG = 'org-demo';

/** The environment of a user with no AWS setup (no credentials, no region, no token). */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && key !== 'SAMSKAPA_TOKEN'),
);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      { cwd: root, env: { ...cleanEnv, ...env }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const samskapa = (args: string[], env?: Record<string, string | undefined>) =>
  run(process.execPath, ['cli/samskapa.ts', ...args], env);

/** One line, no stack trace. */
function expectOneLine(result: Run, code: number, pattern: RegExp) {
  expect(result.code).toBe(code);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr.trim()).toMatch(pattern);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

let data: string;
let cloud: LocalCloud;
let coordinator: Api;
const began = new Date();

beforeAll(async () => {
  data = mkdtempSync(join(tmpdir(), 'samskapa-cli-'));
  cloud = await startLocalCloud({ persist: data });
  coordinator = apiClient(
    cloud.endpoints.api,
    await cloud.issueToken({ orgId: ORG, role: 'coordinator', sub: 'u-coordinator' }),
  );
});

afterAll(async () => {
  await cloud?.stop();
  if (data) rmSync(data, { recursive: true, force: true });
});

describe('samskapa help', () => {
  it('lists the commands, and `npx samskapa` runs the bin from the repository root', async () => {
    const viaNpx = await run('npx', ['--no-install', 'samskapa', 'help']);
    expect(viaNpx.code).toBe(0);
    for (const name of ['start', 'demo', 'import', 'status', 'tail', 'trace', 'dlq', 'replay', 'token'])
      expect(viaNpx.stdout).toMatch(new RegExp(`^  ${name}\\s`, 'm'));
    expect(viaNpx.stdout).not.toMatch(/^ {2}console\s/m);

    const importHelp = await samskapa(['import', '--help']);
    expect(importHelp.code).toBe(0);
    expect(importHelp.stdout).toContain('Usage: samskapa import <places.csv>');
    expect(importHelp.stdout).toContain('Example:');
  });
});

describe('samskapa against the local runtime', () => {
  let processId: string;

  it('import: creates the good places, reports the bad lines by number and exits 1', async () => {
    const csv = join(data, 'places.csv');
    writeFileSync(
      csv,
      [
        'namn;kommun;län;befolkning',
        'Hede;Härjedalen;Jämtlands län;760',
        'Funäsdalen;Härjedalen;Jämtlands län;många',
        '"Vemdalen; by";Härjedalen;Jämtlands län;400',
        '',
        ';Härjedalen;Jämtlands län;90',
        'Sveg;Härjedalen;Jämtlands län;2 500',
        '',
      ].join('\n'),
    );
    // Two lines per request, so the line numbers come back from several chunks.
    const first = await samskapa(['import', csv, '--data', data, '--chunk-size', '2']);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('3 places created, 0 skipped (already there), 2 lines refused');
    expect(first.stderr).toMatch(/^ {2}line 3 \(population\): population must be a whole number$/m);
    expect(first.stderr).toMatch(/^ {2}line 6 \(name\): /m);
    expect(first.stderr).not.toMatch(/line [12457]\b/);
    const places = await coordinator.get<{ items: { name: string }[] }>('/places');
    expect(places.items.map((p) => p.name).sort()).toEqual(['Hede', 'Sveg', 'Vemdalen; by']);

    const again = await samskapa(['import', csv, '--data', data]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain('0 places created, 3 skipped (already there), 2 lines refused');
  });

  it('status: lists the places, then the started process in its stage', async () => {
    const before = await samskapa(['status', '--data', data]);
    expect(before.code).toBe(0);
    expect(before.stdout).toContain('Places: 3, with a process: 0, not started: 3');
    expect(before.stdout).toMatch(/Not started: .*Hede \(Härjedalen\)/);

    await coordinator.post('/users', {
      userId: 'u-frida',
      name: 'Frida Processledare',
      email: 'frida@region.example',
      locale: 'sv',
      role: 'facilitator',
    });
    ({ processId } = await coordinator.post<{ processId: string }>('/processes', {
      placeId: 'hede',
      facilitators: ['u-frida'],
    }));

    const after = await samskapa(['status', '--data', data]);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('Places: 3, with a process: 1, not started: 2');
    expect(after.stdout).toContain('Smart Places (smarta-orter): 1 process, 0 completed');
    expect(after.stdout).toMatch(/^ {2}1 Interviews\s+1$/m);
    expect(after.stdout).toMatch(
      new RegExp(`s ago\\s+Hede \\(Härjedalen\\)\\s+1 Interviews\\s+${processId}`),
    );
    expect(after.stdout).not.toContain('frida');
  });

  it('trace: Process.Started and Stage.Started under the request, emails under their request', async () => {
    // The notifier sends the process-started email a moment later, caused by Notification.Requested.
    const trace = await eventually(
      () => samskapa(['trace', processId, '--data', data]),
      (result) => /Notification\.Sent .*template=processStarted/.test(result.stdout),
      'the process-started email in the trace',
      20_000,
    );
    expect(trace.code).toBe(0);
    const lines = trace.stdout.split('\n');
    const indent = (line: string | undefined) => /^ */.exec(line ?? '')?.[0].length ?? -1;
    expect(lines[0]).toMatch(
      new RegExp(`^Process ${processId}: Hede \\(Härjedalen\\), smarta-orter, \\d+ events`),
    );
    const request = lines.findIndex((l) => l.startsWith('request by user u-coordinator · cause '));
    const started = lines.findIndex((l) => /\+0\.000s {2}Process\.Started\s+method=smarta-orter$/.test(l));
    const stage = lines.findIndex((l) =>
      /\+\d+\.\d{3}s {2}Stage\.Started\s+stage=interviews index=0$/.test(l),
    );
    expect(request).toBeGreaterThan(0);
    expect(started).toBe(request + 1);
    expect(stage).toBeGreaterThan(started);
    expect(indent(lines[started])).toBeGreaterThan(indent(lines[request]));
    const requested = lines.findIndex((l) => /Notification\.Requested .*template=processStarted/.test(l));
    const sent = lines.findIndex((l) => /Notification\.Sent .*template=processStarted/.test(l));
    expect(sent).toBe(requested + 1);
    expect(indent(lines[sent])).toBeGreaterThan(indent(lines[requested]));
    expect(trace.stdout).not.toContain('frida');
  });

  it('replay: replays the last minutes to one rule, which receives the events', async () => {
    const from = new Date(began.getTime() - 60_000).toISOString();
    const result = await samskapa([
      'replay',
      '--from',
      from,
      '--rules',
      'notification-requested',
      '--data',
      data,
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const name = /^Replay (\S+): archive samskapa, /m.exec(result.stdout)?.[1];
    expect(result.stdout).toMatch(new RegExp(`^Replay ${name} COMPLETED in`, 'm'));

    const log = readFileSync(join(data, 'eventbridge', 'delivery-log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map(
        (line) =>
          JSON.parse(line) as { message_type: string; request_id?: string; details: Record<string, unknown> },
      );
    const replayed = log.filter((r) => r.message_type === 'EVENT_RECEIPT' && r.details.replay_name === name);
    expect(replayed.map((r) => r.details.detail_type)).toContain('Notification.Requested');
    const requests = new Set(replayed.map((r) => r.request_id));
    const matches = log.filter((r) => r.message_type === 'RULE_MATCH' && requests.has(r.request_id));
    expect(matches.length).toBeGreaterThanOrEqual(3);
    expect(matches.every((r) => String(r.details.rule_arn).endsWith('/notification-requested'))).toBe(true);
    await eventually(
      async () => readFileSync(join(data, 'eventbridge', 'delivery-log.jsonl'), 'utf8'),
      (text) =>
        text
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { message_type: string; request_id?: string })
          .filter((r) => r.message_type === 'INVOCATION_SUCCESS' && requests.has(r.request_id)).length ===
        matches.length,
      'every replayed delivery to succeed',
      10_000,
    );

    const unknownRule = await samskapa(['replay', '--from', from, '--rules', 'no-such-rule', '--data', data]);
    expectOneLine(
      unknownRule,
      2,
      /bus samskapa has no rule no-such-rule; its rules: .*notification-requested/,
    );
  });

  it('tail: a running `samskapa tail` prints an event an API call made, within a few seconds', async () => {
    const child = spawn(
      process.execPath,
      ['cli/samskapa.ts', 'tail', '--data', data, '--type', 'Participant.Registered'],
      {
        cwd: root,
        env: cleanEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    try {
      // Let it make its first poll, so the event comes after it started.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const called = Date.now();
      await coordinator.post(`/processes/${processId}/participants`, {
        participantId: 'p-tail',
        name: 'Tove Tail',
        email: 'tove@example.org',
        sector: 'association',
        ageGroup: 'age30to49',
        locale: 'sv',
        consent: { recording: false, contact: true },
      });
      await eventually(
        async () => stdout,
        (text) => text.includes('Participant.Registered'),
        `the event in tail's output (stderr: ${stderr})`,
        5_000,
      );
      expect(Date.now() - called).toBeLessThan(5_000);
      const line = stdout.split('\n').find((l) => l.includes('Participant.Registered')) ?? '';
      expect(line).toMatch(
        new RegExp(
          `^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}  Participant\\.Registered\\s+hede\\s+${processId}  participantId=p-tail$`,
        ),
      );
      expect(stdout).not.toContain('Tove');
      expect(stdout).not.toMatch(/Process\.Started/);
    } finally {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(child.exitCode).toBe(0);
    expect(stderr).toBe('');
  });

  it('token: prints a token the local API accepts', async () => {
    const token = await samskapa(['token', '--org', ORG, '--role', 'ops', '--data', data]);
    expect(token.code).toBe(0);
    const response = await fetch(`${cloud.endpoints.api}/places`, {
      headers: { authorization: `Bearer ${token.stdout.trim()}` },
    });
    expect(response.status).toBe(200);
  });
});

describe('samskapa --stack (a deployed stack, its outputs from CloudFormation)', () => {
  it('reads the outputs, uses the given token and replays the archive named after the bus', async () => {
    // A stand-in for CloudFormation's DescribeStacks whose outputs point at the local runtime.
    const outputs = { ApiUrl: cloud.endpoints.api, EventBusName: cloud.endpoints.bus, TableName: 'samskapa' };
    const cloudFormation = createServer((_request, response) => {
      response.setHeader('content-type', 'text/xml');
      response.end(`<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">
  <DescribeStacksResult><Stacks><member>
    <StackName>samskapa-test</StackName><StackStatus>UPDATE_COMPLETE</StackStatus>
    <CreationTime>2026-11-01T00:00:00Z</CreationTime>
    <Outputs>${Object.entries(outputs)
      .map(
        ([key, value]) => `<member><OutputKey>${key}</OutputKey><OutputValue>${value}</OutputValue></member>`,
      )
      .join('')}</Outputs>
  </member></Stacks></DescribeStacksResult>
  <ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>
</DescribeStacksResponse>`);
    });
    await new Promise<void>((resolve) => cloudFormation.listen(0, '127.0.0.1', resolve));
    try {
      const aws = {
        AWS_ACCESS_KEY_ID: 'samskapalocal',
        AWS_SECRET_ACCESS_KEY: 'samskapalocal',
        AWS_ENDPOINT_URL_CLOUDFORMATION: `http://127.0.0.1:${(cloudFormation.address() as AddressInfo).port}`,
        AWS_ENDPOINT_URL_EVENTBRIDGE: cloud.endpoints.eventbridge,
      };
      const stack = ['--stack', 'samskapa-test', '--region', 'eu-north-1'];
      const noToken = await samskapa(['status', ...stack], aws);
      expectOneLine(
        noToken,
        1,
        /stack samskapa-test needs your Cognito ID token: pass --token JWT or set SAMSKAPA_TOKEN/,
      );

      const token = await cloud.issueToken({ orgId: ORG, role: 'ops', sub: 'u-ops' });
      const status = await samskapa(['status', ...stack], { ...aws, SAMSKAPA_TOKEN: token });
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('samskapa status: stack samskapa-test (eu-north-1)');
      expect(status.stdout).toContain('Places: 3, with a process: 1');

      const replay = await samskapa(
        [
          'replay',
          ...stack,
          '--from',
          new Date(Date.now() - 60_000).toISOString(),
          '--name',
          'from-the-stack',
        ],
        aws,
      );
      expect(replay.stderr).toContain(
        'has no EventArchiveName output; using the archive named after the bus',
      );
      expect(replay.stdout).toMatch(/^Replay from-the-stack COMPLETED in/m);
      expect(replay.code).toBe(0);
    } finally {
      await new Promise((resolve) => cloudFormation.close(resolve));
    }
  });
});

describe('samskapa when something is wrong: one line, exit 1, no stack trace', () => {
  it('a CSV that does not exist, or is a folder', async () => {
    expectOneLine(
      await samskapa(['import', 'no-such-places.csv', '--data', data]),
      1,
      /^samskapa import: no-such-places\.csv does not exist: give the path of a CSV file$/,
    );
    expectOneLine(await samskapa(['import', data, '--data', data]), 1, /is a folder, not a CSV file/);
  });

  it('no runtime: no endpoints.json, or one pointing at a port nobody listens on', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'samskapa-cli-none-'));
    const dead = mkdtempSync(join(tmpdir(), 'samskapa-cli-dead-'));
    try {
      expectOneLine(
        await samskapa(['status', '--data', empty]),
        1,
        /no samskapa runtime found: .*endpoints\.json does not exist\. Run `npm start` first$/,
      );
      const port = await new Promise<number>((resolve) => {
        const server = createServer().listen(0, '127.0.0.1', () => {
          const { port } = server.address() as AddressInfo;
          server.close(() => resolve(port));
        });
      });
      mkdirSync(dead, { recursive: true });
      writeFileSync(
        join(dead, 'endpoints.json'),
        JSON.stringify({
          ...cloud.endpoints,
          api: `http://127.0.0.1:${port}`,
          eventbridge: `http://127.0.0.1:${port}`,
        }),
      );
      for (const args of [['status'], ['trace', 'p-1'], ['replay', '--from', '2026-01-01T00:00:00Z']])
        expectOneLine(
          await samskapa([...args, '--data', dead]),
          1,
          new RegExp(
            `no samskapa runtime answers at http://127\\.0\\.0\\.1:${port} \\(ECONNREFUSED.*run \`npm start\` first$`,
          ),
        );
      // --verbose adds the details.
      const verbose = await samskapa(['status', '--data', dead, '--verbose']);
      expect(verbose.code).toBe(1);
      expect(verbose.stderr).toContain('ECONNREFUSED');
      expect(verbose.stderr.trim().split('\n').length).toBeGreaterThan(1);
    } finally {
      rmSync(empty, { recursive: true, force: true });
      rmSync(dead, { recursive: true, force: true });
    }
  });

  it('a stack without AWS credentials', async () => {
    const home = mkdtempSync(join(tmpdir(), 'samskapa-cli-home-'));
    try {
      expectOneLine(
        await samskapa(['status', '--stack', 'samskapa-prod', '--region', 'eu-north-1'], {
          HOME: home,
          AWS_EC2_METADATA_DISABLED: 'true',
        }),
        1,
        /no AWS credentials: run `aws configure` or `aws sso login`, or set AWS_PROFILE$/,
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('a wrong command line exits 2', async () => {
    expectOneLine(
      await samskapa(['console']),
      2,
      /unknown command 'console'; the commands are start, demo, import/,
    );
    expectOneLine(await samskapa(['dlq']), 2, /^samskapa dlq: missing argument\. Usage: samskapa dlq list/);
    expectOneLine(await samskapa(['dlq', 'purge']), 2, /unknown action 'purge'/);
    expectOneLine(
      await samskapa(['tail', '--since', 'yesterday', '--data', data]),
      2,
      /--since must be a time/,
    );
    expectOneLine(
      await samskapa(['status', '--frob']),
      2,
      /unknown option --frob\. See: samskapa help status$/,
    );
    expectOneLine(await samskapa(['replay', '--data', data]), 2, /--from is required/);
  });
});
