/**
 * The failure queues through the SQS JSON protocol, with the real @aws-sdk/client-sqs: a function that
 * exhausts Lambda's retries leaves Lambda's on-failure record in `<function>-failures`, an undeliverable
 * rule target leaves the event with EventBridge's attributes in `<rule>-dlq`; receive, visibility,
 * delete, purge and the SQS exceptions behave as on AWS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  MessageNotInflight,
  PurgeQueueCommand,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PIPELINE_BUS, type Topology } from '../../functions/topology.ts';
import { ManualClock } from '../../local/clock.ts';
import { startLocalCloud } from '../../local/cloud.ts';
import { type LocalEventBridge, startEventBridge } from '../../local/eventbridge/service.ts';
import { type LambdaHost, startLambdaHost } from '../../local/lambda/host.ts';
import { type FailureQueues, openFailureQueues } from '../../local/queues/failure-queues.ts';
import { type LocalSqs, startSqs } from '../../local/sqs/index.ts';
import {
  eventually,
  fixtureRoot,
  fixtureTopology,
  readCalls,
  SOURCE,
  without,
} from '../fixtures/functions/harness.ts';

const MINUTE = 60_000;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

let dir: string;
let clock: ManualClock;
let topology: Topology;
let failureQueues: FailureQueues;
let host: LambdaHost;
let bus: LocalEventBridge;
let sqsEndpoint: LocalSqs;
let sqs: SQSClient;
let events: EventBridgeClient;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samskapa-sqs-'));
  clock = new ManualClock('2026-03-02T09:00:00.000Z');
  topology = fixtureTopology({ recordDir: dir, fixFlagFile: join(dir, 'fixed') });
  failureQueues = openFailureQueues({ clock });
  // ghostFunction is on the bus but not on the host: a rule target that cannot be delivered to.
  host = await startLambdaHost({
    topology: without(topology, 'ghostFunction'),
    root: fixtureRoot,
    clock,
    failureQueues,
  });
  bus = await startEventBridge({
    lambda: host,
    topology,
    clock,
    failureQueues,
    delivery: { baseDelayMs: 1000, random: () => 0.5 },
  });
  sqsEndpoint = await startSqs({
    failureQueues,
    declaredQueues: topology.flatMap((fn) => [
      `${fn.name}-failures`,
      ...fn.triggers.flatMap((t) => (t.kind === 'event' ? [`${t.rule}-dlq`] : [])),
    ]),
    clock,
  });
  sqs = new SQSClient({ endpoint: sqsEndpoint.endpoint, region: 'eu-north-1', credentials });
  events = new EventBridgeClient({ endpoint: bus.endpoint, region: 'eu-north-1', credentials });
});

afterEach(async () => {
  sqs.destroy();
  events.destroy();
  await sqsEndpoint.stop();
  await bus.stop();
  await host.stop();
  failureQueues.close();
  rmSync(dir, { recursive: true, force: true });
});

async function put(detailType: string, detail: Record<string, unknown>): Promise<string> {
  const response = await events.send(
    new PutEventsCommand({
      Entries: [
        {
          Source: SOURCE,
          DetailType: detailType,
          Detail: JSON.stringify(detail),
          EventBusName: PIPELINE_BUS,
        },
      ],
    }),
  );
  const id = response.Entries?.[0]?.EventId;
  if (!id) throw new Error('PutEvents returned no event id');
  return id;
}

async function receive(queueUrl: string, visibilityTimeout = 30) {
  const { Messages } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: visibilityTimeout,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages ?? [];
}

async function counts(queueUrl: string) {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return [
    Number(Attributes?.ApproximateNumberOfMessages),
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible),
  ];
}

describe('the local SQS endpoint over the failure queues', () => {
  it("serves a function's on-failure queue as Lambda's invocation records, with visibility leases and delete", async () => {
    const eventId = await put('Interview.Uploaded', { interviewId: 'i-7' });
    await eventually(() => host.stats.waitingForRetry === 1);
    clock.advance(MINUTE);
    await eventually(
      () => readCalls(dir, 'throwsUntilFixed').length === 2 && host.stats.waitingForRetry === 1,
    );
    clock.advance(2 * MINUTE);
    const failures = host.failureQueue('throwsUntilFixed');
    await eventually(() => failures.size === 1);

    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'throwsUntilFixed' }));
    expect(listed.QueueUrls).toEqual([`${sqsEndpoint.endpoint}/000000000000/throwsUntilFixed-failures`]);
    const all = await sqs.send(new ListQueuesCommand({}));
    expect(all.QueueUrls?.map((url) => url.split('/').at(-1))).toEqual(
      expect.arrayContaining(['recordCalls-failures', 'transcribe-interview-dlq', 'notify-ghost-dlq']),
    );
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'throwsUntilFixed-failures' }));
    const queueUrl = QueueUrl ?? '';
    expect(await counts(queueUrl)).toEqual([1, 0]);

    const [message, ...more] = await receive(queueUrl);
    expect(more).toEqual([]);
    expect(message?.MessageId).toBe(failures.list()[0]?.messageId);
    expect(message?.MessageAttributes).toBeUndefined();
    expect(message?.Attributes).toMatchObject({
      ApproximateReceiveCount: '1',
      SentTimestamp: String(clock.now()),
    });
    const record = JSON.parse(message?.Body ?? '{}');
    expect(record).toEqual({
      version: '1.0',
      timestamp: new Date(clock.now()).toISOString(),
      requestContext: {
        requestId: expect.any(String),
        functionArn: 'arn:aws:lambda:eu-north-1:000000000000:function:throwsUntilFixed:$LATEST',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: expect.objectContaining({
        id: eventId,
        'detail-type': 'Interview.Uploaded',
        detail: { interviewId: 'i-7' },
      }),
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: {
        errorType: 'TranscriptionUnavailableError',
        errorMessage: 'the transcription service is unavailable',
        trace: [],
      },
    });

    // In flight: invisible until the lease runs out on the runtime's clock.
    expect(await counts(queueUrl)).toEqual([0, 1]);
    expect(await receive(queueUrl)).toEqual([]);
    clock.advance(29_999);
    expect(await receive(queueUrl)).toEqual([]);
    clock.advance(1);
    const [again] = await receive(queueUrl);
    expect(again?.MessageId).toBe(message?.MessageId);
    expect(again?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(again?.ReceiptHandle).not.toBe(message?.ReceiptHandle);

    // An earlier receipt handle succeeds without deleting (SQS: only the latest one deletes).
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message?.ReceiptHandle }));
    expect(failures.size).toBe(1);
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: again?.ReceiptHandle }));
    expect(failures.size).toBe(0);
    clock.advance(MINUTE);
    expect(await receive(queueUrl)).toEqual([]);
    expect(await counts(queueUrl)).toEqual([0, 0]);
  });

  it("serves a rule's DLQ as the event with EventBridge's message attributes; a batch delete reports each entry", async () => {
    const eventId = await put('Guide.Published', { guideId: 'g-4' });
    for (const delay of [750, 1500, 3000]) {
      await eventually(() => bus.stats().waitingForRetry === 1);
      clock.advance(delay);
    }
    const dlq = bus.deadLetterQueue('notify-ghost');
    await eventually(() => dlq.size === 1);

    const queueUrl = sqsEndpoint.queueUrl('notify-ghost-dlq');
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['All'] }),
    );
    expect(Attributes).toMatchObject({
      QueueArn: 'arn:aws:sqs:eu-north-1:000000000000:notify-ghost-dlq',
      ApproximateNumberOfMessages: '1',
      CreatedTimestamp: expect.stringMatching(/^\d+$/),
    });

    const [message] = await receive(queueUrl);
    expect(JSON.parse(message?.Body ?? '{}')).toMatchObject({
      id: eventId,
      source: SOURCE,
      'detail-type': 'Guide.Published',
      detail: { guideId: 'g-4' },
    });
    const attribute = (name: string) => message?.MessageAttributes?.[name]?.StringValue;
    expect(attribute('RULE_ARN')).toBe('arn:aws:events:eu-north-1:000000000000:rule/samskapa/notify-ghost');
    expect(attribute('TARGET_ARN')).toBe('arn:aws:lambda:eu-north-1:000000000000:function:ghostFunction');
    expect(attribute('ERROR_CODE')).toBe('NO_RESOURCE');
    expect(attribute('ERROR_MESSAGE')).toMatch(/^ResourceNotFoundException: /);
    expect(attribute('EXHAUSTED_RETRY_CONDITION')).toBe('MaximumRetryAttempts');
    expect(attribute('RETRY_ATTEMPTS')).toBe('3');
    expect(message?.MD5OfMessageAttributes).toMatch(/^[0-9a-f]{32}$/);

    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'good', ReceiptHandle: message?.ReceiptHandle },
          { Id: 'bad', ReceiptHandle: 'not-a-handle' },
        ],
      }),
    );
    expect(deleted.Successful).toEqual([{ Id: 'good' }]);
    expect(deleted.Failed).toEqual([
      expect.objectContaining({ Id: 'bad', Code: 'ReceiptHandleIsInvalid', SenderFault: true }),
    ]);
    expect(dlq.size).toBe(0);
  });

  it('changes visibility, purges, and raises the exceptions SQS raises', async () => {
    const queue = failureQueues.queue('notify-ghost-dlq');
    const sample = {
      origin: {
        kind: 'ruleTarget' as const,
        bus: PIPELINE_BUS,
        rule: 'notify-ghost',
        ruleArn: 'arn:aws:events:eu-north-1:000000000000:rule/samskapa/notify-ghost',
        targetId: 'ghostFunction',
        targetArn: 'arn:aws:lambda:eu-north-1:000000000000:function:ghostFunction',
        eventId: 'e-1',
      },
      condition: 'MaximumEventAgeInSeconds',
      errorType: 'TooManyRequestsException',
      errorMessage: 'Rate exceeded',
      attempts: 5,
      firstAttemptAt: '2026-03-02T09:00:00.000Z',
      lastAttemptAt: '2026-03-02T09:00:00.000Z',
    };
    queue.send({ id: 'e-1' }, sample);
    queue.send({ id: 'e-2' }, sample);
    const queueUrl = sqsEndpoint.queueUrl('notify-ghost-dlq');

    const received = await receive(queueUrl, 300);
    expect(received).toHaveLength(2);
    expect(received[0]?.MessageAttributes?.ERROR_CODE?.StringValue).toBe('THROTTLING');
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: received[0]?.ReceiptHandle,
        VisibilityTimeout: 0,
      }),
    );
    const visibleAgain = await receive(queueUrl);
    expect(visibleAgain.map((message) => JSON.parse(message.Body ?? '{}').id)).toEqual(['e-1']);
    await expect(
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: received[0]?.ReceiptHandle,
          VisibilityTimeout: 10,
        }),
      ),
    ).rejects.toBeInstanceOf(MessageNotInflight);

    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'nobody-failures' }))).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );
    await expect(receive(sqsEndpoint.queueUrl('nobody-failures'))).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
      Code: 'AWS.SimpleQueueService.NonExistentQueue',
    });
    await expect(
      sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: 'garbage' })),
    ).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
    // A handle issued for another queue is not valid for this one.
    await expect(
      sqs.send(
        new DeleteMessageCommand({
          QueueUrl: sqsEndpoint.queueUrl('throwsUntilFixed-failures'),
          ReceiptHandle: visibleAgain[0]?.ReceiptHandle,
        }),
      ),
    ).rejects.toBeInstanceOf(ReceiptHandleIsInvalid);
    await expect(
      sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 11 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });

    await sqs.send(new PurgeQueueCommand({ QueueUrl: queueUrl }));
    expect(queue.size).toBe(0);
    expect(await counts(queueUrl)).toEqual([0, 0]);
  });
});

describe('the local cloud', () => {
  it('runs the SQS endpoint, lists it in endpoints and gives functions AWS_ENDPOINT_URL_SQS', async () => {
    const cloud = await startLocalCloud({ topology: [] });
    try {
      expect(cloud.endpoints.sqs).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(cloud.environment.AWS_ENDPOINT_URL_SQS).toBe(cloud.endpoints.sqs);
      cloud.failureQueues.queue('somewhere-dlq');
      const client = new SQSClient({
        endpoint: cloud.endpoints.sqs,
        region: cloud.endpoints.region,
        credentials,
      });
      const { QueueUrls } = await client.send(new ListQueuesCommand({}));
      expect(QueueUrls).toEqual([`${cloud.endpoints.sqs}/000000000000/somewhere-dlq`]);
      client.destroy();
    } finally {
      await cloud.stop();
    }
  });
});
