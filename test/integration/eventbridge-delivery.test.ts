/**
 * From PutEvents to the functions, through the real SDK client and the real Lambda host: rules from
 * the fixture topology, both layers of failure handling (EventBridge's delivery retries and DLQ,
 * Lambda's async retries and failure queue), redrives, the delivery log and a burst under the
 * concurrency limit.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PIPELINE_BUS, type Topology } from '../../functions/topology.ts';
import { ManualClock } from '../../local/clock.ts';
import { type LocalEventBridge, startEventBridge } from '../../local/eventbridge/service.ts';
import { type LambdaHost, startLambdaHost } from '../../local/lambda/host.ts';
import { openFailureQueues } from '../../local/queues/failure-queues.ts';
import {
  eventually,
  fixtureRoot,
  fixtureTopology,
  peakOverlap,
  readCalls,
  SOURCE,
  without,
} from '../fixtures/functions/harness.ts';

const MINUTE = 60_000;

let dir: string;
let clock: ManualClock;
let topology: Topology;
let host: LambdaHost;
let bus: LocalEventBridge;
let client: EventBridgeClient;

async function start(
  options: { hostTopology?: Topology; concurrency?: { perFunction?: number; total?: number } } = {},
) {
  const failureQueues = openFailureQueues({ clock });
  host = await startLambdaHost({
    topology: options.hostTopology ?? without(topology, 'ghostFunction'),
    root: fixtureRoot,
    clock,
    failureQueues,
    ...(options.concurrency ? { concurrency: options.concurrency } : {}),
  });
  bus = await startEventBridge({
    lambda: host,
    topology,
    clock,
    failureQueues,
    delivery: { random: () => 0.5 },
  });
  client = new EventBridgeClient({
    endpoint: bus.endpoint,
    region: 'eu-north-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

const entry = (detailType: string, detail: object): PutEventsRequestEntry => ({
  EventBusName: PIPELINE_BUS,
  Source: SOURCE,
  DetailType: detailType,
  Detail: JSON.stringify(detail),
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'samskapa-bus-'));
  clock = new ManualClock('2026-03-02T09:00:00.000Z');
  topology = fixtureTopology({ recordDir: dir, fixFlagFile: join(dir, 'fixed'), sleepMs: 3 });
});

afterEach(async () => {
  client?.destroy();
  await bus?.stop();
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('delivery from the local EventBridge to functions', () => {
  it('delivers an event to the rule from the topology, and the function runs with its own environment', async () => {
    await start();
    const abort = new AbortController();
    const live: string[] = [];
    const following = (async () => {
      for await (const record of bus.deliveryLog.follow(abort.signal)) {
        live.push(record.message_type);
        if (record.message_type === 'INVOCATION_SUCCESS') abort.abort();
      }
    })();
    const put = await client.send(
      new PutEventsCommand({ Entries: [entry('Workshop.Closed', { workshopId: 'w-1' })] }),
    );
    expect(put.FailedEntryCount).toBe(0);
    const eventId = put.Entries?.[0]?.EventId;
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);

    const [call] = await eventually(() => {
      const calls = readCalls(dir, 'recordCalls');
      return calls.length > 0 && calls;
    });
    expect(call?.event).toEqual({
      version: '0',
      id: eventId,
      'detail-type': 'Workshop.Closed',
      source: SOURCE,
      account: '000000000000',
      time: '2026-03-02T09:00:00Z',
      region: 'eu-north-1',
      resources: [],
      detail: { workshopId: 'w-1' },
    });
    expect(call?.env).toMatchObject({ FIXTURE_ROLE: 'recorder', AWS_LAMBDA_FUNCTION_NAME: 'recordCalls' });
    // Only the matching rule's function ran.
    expect(readCalls(dir, 'failsTwice')).toEqual([]);

    await bus.idle();
    const steps = bus.deliveryLog.recent({ eventId }).map((record) => record.message_type);
    expect(steps).toEqual([
      'EVENT_INGEST_SUCCESS',
      'EVENT_RECEIPT',
      'RULE_MATCH',
      'INVOCATION_START',
      'INVOCATION_ATTEMPT_START',
      'INVOCATION_ATTEMPT_SUCCESS',
      'INVOCATION_SUCCESS',
    ]);
    await following;
    expect(live).toEqual(steps);
    const match = bus.deliveryLog.recent({ eventId }).find((record) => record.message_type === 'RULE_MATCH');
    expect(match).toMatchObject({
      resource_arn: 'arn:aws:events:eu-north-1:000000000000:event-bus/samskapa',
      event_bus_name: PIPELINE_BUS,
      log_level: 'TRACE',
      details: {
        rule_arn: 'arn:aws:events:eu-north-1:000000000000:rule/samskapa/record-workshop-closed',
        target_arns: ['arn:aws:lambda:eu-north-1:000000000000:function:recordCalls'],
      },
    });
    // No event contents in the log unless asked for.
    expect(JSON.stringify(bus.deliveryLog.recent())).not.toContain('w-1');
  });

  it('logs NO_STANDARD_RULES_MATCHED for an event no rule wants, and delivers S3 notifications on the default bus', async () => {
    await start();
    const put = await client.send(new PutEventsCommand({ Entries: [entry('Nobody.Listens', {})] }));
    const eventId = put.Entries?.[0]?.EventId;
    expect(bus.deliveryLog.recent({ eventId }).map((record) => record.message_type)).toEqual([
      'EVENT_INGEST_SUCCESS',
      'EVENT_RECEIPT',
      'NO_STANDARD_RULES_MATCHED',
    ]);

    const s3 = await bus.putEvents([
      {
        Source: 'aws.s3',
        DetailType: 'Object Created',
        Detail: JSON.stringify({
          bucket: { name: 'samskapa' },
          object: { key: 'recordings/a.m4a', size: 3 },
        }),
        Resources: ['arn:aws:s3:::samskapa'],
        Time: new Date('2026-03-02T08:59:59.500Z'),
      },
    ]);
    expect(s3.FailedEntryCount).toBe(0);
    const [call] = await eventually(() => {
      const calls = readCalls(dir, 'recordCalls');
      return calls.length > 0 && calls;
    });
    expect(call?.event).toMatchObject({
      source: 'aws.s3',
      time: '2026-03-02T08:59:59Z',
      resources: ['arn:aws:s3:::samskapa'],
    });
  });

  it("lets Lambda retry a function that throws, then keeps the original event and the error in the function's failure queue; a redrive after the fix completes it", async () => {
    await start();
    const put = await client.send(
      new PutEventsCommand({ Entries: [entry('Interview.Uploaded', { interviewId: 'i-9' })] }),
    );
    const eventId = put.Entries?.[0]?.EventId;

    await eventually(() => host.stats.waitingForRetry === 1);
    clock.advance(MINUTE);
    await eventually(
      () => readCalls(dir, 'throwsUntilFixed').length === 2 && host.stats.waitingForRetry === 1,
    );
    clock.advance(2 * MINUTE);
    const failures = host.failureQueue('throwsUntilFixed');
    await eventually(() => failures.size === 1);

    // EventBridge's part succeeded: Lambda accepted the event once; the throws were Lambda's business.
    const steps = bus.deliveryLog.recent({ eventId }).map((record) => record.message_type);
    expect(steps.filter((step) => step.startsWith('INVOCATION_ATTEMPT'))).toEqual([
      'INVOCATION_ATTEMPT_START',
      'INVOCATION_ATTEMPT_SUCCESS',
    ]);
    expect(bus.deadLetterQueue('transcribe-interview').size).toBe(0);

    const [message] = failures.list();
    expect(message?.body).toMatchObject({ id: eventId, detail: { interviewId: 'i-9' } });
    expect(message?.attributes).toMatchObject({
      condition: 'RetriesExhausted',
      errorType: 'TranscriptionUnavailableError',
      attempts: 3,
    });

    writeFileSync(join(dir, 'fixed'), 'deployed');
    expect(await host.redrive('throwsUntilFixed', 'all')).toMatchObject({ redriven: 1, failed: [] });
    expect(failures.size).toBe(0);
    const calls = readCalls(dir, 'throwsUntilFixed');
    expect(calls.map((call) => call.outcome)).toEqual(['error', 'error', 'error', 'success']);
    expect(new Set(calls.map((call) => (call.event as { id: string }).id))).toEqual(new Set([eventId]));
  });

  it('completes a function that fails twice then succeeds exactly once', async () => {
    await start();
    await client.send(new PutEventsCommand({ Entries: [entry('Results.Requested', { placeId: 'p-1' })] }));
    await eventually(() => host.stats.waitingForRetry === 1);
    clock.advance(MINUTE);
    await eventually(() => readCalls(dir, 'failsTwice').length === 2 && host.stats.waitingForRetry === 1);
    clock.advance(2 * MINUTE);
    await eventually(() => readCalls(dir, 'failsTwice').length === 3);
    await host.idle();
    clock.advance(60 * MINUTE);
    await host.idle();

    expect(readCalls(dir, 'failsTwice').map((call) => call.outcome)).toEqual(['error', 'error', 'success']);
    expect(host.failureQueue('failsTwice').size).toBe(0);
  });

  it("retries a target that cannot be delivered to per its RetryPolicy, then puts the event into the rule's DLQ; a redrive re-delivers to that target only", async () => {
    // The redrive below happens after the missing function is deployed: the bus keeps its invoker,
    // the invoker reaches whichever host is deployed now.
    const failureQueues = openFailureQueues({ clock });
    let deployed = await startLambdaHost({
      topology: without(topology, 'ghostFunction'),
      root: fixtureRoot,
      clock,
      failureQueues,
    });
    host = deployed;
    bus = await startEventBridge({
      lambda: { invokeAsync: (name, event) => deployed.invokeAsync(name, event) },
      topology,
      clock,
      failureQueues,
      delivery: { baseDelayMs: 1000, random: () => 0.5 },
    });
    client = new EventBridgeClient({
      endpoint: bus.endpoint,
      region: 'eu-north-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });

    const put = await client.send(
      new PutEventsCommand({ Entries: [entry('Guide.Published', { guideId: 'g-1' })] }),
    );
    const eventId = put.Entries?.[0]?.EventId;
    const dlq = bus.deadLetterQueue('notify-ghost');
    // maximumRetryAttempts 3: the first attempt and three retries, after 0.75 s, 1.5 s and 3 s.
    for (const delay of [750, 1500, 3000]) {
      await eventually(() => bus.stats().waitingForRetry === 1);
      clock.advance(delay - 1);
      expect(bus.stats().waitingForRetry).toBe(1);
      clock.advance(1);
    }
    await eventually(() => dlq.size === 1);

    const attempts = bus.deliveryLog
      .recent({ eventId })
      .filter((record) => record.message_type === 'INVOCATION_ATTEMPT_RETRYABLE_FAILURE');
    expect(attempts).toHaveLength(4);
    expect(attempts[0]?.error).toMatchObject({
      aws_service: 'lambda',
      http_status_code: 404,
      error_message: expect.stringContaining('ResourceNotFoundException'),
    });
    expect(
      bus.deliveryLog
        .recent({ eventId })
        .slice(-2)
        .map((record) => record.message_type),
    ).toEqual(['INVOCATION_FAILURE', 'INVOCATION_DLQ']);
    const [message] = dlq.list();
    expect(dlq.name).toBe('notify-ghost-dlq');
    expect(message?.body).toMatchObject({ id: eventId, detail: { guideId: 'g-1' } });
    expect(message?.attributes).toMatchObject({
      origin: { kind: 'ruleTarget', rule: 'notify-ghost', targetId: 'ghostFunction', eventId },
      condition: 'MaximumRetryAttempts',
      errorType: 'ResourceNotFoundException',
      attempts: 4,
    });

    // Still missing: the message stays, with the new attempt counted.
    expect(await bus.redrive('notify-ghost-dlq', 'all')).toMatchObject({ redriven: 1, succeeded: [] });
    expect(dlq.list()[0]?.attributes.attempts).toBe(5);

    await deployed.stop();
    deployed = await startLambdaHost({ topology, root: fixtureRoot, clock, failureQueues });
    host = deployed;
    expect(await bus.redrive('notify-ghost', message?.messageId ?? '')).toEqual({
      redriven: 1,
      succeeded: [message?.messageId],
      failed: [],
    });
    expect(dlq.size).toBe(0);
    const calls = await eventually(() => {
      const found = readCalls(dir, 'ghostFunction');
      return found.length > 0 && found;
    });
    expect(calls.map((call) => (call.event as { id: string }).id)).toEqual([eventId]);
    await deployed.idle();
    expect(readCalls(dir, 'recordCalls')).toEqual([]); // one target only, no re-broadcast
  });

  it('puts an undeliverable event into the DLQ once it is older than MaximumEventAgeInSeconds', async () => {
    const aged = topology.map((fn) =>
      fn.name === 'ghostFunction'
        ? {
            ...fn,
            triggers: fn.triggers.map((trigger) =>
              trigger.kind === 'event'
                ? { ...trigger, delivery: { maximumRetryAttempts: 185, maximumEventAgeSeconds: 60 } }
                : trigger,
            ),
          }
        : fn,
    );
    topology = aged;
    await start({ hostTopology: without(aged, 'ghostFunction') });
    await client.send(new PutEventsCommand({ Entries: [entry('Guide.Published', { guideId: 'g-2' })] }));
    const dlq = bus.deadLetterQueue('notify-ghost');
    while (dlq.size === 0) {
      await eventually(() => bus.stats().waitingForRetry === 1 || dlq.size === 1);
      clock.advance(10_000);
      await bus.idle();
    }
    expect(dlq.list()[0]?.attributes).toMatchObject({ condition: 'MaximumEventAgeInSeconds' });
    expect(dlq.list()[0]?.attributes.attempts).toBeLessThan(185);
  });

  it('delivers a burst of 500 events, each exactly once, with no more than the configured concurrency in flight', async () => {
    await start({ concurrency: { perFunction: 3, total: 8 } });
    const puts = [];
    for (let batch = 0; batch < 50; batch++) {
      const entries = Array.from({ length: 10 }, (_, i) =>
        entry('Plan.Approved', { planNumber: batch * 10 + i }),
      );
      puts.push(client.send(new PutEventsCommand({ Entries: entries })));
    }
    const results = await Promise.all(puts);
    expect(results.every((result) => result.FailedEntryCount === 0)).toBe(true);

    const calls = await eventually(() => {
      const found = readCalls(dir, 'burstSink');
      return found.length >= 500 && found;
    }, 30_000);
    await host.idle();
    const numbers = readCalls(dir, 'burstSink').map(
      (call) => (call.event as { detail: { planNumber: number } }).detail.planNumber,
    );
    expect(numbers).toHaveLength(500);
    expect(new Set(numbers).size).toBe(500);
    expect(calls.every((call) => call.outcome === 'success')).toBe(true);
    const peak = peakOverlap(readCalls(dir, 'burstSink'));
    expect(peak).toBeLessThanOrEqual(3);
    expect(peak).toBeGreaterThanOrEqual(2); // the limit is used, not just respected
    expect(host.stats.sandboxes).toBeLessThanOrEqual(3 + 1);
  }, 60_000);
});
