/**
 * The only `*` allowed in an action or a resource of any policy the stack creates, each with why.
 * A wildcard that matches no entry fails the test; so does an entry the fixture no longer needs.
 * Deny statements are listed too: they restrict, they never grant, but nothing passes unexplained.
 */
import { type Wildcard, wildcardsOf } from './iam-wildcards.ts';
import type { Template } from './synth.ts';

export interface Justification {
  name: string;
  holder: RegExp;
  effect: 'Allow' | 'Deny';
  kind: 'action' | 'resource';
  value: RegExp;
  /** When given, the statement's actions must all be among these. */
  onlyWithActions?: string[];
  why: string;
}

const S3_OBJECT_ACTIONS = ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'];

export const justifiedWildcards: Justification[] = [
  {
    name: 'key policy: the account administers its key',
    holder: /^DataKey/,
    effect: 'Allow',
    kind: 'action',
    value: /^kms:\*$/,
    onlyWithActions: ['kms:*'],
    why: 'The default key policy: the account root may administer the key, so IAM policies (never this one) grant its use; without it the key could become unmanageable.',
  },
  {
    name: 'key policy: a key policy names its own key as "*"',
    holder: /^DataKey/,
    effect: 'Allow',
    kind: 'resource',
    value: /^\*$/,
    why: 'In a key policy the resource "*" means this key and nothing else; AWS requires it. One statement is the account root, one lets CloudWatch alarms publish to the encrypted alarm topic.',
  },
  {
    name: 'TLS only: buckets deny every action on every object over plain HTTP',
    holder: /^(DataAccessLogs|DataFiles|ConsoleFiles)Policy/,
    effect: 'Deny',
    kind: 'action',
    value: /^s3:\*$/,
    why: 'enforceSSL: a Deny of s3:* when aws:SecureTransport is false. It grants nothing; it refuses every request without TLS.',
  },
  {
    name: 'TLS only: the deny covers every object of the bucket',
    holder: /^(DataAccessLogs|DataFiles|ConsoleFiles)Policy/,
    effect: 'Deny',
    kind: 'resource',
    value: /^<(DataAccessLogs|DataFiles|ConsoleFiles)[A-F0-9]{8}\.Arn>\/\*$/,
    why: 'enforceSSL: the TLS-only Deny applies to all objects of the bucket, so "/*" is the point.',
  },
  {
    name: 'TLS only: queues deny every action over plain HTTP',
    holder: /^FailureQueues.*Policy/,
    effect: 'Deny',
    kind: 'action',
    value: /^sqs:\*$/,
    why: 'enforceSSL on every failure queue: a Deny of sqs:* when aws:SecureTransport is false. It grants nothing.',
  },
  {
    name: 'CloudFront reads the console files',
    holder: /^ConsoleFilesPolicy/,
    effect: 'Allow',
    kind: 'resource',
    value: /^<ConsoleFiles[A-F0-9]{8}\.Arn>\/\*$/,
    onlyWithActions: ['s3:GetObject'],
    why: 'Origin access control: only the distribution (condition AWS:SourceArn) may GetObject any file of the built console.',
  },
  {
    name: 'outbox pipe lists streams',
    holder: /^OutboxRoleDefaultPolicy/,
    effect: 'Allow',
    kind: 'resource',
    value: /^\*$/,
    onlyWithActions: ['dynamodb:ListStreams'],
    why: 'dynamodb:ListStreams supports no resource-level permissions; AWS requires "*". Reading records is granted on the one stream ARN.',
  },
  {
    name: 'operations list the failure queues',
    holder: /^Functions[a-zA-Z0-9]+RoleDefaultPolicy/,
    effect: 'Allow',
    kind: 'resource',
    value: /^\*$/,
    onlyWithActions: ['sqs:ListQueues'],
    why: 'sqs:ListQueues supports no resource-level permissions; AWS requires "*". It answers queue names only; receiving and deleting messages is granted on each failure queue ARN.',
  },
  {
    name: "operations read the functions' metrics",
    holder: /^Functions[a-zA-Z0-9]+RoleDefaultPolicy/,
    effect: 'Allow',
    kind: 'resource',
    value: /^\*$/,
    onlyWithActions: ['cloudwatch:GetMetricData'],
    why: 'cloudwatch:GetMetricData supports no resource-level permissions; AWS requires "*". It only reads metrics: GET /ops/metrics asks for the AWS/Lambda metrics of the stack\'s functions.',
  },
  {
    name: 'functions write X-Ray traces',
    holder: /^Functions[a-zA-Z0-9]+RoleDefaultPolicy/,
    effect: 'Allow',
    kind: 'resource',
    value: /^\*$/,
    onlyWithActions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'],
    why: 'xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions; AWS requires "*" for active tracing.',
  },
  {
    name: 'functions reach the objects under their declared prefixes',
    holder: /^Functions[a-zA-Z0-9]+RoleDefaultPolicy/,
    effect: 'Allow',
    kind: 'resource',
    value: /^<DataFiles[A-F0-9]{8}\.Arn>\/[a-z][a-z0-9-]*\/\*$/,
    onlyWithActions: S3_OBJECT_ACTIONS,
    why: 'Object keys (recordings/<org>/<place>/...) are created at run time; each grant names one top-level prefix the topology declares for that function.',
  },
  {
    name: 'operations describe and cancel their replays',
    holder: /^Functions[a-zA-Z0-9]+RoleDefaultPolicy/,
    effect: 'Allow',
    kind: 'resource',
    value: /:events:[a-z0-9-]+:\d{12}:replay\/samskapa-[a-z0-9-]+-\*$/,
    onlyWithActions: ['events:DescribeReplay', 'events:CancelReplay'],
    why: 'A replay is named when an operator starts it; the grant covers only replays named with the stack prefix.',
  },
  {
    name: 'task reminders create schedules in the pipeline group',
    holder: /^Functions[a-zA-Z0-9]+RoleDefaultPolicy/,
    effect: 'Allow',
    kind: 'resource',
    value: /:scheduler:[a-z0-9-]+:\d{12}:schedule\/samskapa-[a-z0-9-]+\/\*$/,
    onlyWithActions: ['scheduler:CreateSchedule'],
    why: 'One-time schedules are named when a task is created; the grant covers only schedules in the pipeline schedule group.',
  },
  {
    name: 'log writers write the streams of their own log group',
    holder: /^(Functions[a-zA-Z0-9]+Role|OutboxRole|ConsoleDeploymentRole)DefaultPolicy|^BusEventLogPolicy/,
    effect: 'Allow',
    kind: 'resource',
    value: /^<[A-Za-z0-9]+\.Arn>:\*$/,
    onlyWithActions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    why: 'A log group ARN as CloudFormation returns it ends in ":*", the log streams of that one group; streams are created at run time. Each writer gets its own group only.',
  },
  {
    name: 'console deployment: actions aws-s3-deployment grants its handler',
    holder: /^ConsoleDeploymentRoleDefaultPolicy/,
    effect: 'Allow',
    kind: 'action',
    value: /^s3:(GetObject|GetBucket|List|DeleteObject|Abort)\*$/,
    why: 'aws-s3-deployment copies the console at deploy time: it reads the CDK asset object and replaces every object of the console bucket; the grant is scoped to those two buckets.',
  },
  {
    name: 'console deployment: the asset and console buckets',
    holder: /^ConsoleDeploymentRoleDefaultPolicy/,
    effect: 'Allow',
    kind: 'resource',
    value: /^(arn:<AWS::Partition>:s3:::cdk-[a-z0-9]+-assets-[^/]+\/\*|<ConsoleFiles[A-F0-9]{8}\.Arn>\/\*)$/,
    why: 'The deployment handler reads the asset zip from the CDK bootstrap bucket and writes any key of the console bucket, whose file names come from the console build.',
  },
];

export function justificationOf(wildcard: Wildcard): Justification | undefined {
  return justifiedWildcards.find(
    (entry) =>
      entry.holder.test(wildcard.holder) &&
      entry.effect === wildcard.effect &&
      entry.kind === wildcard.kind &&
      entry.value.test(wildcard.value) &&
      (!entry.onlyWithActions || wildcard.actions.every((action) => entry.onlyWithActions?.includes(action))),
  );
}

/** Wildcards no entry justifies, and entries no wildcard of this template needs. */
export function unjustified(template: Template): { unjustified: string[]; unused: string[] } {
  const wildcards = wildcardsOf(template);
  const used = new Set<string>();
  const problems: string[] = [];
  for (const wildcard of wildcards) {
    const entry = justificationOf(wildcard);
    if (entry) used.add(entry.name);
    else
      problems.push(
        `${wildcard.holder} ${wildcard.effect} ${wildcard.kind} ${wildcard.value} (${wildcard.actions.join(', ')})`,
      );
  }
  return {
    unjustified: problems,
    unused: justifiedWildcards.map((e) => e.name).filter((name) => !used.has(name)),
  };
}
