/**
 * The local Lambda host runs the fixture functions in their own sandboxes, with Lambda's synchronous
 * and asynchronous semantics: retries on the clock, the function's own failure queue, redrive.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/clock.ts';
import { FunctionError, ResourceNotFoundException } from '../../local/lambda/errors.ts';
import { type InvocationRecord, type LambdaHost, startLambdaHost } from '../../local/lambda/host.ts';
import { openFailureQueues } from '../../local/queues/failure-queues.ts';
import {
  eventually,
  fixtureRoot,
  fixtureTopology,
  readCalls,
  without,
} from '../fixtures/functions/harness.ts';

const MINUTE = 60_000;

let dir: string;
let host: LambdaHost | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'samskapa-lambda-'));
});

afterEach(async () => {
  await host?.stop();
  host = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function topology() {
  return without(fixtureTopology({ recordDir: dir, fixFlagFile: join(dir, 'fixed') }), 'ghostFunction');
}

describe('the Lambda host', () => {
  it('runs a handler in its own sandbox with its own environment and a Lambda context', async () => {
    process.env.SAMSKAPA_PARENT_ONLY = 'must not leak into sandboxes';
    try {
      host = await startLambdaHost({
        topology: topology(),
        root: fixtureRoot,
        environment: { AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:4010' },
      });
      const result = await host.invokeSync('recordCalls', { placeId: 'ragunda' });

      expect(result).toEqual({ ok: true, echo: { placeId: 'ragunda' } });
      const [call] = readCalls(dir, 'recordCalls');
      expect(call?.env).toEqual({
        FIXTURE_ROLE: 'recorder',
        AWS_LAMBDA_FUNCTION_NAME: 'recordCalls',
        AWS_REGION: 'eu-north-1',
        AWS_ENDPOINT_URL_EVENTBRIDGE: 'http://127.0.0.1:4010',
        AWS_ACCESS_KEY_ID: 'local',
      });
      expect(call?.remainingMs).toBeGreaterThan(25_000);
      expect(call?.remainingMs).toBeLessThanOrEqual(30_000);
      expect(host.environmentOf('failsTwice').FIXTURE_ROLE).toBe('compiler');
    } finally {
      delete process.env.SAMSKAPA_PARENT_ONLY;
    }
  });

  it('rejects an unknown function with ResourceNotFoundException', async () => {
    host = await startLambdaHost({ topology: topology(), root: fixtureRoot });
    await expect(host.invokeAsync('ghostFunction', {})).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(host.invokeSync('ghostFunction', {})).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Function not found: arn:aws:lambda:eu-north-1:000000000000:function:ghostFunction',
    });
  });

  it('returns a synchronous failure to the caller as a FunctionError, without retries', async () => {
    host = await startLambdaHost({ topology: topology(), root: fixtureRoot });
    const error = await host
      .invokeSync('throwsUntilFixed', { id: 'sync' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(FunctionError);
    expect(error).toMatchObject({
      errorType: 'TranscriptionUnavailableError',
      errorMessage: 'the transcription service is unavailable',
    });
    expect(readCalls(dir, 'throwsUntilFixed')).toHaveLength(1);
    expect(host.failureQueue('throwsUntilFixed').size).toBe(0);
  });

  it('ends the sandbox idle longest when a new one would exceed the sandbox limit', async () => {
    host = await startLambdaHost({
      topology: topology(),
      root: fixtureRoot,
      concurrency: { perFunction: 1, total: 1, sandboxes: 1 },
    });
    const records: InvocationRecord[] = [];
    host.on('invocation', (record) => records.push(record));
    await host.invokeSync('recordCalls', { n: 1 });
    await host.invokeSync('burstSink', { n: 2 });
    expect(host.stats.sandboxes).toBe(1);
    await host.invokeSync('recordCalls', { n: 3 });
    expect(records.map((record) => [record.functionName, record.coldStart])).toEqual([
      ['recordCalls', true],
      ['burstSink', true],
      ['recordCalls', true],
    ]);
    expect(host.stats.sandboxes).toBe(1);
  });

  it('ends a handler at its timeout', async () => {
    host = await startLambdaHost({ topology: topology(), root: fixtureRoot });
    const started = Date.now();
    await expect(host.invokeSync('slowStarter', {})).rejects.toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 1.00 seconds',
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(host.stats.sandboxes).toBe(0);
  });

  it('retries a throwing function twice on the clock, then keeps the original event and the error in its failure queue; a redrive after the fix completes it', async () => {
    const clock = new ManualClock();
    host = await startLambdaHost({ topology: topology(), root: fixtureRoot, clock });
    const records: InvocationRecord[] = [];
    host.on('invocation', (record) => records.push(record));
    const event = { id: 'evt-1', 'detail-type': 'Interview.Uploaded', detail: { interviewId: 'i-7' } };

    await host.invokeAsync('throwsUntilFixed', event);
    await eventually(
      () => readCalls(dir, 'throwsUntilFixed').length === 1 && host?.stats.waitingForRetry === 1,
    );
    clock.advance(MINUTE - 1);
    await host.idle();
    expect(readCalls(dir, 'throwsUntilFixed')).toHaveLength(1); // not before a minute has passed
    clock.advance(1);
    await eventually(
      () => readCalls(dir, 'throwsUntilFixed').length === 2 && host?.stats.waitingForRetry === 1,
    );
    clock.advance(2 * MINUTE);
    await eventually(() => host?.failureQueue('throwsUntilFixed').size === 1);

    expect(readCalls(dir, 'throwsUntilFixed')).toHaveLength(3);
    expect(records.map((record) => [record.attempt, record.outcome])).toEqual([
      [1, 'error'],
      [2, 'error'],
      [3, 'error'],
    ]);
    const [message] = host.failureQueue('throwsUntilFixed').list();
    expect(message?.body).toEqual(event);
    expect(message?.attributes).toMatchObject({
      origin: { kind: 'function', functionName: 'throwsUntilFixed' },
      condition: 'RetriesExhausted',
      errorType: 'TranscriptionUnavailableError',
      errorMessage: 'the transcription service is unavailable',
      attempts: 3,
      firstAttemptAt: '2026-01-01T00:00:00.000Z',
      lastAttemptAt: '2026-01-01T00:03:00.000Z',
    });

    // Redriving before the fix keeps the message, with one more attempt recorded.
    const early = await host.redrive('throwsUntilFixed-failures', 'all');
    expect(early).toMatchObject({
      redriven: 1,
      succeeded: [],
      failed: [{ errorType: 'TranscriptionUnavailableError' }],
    });
    expect(host.failureQueue('throwsUntilFixed').list()[0]?.attributes.attempts).toBe(4);

    writeFileSync(join(dir, 'fixed'), 'deployed');
    const redriven = await host.redrive('throwsUntilFixed', message?.messageId ?? '');
    expect(redriven).toEqual({ redriven: 1, succeeded: [message?.messageId], failed: [] });
    expect(host.failureQueue('throwsUntilFixed').size).toBe(0);
    const calls = readCalls(dir, 'throwsUntilFixed');
    expect(calls.at(-1)).toMatchObject({ outcome: 'success', event });
    // Only this function ran: a redrive never re-broadcasts.
    expect(readCalls(dir, 'recordCalls')).toEqual([]);
  });

  it('completes a function that fails twice then succeeds exactly once', async () => {
    const clock = new ManualClock();
    host = await startLambdaHost({ topology: topology(), root: fixtureRoot, clock });
    await host.invokeAsync('failsTwice', { id: 'evt-2' });
    await eventually(() => host?.stats.waitingForRetry === 1);
    clock.advance(MINUTE);
    await eventually(() => readCalls(dir, 'failsTwice').length === 2 && host?.stats.waitingForRetry === 1);
    clock.advance(2 * MINUTE);
    await eventually(() => readCalls(dir, 'failsTwice').length === 3);
    await host.idle();

    const outcomes = readCalls(dir, 'failsTwice').map((call) => call.outcome);
    expect(outcomes).toEqual(['error', 'error', 'success']);
    expect(host.stats).toMatchObject({ running: 0, queued: 0, waitingForRetry: 0 });
    expect(host.failureQueue('failsTwice').size).toBe(0);
  });

  it('sends an event that waited longer than maximumEventAgeSeconds to the failure queue instead of running it', async () => {
    const clock = new ManualClock();
    const aged = topology().map((fn) =>
      fn.name === 'throwsUntilFixed'
        ? { ...fn, asyncInvocation: { maximumRetryAttempts: 2, maximumEventAgeSeconds: 60 } }
        : fn,
    );
    host = await startLambdaHost({ topology: aged, root: fixtureRoot, clock, retryDelaysMs: [2 * MINUTE] });
    await host.invokeAsync('throwsUntilFixed', { id: 'evt-old' });
    await eventually(() => host?.stats.waitingForRetry === 1);
    clock.advance(2 * MINUTE);
    await eventually(() => host?.failureQueue('throwsUntilFixed').size === 1);
    expect(readCalls(dir, 'throwsUntilFixed')).toHaveLength(1);
    expect(host.failureQueue('throwsUntilFixed').list()[0]?.attributes).toMatchObject({
      condition: 'EventAgeExceeded',
      errorType: 'TranscriptionUnavailableError',
      attempts: 1,
    });
  });

  it('keeps failure queues across a restart and moves work still pending at stop into them', async () => {
    const clock = new ManualClock();
    const dataDir = join(dir, 'data');
    host = await startLambdaHost({ topology: topology(), root: fixtureRoot, clock, dataDir });
    await host.invokeAsync('throwsUntilFixed', { id: 'evt-pending' });
    await eventually(() => host?.stats.waitingForRetry === 1);
    await host.stop();

    const queues = openFailureQueues({ dir: join(dataDir, 'queues') });
    try {
      const [message] = queues.queue('throwsUntilFixed-failures').list();
      expect(message).toMatchObject({
        body: { id: 'evt-pending' },
        attributes: { condition: 'RuntimeStopped', errorType: 'TranscriptionUnavailableError', attempts: 1 },
      });
    } finally {
      queues.close();
    }

    writeFileSync(join(dir, 'fixed'), 'deployed');
    host = await startLambdaHost({ topology: topology(), root: fixtureRoot, clock, dataDir });
    expect(host.failureQueue('throwsUntilFixed').size).toBe(1);
    expect(await host.redrive('throwsUntilFixed', 'all')).toMatchObject({ redriven: 1, failed: [] });
    await host.stop();
    host = await startLambdaHost({ topology: topology(), root: fixtureRoot, clock, dataDir });
    expect(host.failureQueue('throwsUntilFixed').size).toBe(0);
  });

  it('runs the esbuild bundle of a function instead of its source when given one', async () => {
    const bundle = join(dir, 'bundles', 'record.mjs');
    await build({
      entryPoints: [join(fixtureRoot, 'functions', 'record.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      outfile: bundle,
      logLevel: 'silent',
    });
    host = await startLambdaHost({
      topology: topology(),
      root: fixtureRoot,
      bundles: { recordCalls: bundle },
    });
    expect(await host.invokeSync('recordCalls', { bundled: true })).toEqual({
      ok: true,
      echo: { bundled: true },
    });
    expect(readCalls(dir, 'recordCalls')[0]?.env.FIXTURE_ROLE).toBe('recorder');
    await expect(
      startLambdaHost({ topology: topology(), root: fixtureRoot, bundles: { nobody: bundle } }),
    ).rejects.toThrow('bundles given for functions not in the topology: nobody');
  });

  it("serves Lambda's Invoke API over HTTP", async () => {
    host = await startLambdaHost({ topology: topology(), root: fixtureRoot });
    const invoke = (name: string, body: string, type?: string) =>
      fetch(`${host?.endpoint}/2015-03-31/functions/${encodeURIComponent(name)}/invocations`, {
        method: 'POST',
        body,
        headers: type ? { 'X-Amz-Invocation-Type': type } : {},
      });

    const ok = await invoke('recordCalls', '{"n":1}');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ ok: true, echo: { n: 1 } });

    const failed = await invoke('arn:aws:lambda:eu-north-1:000000000000:function:throwsUntilFixed', '{}');
    expect(failed.status).toBe(200);
    expect(failed.headers.get('x-amz-function-error')).toBe('Unhandled');
    expect(await failed.json()).toMatchObject({ errorType: 'TranscriptionUnavailableError' });

    const queued = await invoke('recordCalls', '{"n":2}', 'Event');
    expect(queued.status).toBe(202);
    await eventually(() => readCalls(dir, 'recordCalls').length === 2);

    const missing = await invoke('nobody', '{}');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
  });
});
