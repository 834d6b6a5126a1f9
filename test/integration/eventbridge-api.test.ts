/**
 * The local EventBridge endpoint speaks the JSON 1.1 protocol well enough for the unchanged SDK
 * client: results and errors parse into the same shapes and exception classes as against AWS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteRuleCommand,
  DescribeEventBusCommand,
  DescribeRuleCommand,
  DisableRuleCommand,
  EventBridgeClient,
  EventBridgeServiceException,
  InvalidEventPatternException,
  ListEventBusesCommand,
  ListRulesCommand,
  ListTargetsByRuleCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
  ResourceNotFoundException,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_BUS } from '../../functions/topology.ts';
import { ManualClock } from '../../local/clock.ts';
import { type LocalEventBridge, startEventBridge } from '../../local/eventbridge/service.ts';
import { type LambdaHost, startLambdaHost } from '../../local/lambda/host.ts';
import {
  eventually,
  fixtureRoot,
  fixtureTopology,
  readCalls,
  SOURCE,
  without,
} from '../fixtures/functions/harness.ts';

let dir: string;
let host: LambdaHost;
let bus: LocalEventBridge;
let client: EventBridgeClient;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samskapa-bus-api-'));
  const clock = new ManualClock('2026-03-02T09:00:00.000Z');
  const topology = fixtureTopology({ recordDir: dir });
  host = await startLambdaHost({ topology: without(topology, 'ghostFunction'), root: fixtureRoot, clock });
  bus = await startEventBridge({ lambda: host, topology, clock });
  client = new EventBridgeClient({
    endpoint: bus.endpoint,
    region: 'eu-north-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
});

afterAll(async () => {
  client.destroy();
  await bus.stop();
  await host.stop();
  rmSync(dir, { recursive: true, force: true });
});

/**
 * ValidationException is not a modeled error of the EventBridge API, so the SDK raises it (from AWS as
 * from here) as an EventBridgeServiceException named ValidationException.
 */
const validationException = expect.objectContaining({ name: 'ValidationException', $fault: 'client' });

const valid = (overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry => ({
  EventBusName: PIPELINE_BUS,
  Source: SOURCE,
  DetailType: 'Workshop.Closed',
  Detail: '{"workshopId":"w-2"}',
  ...overrides,
});

describe('PutEvents over HTTP', () => {
  it('rejects more than 10 entries with ValidationException', async () => {
    const entries = Array.from({ length: 11 }, () => valid());
    const error = await client
      .send(new PutEventsCommand({ Entries: entries }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EventBridgeServiceException);
    expect(error).toEqual(validationException);
    expect((error as Error).message).toContain('Member must have length less than or equal to 10');
  });

  it('rejects a request whose entries exceed 1 MiB with ValidationException, and accepts one just within it', async () => {
    const overhead = Buffer.byteLength(SOURCE) + Buffer.byteLength('Workshop.Closed') + '{"pad":""}'.length;
    const fits = valid({ Detail: JSON.stringify({ pad: 'x'.repeat(1024 * 1024 - overhead) }) });
    const accepted = await client.send(new PutEventsCommand({ Entries: [fits] }));
    expect(accepted.FailedEntryCount).toBe(0);

    const tooLarge = valid({ Detail: JSON.stringify({ pad: 'x'.repeat(1024 * 1024 - overhead + 1) }) });
    const error = await client
      .send(new PutEventsCommand({ Entries: [tooLarge] }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EventBridgeServiceException);
    expect(error).toEqual(validationException);
    expect((error as Error).message).toBe('Total size of the entries in the request is over the limit.');
  });

  it('reports missing fields, malformed detail, foreign sources and unknown buses per entry, as AWS does', async () => {
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          valid({ Source: undefined }),
          valid({ DetailType: undefined }),
          valid({ Detail: undefined }),
          valid({ Detail: 'not json' }),
          valid({ Detail: '["an", "array"]' }),
          valid({ Source: 'aws.s3' }),
          valid({ EventBusName: 'nowhere' }),
          valid(),
        ],
      }),
    );
    expect(result.FailedEntryCount).toBe(7);
    expect(result.Entries?.map((entry) => entry.ErrorCode ?? 'ok')).toEqual([
      'InvalidArgument',
      'InvalidArgument',
      'InvalidArgument',
      'MalformedDetail',
      'MalformedDetail',
      'NotAuthorizedForSourceException',
      'ResourceNotFoundException',
      'ok',
    ]);
    expect(result.Entries?.[0]?.ErrorMessage).toBe(
      'Parameter Source is not valid. Reason: Source is a required argument.',
    );
    expect(result.Entries?.[3]?.ErrorMessage).toBe('Detail is malformed.');
    expect(result.Entries?.[7]?.EventId).toBeDefined();
    const failures = bus.deliveryLog
      .recent()
      .filter((record) => record.message_type === 'EVENT_INGEST_FAILURE');
    expect(failures.length).toBeGreaterThanOrEqual(7);
    expect(failures[0]?.log_level).toBe('ERROR');
  });

  it('accepts the event bus by ARN and the time as given', async () => {
    const result = await client.send(
      new PutEventsCommand({
        Entries: [
          valid({
            EventBusName: 'arn:aws:events:eu-north-1:000000000000:event-bus/samskapa',
            Time: new Date('2026-02-01T10:11:12.345Z'),
            Detail: '{"workshopId":"w-time"}',
          }),
        ],
      }),
    );
    const eventId = result.Entries?.[0]?.EventId;
    const call = await eventually(() =>
      readCalls(dir, 'recordCalls').find((found) => (found.event as { id: string }).id === eventId),
    );
    expect(call.event).toMatchObject({ time: '2026-02-01T10:11:12Z' });
  });
});

describe('TestEventPattern over HTTP', () => {
  const event = JSON.stringify({
    id: '1',
    source: 'samskapa.pipeline',
    'detail-type': 'Workshop.Closed',
    account: '000000000000',
    region: 'eu-north-1',
    time: '2026-03-02T09:00:00Z',
    detail: { sector: 'association', participants: 42 },
  });

  it("returns the matcher's answer", async () => {
    const matches = await client.send(
      new TestEventPatternCommand({
        EventPattern: JSON.stringify({ detail: { participants: [{ numeric: ['>=', 40] }] } }),
        Event: event,
      }),
    );
    expect(matches.Result).toBe(true);
    const misses = await client.send(
      new TestEventPatternCommand({
        EventPattern: JSON.stringify({ detail: { sector: ['business'] } }),
        Event: event,
      }),
    );
    expect(misses.Result).toBe(false);
  });

  it('rejects an invalid pattern with InvalidEventPatternException', async () => {
    const error = await client
      .send(
        new TestEventPatternCommand({ EventPattern: '{"detail": {"sector": "association"}}', Event: event }),
      )
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(InvalidEventPatternException);
    expect((error as Error).message).toMatch(/^Event pattern is not valid\. Reason: /);
  });

  it('rejects an event without the envelope fields with ValidationException', async () => {
    const error = await client
      .send(new TestEventPatternCommand({ EventPattern: '{"source": ["x"]}', Event: '{"source": "x"}' }))
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EventBridgeServiceException);
    expect(error).toEqual(validationException);
  });
});

describe('rules, targets and buses over HTTP', () => {
  it('lists the rules declared in the topology, with their Lambda targets, RetryPolicy and DLQ', async () => {
    const rules = await client.send(new ListRulesCommand({ EventBusName: PIPELINE_BUS }));
    expect(rules.Rules?.map((rule) => rule.Name)).toEqual([
      'compile-results',
      'notify-ghost',
      'record-workshop-closed',
      'sink-plan-approved',
      'transcribe-interview',
    ]);
    const described = await client.send(
      new DescribeRuleCommand({ Name: 'notify-ghost', EventBusName: PIPELINE_BUS }),
    );
    expect(described).toMatchObject({
      Arn: 'arn:aws:events:eu-north-1:000000000000:rule/samskapa/notify-ghost',
      State: 'ENABLED',
      EventBusName: PIPELINE_BUS,
    });
    expect(JSON.parse(described.EventPattern ?? '')).toEqual({
      source: [SOURCE],
      'detail-type': ['Guide.Published'],
    });
    const targets = await client.send(
      new ListTargetsByRuleCommand({ Rule: 'notify-ghost', EventBusName: PIPELINE_BUS }),
    );
    expect(targets.Targets).toEqual([
      {
        Id: 'ghostFunction',
        Arn: 'arn:aws:lambda:eu-north-1:000000000000:function:ghostFunction',
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: 'arn:aws:sqs:eu-north-1:000000000000:notify-ghost-dlq' },
      },
    ]);
    const onDefault = await client.send(new ListRulesCommand({}));
    expect(onDefault.Rules?.map((rule) => rule.Name)).toEqual(['record-object-created']);
    const paged = await client.send(new ListRulesCommand({ EventBusName: PIPELINE_BUS, Limit: 2 }));
    expect(paged.Rules).toHaveLength(2);
    const rest = await client.send(
      new ListRulesCommand({ EventBusName: PIPELINE_BUS, NextToken: paged.NextToken }),
    );
    expect(rest.Rules?.[0]?.Name).toBe('record-workshop-closed');
  });

  it('creates, disables and deletes a rule through the API, and routes to its target meanwhile', async () => {
    const created = await client.send(
      new PutRuleCommand({
        Name: 'audit-everything',
        EventBusName: PIPELINE_BUS,
        EventPattern: JSON.stringify({ source: [SOURCE], 'detail-type': ['Audit.Me'] }),
      }),
    );
    expect(created.RuleArn).toBe('arn:aws:events:eu-north-1:000000000000:rule/samskapa/audit-everything');
    await client.send(
      new PutTargetsCommand({
        Rule: 'audit-everything',
        EventBusName: PIPELINE_BUS,
        Targets: [{ Id: 'recorder', Arn: 'arn:aws:lambda:eu-north-1:000000000000:function:recordCalls' }],
      }),
    );
    const put = await client.send(new PutEventsCommand({ Entries: [valid({ DetailType: 'Audit.Me' })] }));
    const eventId = put.Entries?.[0]?.EventId;
    await eventually(() =>
      readCalls(dir, 'recordCalls').some((call) => (call.event as { id: string }).id === eventId),
    );

    await client.send(new DisableRuleCommand({ Name: 'audit-everything', EventBusName: PIPELINE_BUS }));
    const quiet = await client.send(new PutEventsCommand({ Entries: [valid({ DetailType: 'Audit.Me' })] }));
    const quietId = quiet.Entries?.[0]?.EventId;
    expect(bus.deliveryLog.recent({ eventId: quietId }).map((record) => record.message_type)).toContain(
      'NO_STANDARD_RULES_MATCHED',
    );

    await expect(
      client.send(new DeleteRuleCommand({ Name: 'audit-everything', EventBusName: PIPELINE_BUS })),
    ).rejects.toThrow("Rule can't be deleted since it has targets.");
    await client.send(
      new DeleteRuleCommand({ Name: 'audit-everything', EventBusName: PIPELINE_BUS, Force: true }),
    );
    await expect(
      client.send(new DescribeRuleCommand({ Name: 'audit-everything', EventBusName: PIPELINE_BUS })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('rejects an invalid rule pattern, a non-Lambda target and an unknown bus with the exceptions AWS uses', async () => {
    await expect(
      client.send(
        new PutRuleCommand({
          Name: 'bad',
          EventBusName: PIPELINE_BUS,
          EventPattern: '{"source": [{"prefix": 1}]}',
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidEventPatternException);
    await client.send(
      new PutRuleCommand({ Name: 'to-sqs', EventBusName: PIPELINE_BUS, EventPattern: '{"source": ["x"]}' }),
    );
    await expect(
      client.send(
        new PutTargetsCommand({
          Rule: 'to-sqs',
          EventBusName: PIPELINE_BUS,
          Targets: [{ Id: 'q', Arn: 'arn:aws:sqs:eu-north-1:000000000000:somewhere' }],
        }),
      ),
    ).rejects.toEqual(validationException);
    await expect(client.send(new ListRulesCommand({ EventBusName: 'nowhere' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('lists and describes the default and the pipeline bus', async () => {
    const buses = await client.send(new ListEventBusesCommand({}));
    expect(buses.EventBuses?.map((eventBus) => eventBus.Name)).toEqual(['default', PIPELINE_BUS]);
    const pipeline = await client.send(new DescribeEventBusCommand({ Name: PIPELINE_BUS }));
    expect(pipeline.Arn).toBe('arn:aws:events:eu-north-1:000000000000:event-bus/samskapa');
    expect(pipeline.CreationTime).toEqual(new Date('2026-03-02T09:00:00.000Z'));
  });

  it('answers an unknown operation and a malformed body with the protocol errors', async () => {
    const unknown = await fetch(bus.endpoint, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'AWSEvents.CreateEndpoint', 'Content-Type': 'application/x-amz-json-1.1' },
      body: '{}',
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' });
    const malformed = await fetch(bus.endpoint, {
      method: 'POST',
      headers: { 'X-Amz-Target': 'AWSEvents.PutEvents', 'Content-Type': 'application/x-amz-json-1.1' },
      body: '{"Entries": [',
    });
    expect(await malformed.json()).toMatchObject({ __type: 'SerializationException' });
  });
});
