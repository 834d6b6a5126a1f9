/**
 * The functions of the pipeline, built from the topology (functions/topology.ts) in one loop: one
 * NodejsFunction per declaration with the IAM its `permissions` ask for and nothing more, its own
 * log group and its own on-failure queue; one rule per `event` trigger (explicit RetryPolicy, own
 * DLQ); one Scheduler schedule per `schedule` trigger; the `http` triggers become the API's routes
 * (http-api.ts). A function joining the topology is deployed with no change here.
 */

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { BUNDLING } from '../functions/bundling.ts';
import {
  DEFAULT_BUS,
  type EventTrigger,
  FILES_BUCKET,
  type FunctionDeclaration,
  type HttpTrigger,
  RESOURCE_ENVIRONMENT,
  type Topology,
} from '../functions/topology.ts';
import type { TableDefinition } from '../shared/store/table.ts';
import type { PipelineData } from './data.ts';
import type { Email } from './email.ts';
import { FORWARDED_SOURCES, INFRASTRUCTURE_RULES, type PipelineBus } from './event-bus.ts';
import type { FailureQueues } from './failure-queues.ts';
import { acknowledgeWildcardResource, XRAY_REASON } from './nag.ts';
import { physicalName } from './naming.ts';
import type { Schedules } from './scheduler.ts';

const LIST_QUEUES_REASON =
  'Operations (operate) list the failure queues: sqs:ListQueues supports no resource-level permissions and answers queue names only; receiving and deleting messages is granted on each failure queue.';
const METRIC_DATA_REASON =
  "Operations (operate) read the functions' metrics for GET /ops/metrics: cloudwatch:GetMetricData supports no resource-level permissions and only reads metrics.";

/** The repository root: projectRoot of every bundle and home of the lock file. */
export const REPOSITORY_ROOT = join(import.meta.dirname, '..');

/**
 * Variables only the AWS deployment sets, besides the topology's RESOURCE_ENVIRONMENT (which every
 * function gets, as locally): what a function with that permission may want to know on AWS.
 */
export const AWS_ENVIRONMENT = {
  scheduleDeadLetterQueueArn: 'SCHEDULE_DEAD_LETTER_QUEUE_ARN',
  failureQueuePrefix: 'FAILURE_QUEUE_PREFIX',
  functionNamePrefix: 'FUNCTION_NAME_PREFIX',
  eventArchiveName: 'EVENT_ARCHIVE_NAME',
} as const;

type ResourceEnvironment = { [K in keyof typeof RESOURCE_ENVIRONMENT]: string };

/** How every function is bundled (esbuild options), shared with the bundle-size analysis in test/infra. */
export { BUNDLING };

/** Delivery of a recurring schedule to its function, as the local scheduler does it. */
const SCHEDULE_DELIVERY = { maximumRetryAttempts: 185, maximumEventAgeInSeconds: 86_400 } as const;

export interface PipelineFunctionsProps {
  topology: Topology;
  /** The folder the topology's `entry` paths are relative to; the repository root for the real one. */
  root: string;
  /** Physical names are `<prefix><name>`, e.g. `samskapa-dev-stageEngine`. */
  prefix: string;
  tableDefinition: TableDefinition;
  data: PipelineData;
  bus: PipelineBus;
  email: Email;
  schedules: Schedules;
  failureQueues: FailureQueues;
  logRetentionDays: number;
  logLevel: string;
  /** Base URL of the API, for links in emails. */
  publicApiUrl: string;
}

export interface Route {
  fn: nodejs.NodejsFunction;
  declaration: FunctionDeclaration;
  trigger: HttpTrigger;
}

export class PipelineFunctions extends Construct {
  readonly functions = new Map<string, nodejs.NodejsFunction>();
  readonly routes: Route[] = [];
  readonly #props: PipelineFunctionsProps;
  #scheduleRole: iam.Role | undefined;

  constructor(scope: Construct, id: string, props: PipelineFunctionsProps) {
    super(scope, id);
    this.#props = props;
    for (const declaration of props.topology) {
      const fn = this.#function(declaration);
      this.functions.set(declaration.name, fn);
      this.#grant(declaration, fn);
      for (const trigger of declaration.triggers) {
        if (trigger.kind === 'event') this.#rule(declaration, fn, trigger);
        if (trigger.kind === 'http') this.routes.push({ fn, declaration, trigger });
        if (trigger.kind === 'schedule') this.#schedule(fn, trigger.name, trigger.expression);
      }
    }
    // Operations read every failure queue and redrive to every consumer: granted once all exist.
    for (const declaration of props.topology) {
      const fn = this.functions.get(declaration.name);
      if (fn && declaration.permissions.operate) this.#grantOperate(fn);
    }
  }

  /** The AWS function name of a topology function. */
  functionName(name: string): string {
    return physicalName(this.#props.prefix, name, 64);
  }

  /** Every variable of RESOURCE_ENVIRONMENT, as the local runtime sets them for every function. */
  #resourceEnvironment(): Record<string, string> {
    const { data, bus, email, schedules, publicApiUrl } = this.#props;
    // Typed by the topology's keys: a variable added there fails the typecheck here until it is set.
    const values: ResourceEnvironment = {
      tableName: data.table.tableName,
      bucketName: data.bucket.bucketName,
      eventBusName: bus.busName,
      publicApiUrl,
      emailFrom: email.sender,
      emailConfigurationSet: email.configurationSetName,
      scheduleGroup: schedules.groupName,
      schedulerRoleArn: schedules.role.roleArn,
    };
    return Object.fromEntries(
      Object.entries(RESOURCE_ENVIRONMENT).map(([key, variable]) => [
        variable,
        values[key as keyof ResourceEnvironment],
      ]),
    );
  }

  #function(declaration: FunctionDeclaration): nodejs.NodejsFunction {
    const { bus, schedules, prefix } = this.#props;
    const functionName = this.functionName(declaration.name);
    const entry = join(this.#props.root, declaration.entry);
    if (!existsSync(entry)) {
      throw new Error(
        `functions/topology.ts declares ${declaration.name} with entry ${declaration.entry}, which does not exist`,
      );
    }
    const scope = new Construct(this, declaration.name);
    const logGroup = new logs.LogGroup(scope, 'Logs', {
      logGroupName: `/aws/lambda/${functionName}`,
      retention: this.#props.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of the default one: the default attaches the AWS managed
    // AWSLambdaBasicExecutionRole, which may write to every log group in the account.
    const role = new iam.Role(scope, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `samskapa function ${declaration.name}`,
    });
    logGroup.grantWrite(role);
    acknowledgeWildcardResource(
      role,
      '*',
      declaration.permissions.operate
        ? `${XRAY_REASON} ${LIST_QUEUES_REASON} ${METRIC_DATA_REASON}`
        : XRAY_REASON,
    );
    const failures = this.#props.failureQueues.create(
      'function',
      declaration.name,
      `${declaration.name}-failures`,
    );
    const { permissions } = declaration;

    return new nodejs.NodejsFunction(scope, 'Function', {
      functionName,
      description: declaration.description.slice(0, 256),
      entry,
      handler: 'handler',
      projectRoot: REPOSITORY_ROOT,
      depsLockFilePath: join(REPOSITORY_ROOT, 'package-lock.json'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: declaration.memoryMb,
      timeout: Duration.seconds(declaration.timeoutSeconds),
      role,
      logGroup,
      tracing: lambda.Tracing.ACTIVE,
      retryAttempts: declaration.asyncInvocation.maximumRetryAttempts,
      maxEventAge: Duration.seconds(declaration.asyncInvocation.maximumEventAgeSeconds),
      onFailure: new SqsDestination(failures),
      environment: {
        POWERTOOLS_SERVICE_NAME: declaration.name,
        POWERTOOLS_METRICS_NAMESPACE: 'samskapa',
        POWERTOOLS_LOG_LEVEL: this.#props.logLevel,
        NODE_OPTIONS: '--enable-source-maps',
        ...declaration.environment,
        ...this.#resourceEnvironment(),
        ...(permissions.createSchedules
          ? { [AWS_ENVIRONMENT.scheduleDeadLetterQueueArn]: schedules.deadLetterQueue.queueArn }
          : {}),
        ...(permissions.operate
          ? {
              [AWS_ENVIRONMENT.failureQueuePrefix]: prefix,
              [AWS_ENVIRONMENT.functionNamePrefix]: prefix,
              [AWS_ENVIRONMENT.eventArchiveName]: bus.archive.archiveName,
            }
          : {}),
      },
      bundling: {
        // The esbuild package in node_modules; there is no Docker here and none is needed.
        forceDockerBundling: false,
        logLevel: nodejs.LogLevel.WARNING,
        format: nodejs.OutputFormat.ESM,
        target: BUNDLING.target,
        mainFields: [...BUNDLING.mainFields],
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        // The AWS SDK goes into the bundle, so it is the version the tests ran against.
        bundleAwsSDK: true,
        externalModules: [],
        banner: BUNDLING.banner,
      },
    });
  }

  /** The function's IAM, derived from its declared permissions. */
  #grant(declaration: FunctionDeclaration, fn: nodejs.NodejsFunction): void {
    const { data, email, schedules, tableDefinition } = this.#props;
    const { permissions } = declaration;

    if (permissions.table !== 'none') {
      const read = [
        'dynamodb:GetItem',
        'dynamodb:BatchGetItem',
        'dynamodb:Query',
        'dynamodb:ConditionCheckItem',
      ];
      const write = [
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:BatchWriteItem',
      ];
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: permissions.table === 'readWrite' ? [...read, ...write] : read,
          // Each index by name: no `index/*` wildcard.
          resources: [
            data.table.tableArn,
            ...tableDefinition.globalSecondaryIndexes.map(
              (index) => `${data.table.tableArn}/index/${index.name}`,
            ),
          ],
        }),
      );
      fn.addToRolePolicy(this.#keyUse('dynamodb', permissions.table === 'readWrite'));
    }

    const { read, write } = permissions.bucket;
    for (const prefix of new Set([...read, ...write])) {
      acknowledgeWildcardResource(
        fn.role as iam.Role,
        data.bucket.arnForObjects(`${prefix}*`),
        `Object keys under ${prefix} are created at run time; the grant names the one prefix the topology declares for ${declaration.name}.`,
      );
    }
    if (read.length > 0) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:GetObject'],
          resources: read.map((prefix) => data.bucket.arnForObjects(`${prefix}*`)),
        }),
      );
      // Without ListBucket a missing key answers 403 instead of 404; listing stays within the prefixes.
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [data.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': read.map((prefix) => `${prefix}*`) } },
        }),
      );
    }
    if (write.length > 0) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          // PutObject also authorises the multipart calls (create, upload part, complete), and the
          // presigned uploads the function signs; DeleteObject moves (quarantine) and erasure.
          actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:DeleteObject'],
          resources: write.map((prefix) => data.bucket.arnForObjects(`${prefix}*`)),
        }),
      );
    }
    if (read.length > 0 || write.length > 0) fn.addToRolePolicy(this.#keyUse('s3', write.length > 0));

    if (permissions.sendEmail) email.grantSend(fn);
    if (permissions.createSchedules) schedules.grantCreate(fn);
  }

  /** Use of the data key, only through the one service whose data it protects for this grant. */
  #keyUse(service: 'dynamodb' | 's3', write: boolean): iam.PolicyStatement {
    const stack = Stack.of(this);
    return new iam.PolicyStatement({
      actions: write
        ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey']
        : ['kms:Decrypt', 'kms:DescribeKey'],
      resources: [this.#props.data.key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `${service}.${stack.region}.amazonaws.com` } },
    });
  }

  #grantOperate(fn: nodejs.NodejsFunction): void {
    const { failureQueues, bus, prefix } = this.#props;
    const stack = Stack.of(this);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'sqs:ReceiveMessage',
          'sqs:DeleteMessage',
          'sqs:ChangeMessageVisibility',
          'sqs:GetQueueAttributes',
          'sqs:GetQueueUrl',
        ],
        resources: failureQueues.entries.map((entry) => entry.queue.queueArn),
      }),
    );
    // GET /ops/failures lists the queues by the stack prefix; ListQueues has no resource-level
    // permissions, and it answers names only.
    // (Its "*" is acknowledged with X-Ray's, in #function.)
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:ListQueues'], resources: ['*'] }));
    // GET /ops/metrics reads the functions' AWS/Lambda metrics; GetMetricData has no resource-level
    // permissions (its "*" too is acknowledged in #function).
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['cloudwatch:GetMetricData'], resources: ['*'] }));
    // A redrive re-invokes the one consumer that failed; names, not references, so that a function
    // with `operate` may also be one of them without a dependency cycle.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: [...this.functions.keys()].map((name) =>
          stack.formatArn({
            service: 'lambda',
            resource: 'function',
            resourceName: this.functionName(name),
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:DescribeArchive', 'events:StartReplay'],
        resources: [bus.archive.archiveArn],
      }),
    );
    const replays = stack.formatArn({ service: 'events', resource: 'replay', resourceName: `${prefix}*` });
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:DescribeReplay', 'events:CancelReplay'],
        resources: [replays],
      }),
    );
    acknowledgeWildcardResource(
      fn.role as iam.Role,
      replays,
      'Replay names are chosen when an operator starts a replay; the grant covers only names with the stack prefix.',
    );
  }

  #rule(declaration: FunctionDeclaration, fn: nodejs.NodejsFunction, trigger: EventTrigger): void {
    const { bus, data } = this.#props;
    if ((Object.values(INFRASTRUCTURE_RULES) as string[]).includes(trigger.rule)) {
      throw new Error(
        `rule name '${trigger.rule}' of ${declaration.name} is reserved for the stack's own rules`,
      );
    }
    if (trigger.bus === DEFAULT_BUS) assertForwarded(declaration.name, trigger);
    const rule = bus.addRule(trigger.rule, {
      description: `Delivers to ${declaration.name}: ${declaration.description}`.slice(0, 512),
      // The local files bucket's name stands for this stack's files bucket.
      eventPattern: replaceStrings(trigger.pattern, {
        [FILES_BUCKET]: data.bucket.bucketName,
      }) as events.EventPattern,
    });
    rule.addTarget(
      new targets.LambdaFunction(fn, {
        retryAttempts: trigger.delivery.maximumRetryAttempts,
        maxEventAge: Duration.seconds(trigger.delivery.maximumEventAgeSeconds),
        deadLetterQueue: bus.deadLetterQueue(trigger.rule),
      }),
    );
  }

  #schedule(fn: nodejs.NodejsFunction, name: string, expression: string): void {
    const { schedules, failureQueues } = this.#props;
    const deadLetterQueue = failureQueues.create('scheduler', name, `${name}-schedule-dlq`);
    this.#scheduleRole ??= new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnEquals: { 'aws:SourceArn': schedules.group.scheduleGroupArn },
        },
      }),
      description: 'Assumed by the recurring schedules of the topology: invokes their function',
    });
    this.#scheduleRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [fn.functionArn] }),
    );
    deadLetterQueue.grantSendMessages(this.#scheduleRole);
    const schedule = new scheduler.CfnSchedule(this, `Schedule-${name}`, {
      name,
      groupName: schedules.groupName,
      scheduleExpression: expression,
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      state: 'ENABLED',
      target: {
        arn: fn.functionArn,
        roleArn: this.#scheduleRole.roleArn,
        retryPolicy: SCHEDULE_DELIVERY,
        deadLetterConfig: { arn: deadLetterQueue.queueArn },
      },
    });
    schedule.node.addDependency(schedules.group, this.#scheduleRole);
  }
}

/** A default-bus trigger can only hear what the stack forwards from the default bus. */
function assertForwarded(functionName: string, trigger: EventTrigger): void {
  const sources = trigger.pattern.source;
  const forwarded: readonly string[] = FORWARDED_SOURCES;
  if (!Array.isArray(sources) || sources.length === 0 || !sources.every((s) => forwarded.includes(s))) {
    throw new Error(
      `${functionName}'s rule '${trigger.rule}' listens on the default bus; on AWS it needs a "source" of ` +
        `${FORWARDED_SOURCES.join(' or ')} (the events infra/event-bus.ts forwards), got ${JSON.stringify(sources)}`,
    );
  }
}

/** A deep copy of `value` with every string equal to a key of `replacements` replaced. */
export function replaceStrings(value: unknown, replacements: Record<string, string>): unknown {
  if (typeof value === 'string') return replacements[value] ?? value;
  if (Array.isArray(value)) return value.map((item) => replaceStrings(item, replacements));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, replaceStrings(item, replacements)]),
    );
  }
  return value;
}
