/**
 * The transactional outbox on AWS: an EventBridge Pipe from the table's stream to the pipeline bus.
 * It keeps only newly inserted outbox items (the very filter object the local pipe applies,
 * local/outbox-pipe/filter.ts), enriches nothing, and publishes each item as the event it describes:
 * source and detail-type from the item's attributes, the detail from the item's JSON `detail`.
 * Retries are bounded; what still fails goes to the pipe's own DLQ.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import { Construct } from 'constructs';
import { OUTBOX_PIPE_FILTER_CRITERIA } from '../local/outbox-pipe/filter.ts';
import type { FailureQueues } from './failure-queues.ts';
import { acknowledgeWildcardResource } from './nag.ts';

/** Where the event's parts live in a stream record of an outbox item (attribute `S` values). */
export const OUTBOX_ITEM_PATHS = {
  source: '$.dynamodb.NewImage.source.S',
  detailType: '$.dynamodb.NewImage.detailType.S',
  detail: '$.dynamodb.NewImage.detail.S',
} as const;

/** Bounded retries: then the batch's position goes to the DLQ (the stream keeps records 24 hours). */
export const OUTBOX_PIPE_RETRY = { maximumRetryAttempts: 10, maximumRecordAgeInSeconds: 86_400 } as const;

export interface OutboxPipeProps {
  pipeName: string;
  table: dynamodb.TableV2;
  bus: events.IEventBus;
  failureQueues: FailureQueues;
  logRetentionDays: number;
}

export class OutboxPipe extends Construct {
  readonly pipe: pipes.CfnPipe;
  readonly pipeName: string;

  constructor(scope: Construct, id: string, props: OutboxPipeProps) {
    super(scope, id);
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new Error('the outbox pipe reads the table stream; the table declares none');
    this.pipeName = props.pipeName;
    const deadLetterQueue = props.failureQueues.create('pipe', props.pipeName, 'outbox-dlq');
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `/aws/vendedlogs/pipes/${props.pipeName}`,
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: 'The outbox pipe: reads the table stream, puts events on the pipeline bus',
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'],
        resources: [streamArn],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        // ListStreams has no resource-level permissions: AWS requires "*".
        actions: ['dynamodb:ListStreams'],
        resources: ['*'],
      }),
    );
    acknowledgeWildcardResource(
      role,
      '*',
      'dynamodb:ListStreams has no resource-level permissions, AWS requires "*"; the pipe lists streams to find its shards.',
    );
    // Stream records of a table encrypted with a customer-managed key are decrypted with it.
    props.table.encryptionKey?.grantDecrypt(role);
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [props.bus.eventBusArn] }),
    );
    deadLetterQueue.grantSendMessages(role);
    logGroup.grantWrite(role);

    this.pipe = new pipes.CfnPipe(this, 'Pipe', {
      name: props.pipeName,
      description: 'Publishes the outbox items of the pipeline table to the pipeline bus',
      roleArn: role.roleArn,
      source: streamArn,
      sourceParameters: {
        filterCriteria: {
          filters: OUTBOX_PIPE_FILTER_CRITERIA.filters.map((filter) => ({ pattern: filter.pattern })),
        },
        dynamoDbStreamParameters: {
          // From the oldest record: nothing written before the pipe existed is skipped.
          startingPosition: 'TRIM_HORIZON',
          // One PutEvents takes at most 10 entries; one batcher per shard keeps per-process order.
          batchSize: 10,
          maximumBatchingWindowInSeconds: 1,
          parallelizationFactor: 1,
          onPartialBatchItemFailure: 'AUTOMATIC_BISECT',
          ...OUTBOX_PIPE_RETRY,
          deadLetterConfig: { arn: deadLetterQueue.queueArn },
        },
      },
      target: props.bus.eventBusArn,
      targetParameters: {
        eventBridgeEventBusParameters: {
          source: OUTBOX_ITEM_PATHS.source,
          detailType: OUTBOX_ITEM_PATHS.detailType,
        },
        // The item's `detail` attribute holds the JSON of {metadata, data}; unquoted, it becomes the
        // event's detail object itself.
        inputTemplate: `<${OUTBOX_ITEM_PATHS.detail}>`,
      },
      logConfiguration: {
        level: 'ERROR',
        cloudwatchLogsLogDestination: { logGroupArn: logGroup.logGroupArn },
      },
    });
    // The pipe checks its permissions when it is created: the role's policy must exist first.
    this.pipe.node.addDependency(role);
  }
}
