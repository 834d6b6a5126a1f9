/**
 * The pipeline's state: one customer-managed key, the table (from shared/store/table.ts) and the files
 * bucket for recordings, reports and guides, plus the bucket that keeps access logs. Table, bucket and
 * key are retained when the stack is deleted: they hold what the organisations recorded.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { TableDefinition } from '../shared/store/table.ts';
import { PipelineTable } from './pipeline-table.ts';

/** The prefix S3 "Object Created" events start ingestion from; its objects expire after the retention. */
export const RECORDINGS_PREFIX = 'recordings/';

export interface PipelineDataProps {
  table: TableDefinition;
  recordingsRetentionDays: number;
  noncurrentVersionDays: number;
  accessLogRetentionDays: number;
}

export class PipelineData extends Construct {
  readonly key: kms.Key;
  readonly table: dynamodb.TableV2;
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: PipelineDataProps) {
    super(scope, id);
    this.key = new kms.Key(this, 'Key', {
      description: 'samskapa: encrypts the pipeline table, the files bucket and the alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch alarms publish to the encrypted alarm topic; the key must let the service use it.
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheEncryptedAlarmTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
      }),
    );

    this.table = new PipelineTable(this, 'Pipeline', {
      definition: props.table,
      encryptionKey: this.key,
    }).table;

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // S3 server access logs only go to SSE-S3 buckets; CloudFront's standard logs need ACLs.
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.OBJECT_WRITER,
      enforceSSL: true,
      lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(props.accessLogRetentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging its own access would log forever.',
    });

    this.bucket = new s3.Bucket(this, 'Files', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      // One data key per bucket instead of one KMS call per object: cheaper and within KMS quotas.
      bucketKeyEnabled: true,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'files/',
      lifecycleRules: [
        {
          id: 'recordings-retention',
          prefix: RECORDINGS_PREFIX,
          expiration: Duration.days(props.recordingsRetentionDays),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        { id: 'expire-noncurrent', noncurrentVersionExpiration: Duration.days(props.noncurrentVersionDays) },
        { id: 'remove-expired-delete-markers', expiredObjectDeleteMarker: true },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // EventBridge notifications set on the bucket itself: the `eventBridgeEnabled` prop would add a
    // custom-resource Lambda that only EventBridge-less notification kinds need.
    (this.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
      eventBridgeConfiguration: { eventBridgeEnabled: true },
    };
  }

  /** Browsers upload recordings straight to the bucket with presigned URLs from these origins. */
  allowUploadsFrom(origins: string[]): void {
    this.bucket.addCorsRule({
      allowedOrigins: origins,
      allowedMethods: [s3.HttpMethods.PUT, s3.HttpMethods.GET, s3.HttpMethods.HEAD],
      allowedHeaders: ['*'],
      // Multipart uploads read each part's ETag to complete the upload.
      exposedHeaders: ['ETag'],
      maxAge: 3000,
    });
  }
}
