/**
 * The samskapa stack: the whole pipeline on AWS, one construct per concern, each built from the shared
 * declarations: the table from shared/store/table.ts, the functions, rules, routes and schedules from
 * functions/topology.ts, the outbox filter from local/outbox-pipe/filter.ts. The local runtime reads
 * the same declarations, so the two cannot drift (test/infra/local-agreement.test.ts).
 */
import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { topology as pipelineTopology, type Topology } from '../functions/topology.ts';
import { pipelineTable, type TableDefinition } from '../shared/store/table.ts';
import { configSchema, defaultSender, type SamskapaConfig, type SamskapaConfigInput } from './config.ts';
import { ConsoleSite } from './console-site.ts';
import { PipelineData } from './data.ts';
import { Email } from './email.ts';
import { INFRASTRUCTURE_RULES, PipelineBus } from './event-bus.ts';
import { FailureQueues } from './failure-queues.ts';
import { ApiAuth, PipelineApi } from './http-api.ts';
import { acknowledgeStackWideFindings } from './nag.ts';
import { Observability } from './observability.ts';
import { OutboxPipe } from './outbox-pipe.ts';
import { PipelineFunctions, REPOSITORY_ROOT } from './pipeline-functions.ts';
import { Schedules } from './scheduler.ts';

export interface SamskapaStackProps extends StackProps {
  /** Deployment configuration (infra/config.ts); defaults for every key not given. */
  config?: SamskapaConfigInput | SamskapaConfig;
  /** The functions to deploy; the pipeline's own by default. Tests pass a fixture. */
  topology?: Topology;
  /** The folder the topology's entries are relative to; the repository root by default. */
  root?: string;
  table?: TableDefinition;
}

export class SamskapaStack extends Stack {
  readonly config: SamskapaConfig;
  readonly data: PipelineData;
  readonly bus: PipelineBus;
  readonly functions: PipelineFunctions;
  readonly api: PipelineApi;
  readonly auth: ApiAuth;
  readonly consoleSite: ConsoleSite;
  readonly observability: Observability;
  readonly failureQueues: FailureQueues;
  readonly outboxPipe: OutboxPipe;
  readonly email: Email;
  readonly schedules: Schedules;

  constructor(scope: Construct, id: string, props: SamskapaStackProps = {}) {
    super(scope, id, props);
    const config = configSchema.parse(props.config ?? {});
    this.config = config;
    const topology = props.topology ?? pipelineTopology;
    const table = props.table ?? pipelineTable;
    // Every physical name starts with the stack's name, so stages live side by side in one account.
    const name = `samskapa-${config.stage}`;
    const prefix = `${name}-`;

    this.data = new PipelineData(this, 'Data', {
      table,
      recordingsRetentionDays: config.recordingsRetentionDays,
      noncurrentVersionDays: config.noncurrentVersionDays,
      accessLogRetentionDays: config.accessLogRetentionDays,
    });
    this.failureQueues = new FailureQueues(this, 'FailureQueues', { prefix });
    this.bus = new PipelineBus(this, 'Bus', {
      busName: name,
      archiveRetentionDays: config.archiveRetentionDays,
      logRetentionDays: config.logRetentionDays,
      failureQueues: this.failureQueues,
    });
    this.bus.forwardFromDefaultBus(
      INFRASTRUCTURE_RULES.files,
      { source: ['aws.s3'], detail: { bucket: { name: [this.data.bucket.bucketName] } } },
      'Forwards the S3 events of the files bucket (Object Created starts ingestion) to the pipeline bus',
    );
    this.email = new Email(this, 'Email', {
      identity: config.emailIdentity,
      sender: config.emailFrom ?? defaultSender(config.emailIdentity),
      configurationSetName: name,
      bus: this.bus,
    });
    this.schedules = new Schedules(this, 'Schedules', {
      groupName: name,
      bus: this.bus.bus,
      failureQueues: this.failureQueues,
    });
    this.outboxPipe = new OutboxPipe(this, 'Outbox', {
      pipeName: `${prefix}outbox`,
      table: this.data.table,
      bus: this.bus.bus,
      failureQueues: this.failureQueues,
      logRetentionDays: config.logRetentionDays,
    });
    this.consoleSite = new ConsoleSite(this, 'Console', {
      dist: config.consoleDist,
      accessLogs: this.data.accessLogs,
      logRetentionDays: config.logRetentionDays,
    });
    const origins = [this.consoleSite.url, ...config.extraCorsOrigins];
    this.data.allowUploadsFrom(origins);
    this.auth = new ApiAuth(this, 'Auth', {
      domainPrefix: `${name}-${Aws.ACCOUNT_ID}`,
      callbackOrigins: origins,
      jwtIssuer: config.jwtIssuer,
      jwtAudience: config.jwtAudience,
    });
    this.api = new PipelineApi(this, 'Api', {
      apiName: name,
      auth: this.auth,
      corsOrigins: origins,
      rateLimit: config.apiRateLimit,
      burstLimit: config.apiBurstLimit,
      logRetentionDays: config.logRetentionDays,
    });
    this.functions = new PipelineFunctions(this, 'Functions', {
      topology,
      root: props.root ?? REPOSITORY_ROOT,
      prefix,
      tableDefinition: table,
      data: this.data,
      bus: this.bus,
      email: this.email,
      schedules: this.schedules,
      failureQueues: this.failureQueues,
      logRetentionDays: config.logRetentionDays,
      logLevel: config.logLevel,
      // The API resource, not the stage: functions must not depend on the routes that call them.
      publicApiUrl: this.api.api.apiEndpoint,
    });
    this.api.addRoutes(this.functions.routes);
    this.consoleSite.deploy({
      stage: config.stage,
      region: this.region,
      apiUrl: this.api.url,
      // API Gateway HTTP APIs do not stream: the live flow polls GET /ops/events. The outbox and the
      // bus's unmatched events exist only locally (on AWS: SES sends, the bus logs to CloudWatch).
      live: 'poll',
      features: { emails: false, unmatched: false },
      auth: {
        issuer: this.auth.issuer,
        ...(this.auth.userPool && this.auth.client && this.auth.domain
          ? {
              userPoolId: this.auth.userPool.userPoolId,
              userPoolClientId: this.auth.client.userPoolClientId,
              signInDomain: this.auth.domain.baseUrl(),
            }
          : {}),
      },
    });

    this.observability = new Observability(this, 'Observability', {
      prefix,
      alarmEmail: config.alarmEmail,
      key: this.data.key,
      failureQueues: this.failureQueues,
      functions: this.functions.functions,
      rules: this.bus.rules,
      eventLog: this.bus.eventLog,
      pipeName: this.outboxPipe.pipeName,
    });
    acknowledgeStackWideFindings(this);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'The HTTP API' });
    new CfnOutput(this, 'EventBusName', {
      value: this.bus.bus.eventBusName,
      description: 'The pipeline bus',
    });
    new CfnOutput(this, 'EventArchiveName', {
      value: this.bus.archive.archiveName,
      description: 'The archive of the pipeline bus (samskapa replay)',
    });
    new CfnOutput(this, 'FilesBucketName', {
      value: this.data.bucket.bucketName,
      description: 'Recordings, reports, guides',
    });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName, description: 'The pipeline table' });
    new CfnOutput(this, 'ConsoleUrl', { value: this.consoleSite.url, description: 'The operations console' });
    new CfnOutput(this, 'DashboardName', {
      value: `${prefix}operations`,
      description: 'The CloudWatch dashboard',
    });
    if (this.auth.userPool) {
      new CfnOutput(this, 'UserPoolId', {
        value: this.auth.userPool.userPoolId,
        description: 'Operators sign in here',
      });
    }
  }
}
