/**
 * Failures end to end on the local runtime: the real API function next to a fixture function that
 * throws until a flag file exists. An event it cannot handle ends, after Lambda's retries, in its
 * on-failure queue; GET /ops/failures shows it with the error and the event; after the fix, POST
 * /ops/failures/{queue}/redrive invokes the function again through Lambda's Invoke API, it completes
 * and the queue is empty. Then the same with the real `samskapa dlq list` and `samskapa dlq redrive
 * --all`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_BUS } from '../../functions/topology.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import {
  eventually,
  fixtureRoot,
  fixtureTopology,
  readCalls,
  SOURCE,
  withOperationsApi,
} from '../fixtures/functions/harness.ts';
import { type Api, apiClient } from '../support/api-client.ts';

const ORG = 'org-failures';
const QUEUE = 'throwsUntilFixed-failures';
const root = new URL('../../', import.meta.url);

let dir: string;
let flag: string;
let cloud: LocalCloud;
let ops: Api;
let events: EventBridgeClient;

interface Failures {
  queues: {
    queue: string;
    kind: string;
    function: string | null;
    depth: number;
    messages: {
      messageId: string;
      function: string;
      error: { type: string; message: string };
      attempts: number;
      event: { id: string | null; type: string | null; processId: string | null; placeId: string | null };
    }[];
  }[];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samskapa-failures-'));
  flag = join(dir, 'fixed');
  cloud = await startLocalCloud({
    topology: withOperationsApi(fixtureTopology({ recordDir: dir, fixFlagFile: flag })),
    root: fixtureRoot,
    persist: join(dir, 'data'),
    retryDelaysMs: [10, 10],
  });
  ops = apiClient(cloud.endpoints.api, await cloud.issueToken({ orgId: ORG, role: 'ops', sub: 'u-ops' }));
  events = new EventBridgeClient({
    endpoint: cloud.endpoints.eventbridge,
    region: cloud.endpoints.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}, 120_000);

afterAll(async () => {
  events?.destroy();
  await cloud?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** An interview upload the transcriber cannot handle until fixed; resolves when it is in its queue. */
async function failedUpload(processId: string): Promise<string> {
  const id = ulid().toLowerCase();
  const before = cloud.failureQueues.queue(QUEUE).size;
  await events.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: PIPELINE_BUS,
          Source: SOURCE,
          DetailType: 'Interview.Uploaded',
          Detail: JSON.stringify({
            metadata: { id, type: 'Interview.Uploaded', orgId: ORG, placeId: 'hede', processId },
            data: { interviewId: 'i-7' },
          }),
        },
      ],
    }),
  );
  await eventually(() => cloud.failureQueues.queue(QUEUE).size === before + 1, 20_000);
  return id;
}

const succeeded = (processId: string) =>
  readCalls(dir, 'throwsUntilFixed').some(
    (call) =>
      call.outcome === 'success' &&
      (call.event as { detail?: { metadata?: { processId?: string } } }).detail?.metadata?.processId ===
        processId,
  );

describe('failures on the local runtime', () => {
  it('the API function reaches the Invoke API as it reaches the other services', () => {
    expect(cloud.lambda.environmentOf('api').AWS_ENDPOINT_URL_LAMBDA).toBe(cloud.endpoints.lambda);
    expect(cloud.environment.AWS_ENDPOINT_URL_LAMBDA).toBe(cloud.endpoints.lambda);
  });

  it('GET /ops/failures shows the message with its error; after the fix a redrive completes it and empties the queue', async () => {
    const eventId = await failedUpload('p-api');
    const failures = await ops.get<Failures>('/ops/failures');
    const queue = failures.queues.find((q) => q.queue === QUEUE);
    expect(queue).toMatchObject({ kind: 'function', function: 'throwsUntilFixed', depth: 1 });
    expect(queue?.messages).toEqual([
      expect.objectContaining({
        function: 'throwsUntilFixed',
        error: {
          type: 'TranscriptionUnavailableError',
          message: 'the transcription service is unavailable',
        },
        attempts: 3,
        event: { id: eventId, type: 'Interview.Uploaded', processId: 'p-api', placeId: 'hede' },
      }),
    ]);
    expect(failures.queues.find((q) => q.queue === 'transcribe-interview-dlq')).toMatchObject({
      kind: 'rule',
      function: 'throwsUntilFixed',
      depth: 0,
    });
    // Another organisation sees the depth, not the message.
    const stranger = apiClient(
      cloud.endpoints.api,
      await cloud.issueToken({ orgId: 'org-stranger', role: 'ops', sub: 'u-stranger' }),
    );
    const theirs = await stranger.get<Failures>('/ops/failures');
    expect(theirs.queues.find((q) => q.queue === QUEUE)).toMatchObject({ depth: 1, messages: [] });

    writeFileSync(flag, 'deployed');
    const messageId = queue?.messages[0]?.messageId;
    const result = await ops.post(`/ops/failures/${QUEUE}/redrive`, { messageIds: [messageId] });
    expect(result).toEqual({ queue: QUEUE, function: 'throwsUntilFixed', redriven: [messageId], failed: [] });
    await eventually(() => succeeded('p-api'), 20_000);
    expect(cloud.failureQueues.queue(QUEUE).size).toBe(0);
    const after = await ops.get<Failures>('/ops/failures');
    expect(after.queues.find((q) => q.queue === QUEUE)).toMatchObject({ depth: 0, messages: [] });

    expect((await ops.raw('POST', '/ops/failures/nothing-failures/redrive', {})).status).toBe(404);
    expect((await ops.raw('POST', `/ops/failures/${QUEUE}/redrive`, { messageIds: [] })).status).toBe(400);
  });

  it('samskapa dlq list shows the failed message; samskapa dlq redrive --all empties the queue', async () => {
    rmSync(flag, { force: true });
    await failedUpload('p-cli');
    const samskapa = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const env = Object.fromEntries(
          Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && key !== 'SAMSKAPA_TOKEN'),
        );
        execFile(
          process.execPath,
          ['cli/samskapa.ts', ...args, '--data', join(dir, 'data'), '--org', ORG],
          { cwd: root, env, timeout: 30_000 },
          (error, stdout, stderr) =>
            resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
        );
      });

    const list = await samskapa('dlq', 'list');
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    const line = list.stdout.split('\n').find((l) => l.includes('p-cli')) ?? '';
    for (const part of [QUEUE, 'throwsUntilFixed', 'Interview.Uploaded', 'TranscriptionUnavailableError'])
      expect(line).toContain(part);

    writeFileSync(flag, 'deployed');
    const redrive = await samskapa('dlq', 'redrive', '--all');
    expect(redrive.stderr).toBe('');
    expect(redrive.code).toBe(0);
    expect(redrive.stdout).toMatch(new RegExp(`redriven  ${QUEUE} -> throwsUntilFixed  \\S+`));
    await eventually(() => succeeded('p-cli'), 20_000);
    expect(cloud.failureQueues.queue(QUEUE).size).toBe(0);
    expect((await samskapa('dlq', 'list')).stdout).toContain('No failed messages.');

    const wrong = await samskapa('dlq', 'redrive');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/--all or message ids/);
  });
});
