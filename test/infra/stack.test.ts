/**
 * The samskapa stack built from a fixture topology (test/infra/fixtures/topology.ts) that declares
 * every kind of trigger and permission, synthesized once with bundling and cdk-nag on. Each rule of
 * the stack is checked against the declarations, so it holds for the real functions as they join
 * functions/topology.ts (test/infra/pipeline.test.ts runs the real topology).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EventTrigger,
  FILES_BUCKET,
  type FunctionDeclaration,
  RESOURCE_ENVIRONMENT,
} from '../../functions/topology.ts';
import { ALLOWED_SOURCES, EMAIL_FAILURE_TYPES } from '../../infra/event-bus.ts';
import { OUTBOX_ITEM_PATHS } from '../../infra/outbox-pipe.ts';
import { OUTBOX_PIPE_FILTER } from '../../local/outbox-pipe/filter.ts';
import { pipelineTable } from '../../shared/store/table.ts';
import { localView, normalized, templateView } from './agreement.ts';
import { fixtureRoot, fixtureTopology } from './fixtures/topology.ts';
import { justifiedWildcards, unjustified } from './justified-wildcards.ts';
import { logicalIdOf, resourcesOf, type Synthesized, synthesize } from './synth.ts';

const PREFIX = 'samskapa-dev-';
const BUS_NAME = 'samskapa-dev';

let synthesized: Synthesized;
let template: Template;

beforeAll(() => {
  synthesized = synthesize({ topology: fixtureTopology, root: fixtureRoot });
  template = Template.fromJSON(synthesized.template);
}, 180_000);
afterAll(() => synthesized?.cleanup());

const eventTriggers = (fn: FunctionDeclaration) =>
  fn.triggers.filter((t): t is EventTrigger => t.kind === 'event');
const idOf = (type: string, where: (p: Record<string, unknown>) => boolean) =>
  logicalIdOf(synthesized.template, type, where);
const functionId = (name: string) =>
  idOf('AWS::Lambda::Function', (p) => p.FunctionName === `${PREFIX}${name}`);
const queueId = (name: string) => idOf('AWS::SQS::Queue', (p) => p.QueueName === `${PREFIX}${name}`);
const busId = () => idOf('AWS::Events::EventBus', (p) => p.Name === BUS_NAME);
const filesBucketId = () =>
  idOf('AWS::S3::Bucket', (p) => JSON.stringify(p.NotificationConfiguration ?? {}).includes('EventBridge'));
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const propertiesOf = (id: string): Record<string, unknown> => {
  const properties = synthesized.template.Resources[id]?.Properties;
  if (!properties) throw new Error(`no resource ${id}`);
  return properties;
};

describe('data', () => {
  it('builds the table from the shared declaration: on demand, PITR, TTL, stream, deletion protection, own key', () => {
    const keyId = idOf('AWS::KMS::Key', () => true);
    template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        KeySchema: [
          { AttributeName: pipelineTable.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: pipelineTable.sortKey.name, KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        StreamSpecification: { StreamViewType: pipelineTable.stream },
        TimeToLiveSpecification: { AttributeName: pipelineTable.timeToLiveAttribute, Enabled: true },
        GlobalSecondaryIndexes: pipelineTable.globalSecondaryIndexes.map((index) =>
          Match.objectLike({ IndexName: index.name, Projection: { ProjectionType: 'ALL' } }),
        ),
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
        Replicas: [
          Match.objectLike({
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
            SSESpecification: { KMSMasterKeyId: arnOf(keyId) },
          }),
        ],
      }),
    });
  });

  it('has one customer-managed key, rotated and retained', () => {
    template.resourceCountIs('AWS::KMS::Key', 1);
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ EnableKeyRotation: true }),
    });
  });

  it('keeps files in a private, versioned, SSE-KMS bucket that refuses plain HTTP and logs access', () => {
    const keyId = idOf('AWS::KMS::Key', () => true);
    const bucketId = filesBucketId();
    const logsId = idOf(
      'AWS::S3::Bucket',
      (p) => p.OwnershipControls !== undefined && p.LoggingConfiguration === undefined,
    );
    expect(synthesized.template.Resources[bucketId]).toMatchObject({
      DeletionPolicy: 'Retain',
      Properties: {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: arnOf(keyId) },
            },
          ],
        },
        VersioningConfiguration: { Status: 'Enabled' },
        NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } },
        LoggingConfiguration: { DestinationBucketName: { Ref: logsId } },
      },
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: bucketId },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('expires recordings after the retention, aborts stale multipart uploads after 7 days, expires old versions', () => {
    const rules = (
      propertiesOf(filesBucketId()) as { LifecycleConfiguration: { Rules: Record<string, unknown>[] } }
    ).LifecycleConfiguration.Rules;
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Prefix: 'recordings/', ExpirationInDays: 365, Status: 'Enabled' }),
        expect.objectContaining({
          AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
          Status: 'Enabled',
        }),
        expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, Status: 'Enabled' }),
      ]),
    );
  });

  it('lets the console upload recordings straight to the bucket (CORS with ETag for multipart)', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      NotificationConfiguration: Match.anyValue(),
      CorsConfiguration: {
        CorsRules: [Match.objectLike({ AllowedMethods: Match.arrayWith(['PUT']), ExposedHeaders: ['ETag'] })],
      },
    });
  });
});

describe('bus', () => {
  it('is a custom bus with an archive of every event and no schema discovery', () => {
    template.hasResourceProperties('AWS::Events::Archive', {
      SourceArn: arnOf(busId()),
      RetentionDays: 365,
    });
    template.resourceCountIs('AWS::EventSchemas::Discoverer', 0);
  });

  it('lets only our own sources publish to it', () => {
    template.hasResourceProperties('AWS::Events::EventBusPolicy', {
      EventBusName: { Ref: busId() },
      Statement: {
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'events:PutEvents',
        Condition: { StringNotEquals: { 'events:source': ALLOWED_SOURCES } },
      },
    });
  });

  it("forwards the files bucket's S3 events and the configuration set's email failures from the default bus", () => {
    const forwarding = resourcesOf(synthesized.template, 'AWS::Events::Rule').filter(
      ([, p]) => p.EventBusName === 'default',
    );
    expect(forwarding.map(([, p]) => p.EventPattern)).toEqual(
      expect.arrayContaining([
        { source: ['aws.s3'], detail: { bucket: { name: [{ Ref: filesBucketId() }] } } },
        {
          source: ['aws.ses'],
          'detail-type': EMAIL_FAILURE_TYPES,
          detail: { mail: { tags: { 'ses:configuration-set': [BUS_NAME] } } },
        },
      ]),
    );
    for (const [, rule] of forwarding) {
      expect(rule.Targets).toEqual([
        expect.objectContaining({ Arn: arnOf(busId()), RoleArn: expect.anything() }),
      ]);
    }
  });

  it('publishes the outbox through a pipe: the shared filter, item source/detail-type/detail, own DLQ, bounded retries', () => {
    template.hasResourceProperties('AWS::Pipes::Pipe', {
      Source: { 'Fn::GetAtt': [Match.anyValue(), 'StreamArn'] },
      Target: arnOf(busId()),
      SourceParameters: {
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify(OUTBOX_PIPE_FILTER) }] },
        DynamoDBStreamParameters: Match.objectLike({
          StartingPosition: 'TRIM_HORIZON',
          MaximumRetryAttempts: 10,
          MaximumRecordAgeInSeconds: 86_400,
          DeadLetterConfig: { Arn: arnOf(queueId('outbox-dlq')) },
        }),
      },
      TargetParameters: {
        EventBridgeEventBusParameters: {
          Source: OUTBOX_ITEM_PATHS.source,
          DetailType: OUTBOX_ITEM_PATHS.detailType,
        },
        InputTemplate: `<${OUTBOX_ITEM_PATHS.detail}>`,
      },
    });
  });
});

describe('functions from the topology', () => {
  const newestNode = lambda.Runtime.ALL.filter((runtime) => runtime.name.startsWith('nodejs'))
    .map((runtime) => runtime.name)
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }))
    .pop();

  it.each(fixtureTopology.map((fn) => [fn.name, fn] as const))('%s is a function as declared', (name, fn) => {
    const id = functionId(name);
    const properties = synthesized.template.Resources[id]?.Properties as Record<string, unknown>;
    expect(properties).toMatchObject({
      Runtime: newestNode,
      Architectures: ['arm64'],
      MemorySize: fn.memoryMb,
      Timeout: fn.timeoutSeconds,
      TracingConfig: { Mode: 'Active' },
      Handler: 'index.handler',
    });
    const variables = (properties.Environment as { Variables: Record<string, unknown> }).Variables;
    for (const variable of Object.values(RESOURCE_ENVIRONMENT)) expect(variables).toHaveProperty(variable);
    expect(variables).toMatchObject({
      POWERTOOLS_SERVICE_NAME: name,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_METRICS_NAMESPACE: 'samskapa',
      EVENT_BUS_NAME: BUS_NAME,
      // The configuration set is named after the stack; emailFeedback tells its events from others' by it.
      EMAIL_CONFIGURATION_SET: BUS_NAME,
    });
    // Its own log group, with retention.
    const logGroupId = (properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(synthesized.template.Resources[logGroupId]?.Properties).toMatchObject({
      LogGroupName: `/aws/lambda/${PREFIX}${name}`,
      RetentionInDays: 90,
    });
  });

  it.each(fixtureTopology.map((fn) => [fn.name, fn] as const))(
    '%s retries a throw as declared, then lands in its own failure queue',
    (name, fn) => {
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionId(name) },
        MaximumRetryAttempts: fn.asyncInvocation.maximumRetryAttempts,
        MaximumEventAgeInSeconds: fn.asyncInvocation.maximumEventAgeSeconds,
        DestinationConfig: { OnFailure: { Destination: arnOf(queueId(`${name}-failures`)) } },
      });
    },
  );

  it('bundles each function as minified ESM with source maps and the AWS SDK inside', () => {
    const id = functionId('stageEngine');
    const assetPath = synthesized.template.Resources[id]?.Metadata?.['aws:asset:path'] as string;
    const bundle = readBundle(assetPath);
    // Booleans, not the bundle itself in a failure message.
    expect(bundle.code.includes('createRequire'), 'require shim for CommonJS dependencies').toBe(true);
    expect(/\bexport\s*\{/.test(bundle.code), 'ESM export').toBe(true);
    expect(/from\s*["']@aws-sdk\//.test(bundle.code), 'AWS SDK imported at run time').toBe(false);
    expect(bundle.code.includes('"GetItem"'), 'the DynamoDB client inside').toBe(true);
    expect(bundle.hasSourceMap, 'source map').toBe(true);
    expect(bundle.code.length / bundle.code.split('\n').length, 'minified: long lines').toBeGreaterThan(1000);
  });
});

describe('rules from the topology', () => {
  const triggers = fixtureTopology.flatMap((fn) =>
    eventTriggers(fn).map((trigger) => [trigger.rule, fn, trigger] as const),
  );

  it.each(triggers)(
    '%s delivers to its function with the declared RetryPolicy and its own DLQ',
    (rule, fn, trigger) => {
      const expectedPattern = JSON.parse(
        JSON.stringify(trigger.pattern).replaceAll(
          `"${FILES_BUCKET}"`,
          JSON.stringify({ Ref: filesBucketId() }),
        ),
      );
      template.hasResourceProperties('AWS::Events::Rule', {
        Name: rule,
        EventBusName: { Ref: busId() },
        EventPattern: expectedPattern,
        Targets: [
          Match.objectLike({
            Arn: arnOf(functionId(fn.name)),
            RetryPolicy: {
              MaximumRetryAttempts: trigger.delivery.maximumRetryAttempts,
              MaximumEventAgeInSeconds: trigger.delivery.maximumEventAgeSeconds,
            },
            DeadLetterConfig: { Arn: arnOf(queueId(`${rule}-dlq`)) },
          }),
        ],
      });
    },
  );

  it('gives every target of every rule in the stack an explicit RetryPolicy and a DLQ of its own', () => {
    const rules = resourcesOf(synthesized.template, 'AWS::Events::Rule');
    expect(rules.length).toBe(triggers.length + 3);
    const dlqs = new Set<string>();
    for (const [, rule] of rules) {
      for (const target of rule.Targets as Record<
        string,
        { Arn?: { 'Fn::GetAtt': [string] } } | undefined
      >[]) {
        expect(target.RetryPolicy).toEqual({
          MaximumRetryAttempts: expect.any(Number),
          MaximumEventAgeInSeconds: expect.any(Number),
        });
        const dlq = target.DeadLetterConfig?.Arn?.['Fn::GetAtt'][0];
        expect(dlq).toBeDefined();
        dlqs.add(dlq as string);
      }
    }
    expect(dlqs.size).toBe(rules.length);
  });

  it('keeps every failure queue encrypted for 14 days, TLS only, and alarms when one holds a message', () => {
    const queues = resourcesOf(synthesized.template, 'AWS::SQS::Queue');
    for (const [, queue] of queues) {
      expect(queue).toMatchObject({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
    }
    const alarms = resourcesOf(synthesized.template, 'AWS::CloudWatch::Alarm');
    expect(alarms.length).toBe(queues.length);
    const topicId = idOf('AWS::SNS::Topic', () => true);
    for (const [id] of queues) {
      const alarm = alarms.find(([, a]) =>
        JSON.stringify(a.Dimensions).includes(JSON.stringify({ 'Fn::GetAtt': [id, 'QueueName'] })),
      );
      expect(alarm, `alarm for ${id}`).toBeDefined();
      expect(alarm?.[1]).toMatchObject({
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [{ Ref: topicId }],
      });
    }
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.org',
    });
  });
});

describe('schedules', () => {
  it('runs each schedule trigger from the schedule group, with retries and a DLQ', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Name: 'overdue-sweep',
      GroupName: BUS_NAME,
      ScheduleExpression: 'rate(1 hour)',
      Target: Match.objectLike({
        Arn: arnOf(functionId('taskReminders')),
        RetryPolicy: Match.anyValue(),
        DeadLetterConfig: { Arn: arnOf(queueId('overdue-sweep-schedule-dlq')) },
      }),
    });
  });

  it('gives a createSchedules function CreateSchedule in the group and PassRole on the schedules role only', () => {
    const roleId = idOf(
      'AWS::IAM::Role',
      (p) =>
        JSON.stringify(p.AssumeRolePolicyDocument).includes('scheduler') &&
        JSON.stringify(p).includes('pipeline bus'),
    );
    const policy = policyOfFunction('taskReminders');
    expect(policy).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Action: 'scheduler:CreateSchedule',
          Resource: {
            'Fn::Join': ['', expect.arrayContaining([expect.stringContaining(`:schedule/${BUS_NAME}/*`)])],
          },
        }),
        {
          Action: 'iam:PassRole',
          Effect: 'Allow',
          Resource: arnOf(roleId),
          Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        },
      ]),
    );
    for (const name of ['stageEngine', 'api', 'notifier', 'recordingIngest']) {
      expect(JSON.stringify(policyOfFunction(name))).not.toMatch(/scheduler:|iam:PassRole/);
    }
  });
});

describe('permissions derived from the topology', () => {
  it('grants table reads to read functions and writes only to readWrite ones, index by index', () => {
    const actions = (name: string) =>
      policyOfFunction(name)
        .filter((s) => JSON.stringify(s.Action).includes('dynamodb:'))
        .flatMap((s) => [s.Action].flat());
    expect(actions('notifier')).toContain('dynamodb:Query');
    expect(actions('notifier')).not.toContain('dynamodb:PutItem');
    expect(actions('stageEngine')).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem']));
    expect(JSON.stringify(policyOfFunction('stageEngine'))).toContain('/index/byOrg');
    expect(JSON.stringify(policyOfFunction('stageEngine'))).not.toContain('/index/*');
  });

  it('grants each bucket prefix as declared and no other', () => {
    const objects = (name: string, action: string) =>
      policyOfFunction(name)
        .filter((s) => [s.Action].flat().includes(action))
        .flatMap((s) => [s.Resource].flat())
        .map((r) => JSON.stringify(r).match(/\/([a-z-]+)\/\*/)?.[1]);
    expect(objects('recordingIngest', 's3:GetObject')).toEqual(['recordings']);
    expect(objects('recordingIngest', 's3:PutObject')).toEqual(['quarantine']);
    expect(objects('api', 's3:PutObject')).toEqual(['recordings']);
    expect(objects('notifier', 's3:PutObject')).toEqual([]);
    expect(JSON.stringify(policyOfFunction('stageEngine'))).not.toContain('s3:');
  });

  it('lets only the sendEmail function send, from the configured sender with the configuration set', () => {
    const send = policyOfFunction('notifier').find((s) => [s.Action].flat().includes('ses:SendEmail'));
    expect(send).toMatchObject({ Condition: { StringEquals: { 'ses:FromAddress': 'noreply@example.org' } } });
    expect(JSON.stringify(send?.Resource)).toContain(`:configuration-set/${BUS_NAME}`);
    for (const name of ['stageEngine', 'api', 'taskReminders', 'recordingIngest']) {
      expect(JSON.stringify(policyOfFunction(name))).not.toContain('ses:');
    }
  });

  it('lets only the operate function read failure queues, invoke consumers and replay the archive', () => {
    const api = JSON.stringify(policyOfFunction('api'));
    expect(api).toContain('sqs:ReceiveMessage');
    expect(api).toContain('events:StartReplay');
    expect(api).toContain(`function:${PREFIX}stageEngine`);
    for (const name of ['stageEngine', 'notifier', 'taskReminders', 'recordingIngest']) {
      expect(JSON.stringify(policyOfFunction(name))).not.toMatch(
        /sqs:ReceiveMessage|lambda:InvokeFunction|events:/,
      );
    }
  });

  it('holds every wildcard in every policy of the stack against a written justification', () => {
    const problems = unjustified(synthesized.template);
    expect(problems.unjustified).toEqual([]);
    expect(problems.unused).toEqual([]);
    for (const entry of justifiedWildcards) expect(entry.why.length).toBeGreaterThan(40);
  });
});

describe('HTTP API', () => {
  const httpTriggers = fixtureTopology.flatMap((fn) =>
    fn.triggers.flatMap((t) =>
      t.kind === 'http' ? [[`${t.method} ${t.path}`, fn.name, t.auth] as const] : [],
    ),
  );

  it.each(httpTriggers)('routes %s to %s with auth %s', (routeKey, name, auth) => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: routeKey,
      AuthorizationType: auth === 'jwt' ? 'JWT' : 'NONE',
      Target: Match.anyValue(),
    });
    expect(JSON.stringify(synthesized.template.Resources)).toContain(functionId(name));
  });

  it('verifies JWTs of its own user pool, whose users carry custom:orgId and custom:role', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: Match.objectLike({ Issuer: Match.anyValue(), Audience: [Match.anyValue()] }),
    });
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Schema: Match.arrayWith([
        Match.objectLike({ Name: 'orgId', AttributeDataType: 'String', Mutable: true }),
        Match.objectLike({ Name: 'role', AttributeDataType: 'String', Mutable: true }),
      ]),
    });
    const client = resourcesOf(synthesized.template, 'AWS::Cognito::UserPoolClient')[0]?.[1];
    expect(client?.ReadAttributes).toEqual(expect.arrayContaining(['custom:orgId', 'custom:role']));
    expect(JSON.stringify(client?.WriteAttributes)).not.toContain('custom:');
  });

  it('is throttled, logs access and allows the console origin', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('routeKey') },
    });
    const distributionId = idOf('AWS::CloudFront::Distribution', () => true);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        AllowOrigins: [{ 'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]] }],
      }),
    });
  });
});

describe('email, console, dashboard, outputs', () => {
  it('creates the SES identity and sends its failures to the default bus', () => {
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'example.org' });
    template.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
      EventDestination: Match.objectLike({
        Enabled: true,
        MatchingEventTypes: ['bounce', 'complaint', 'reject', 'renderingFailure'],
        EventBridgeDestination: {
          EventBusArn: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp(':event-bus/default$')])] },
        },
      }),
    });
  });

  it('serves the console from a private bucket through CloudFront with origin access control', () => {
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        DefaultRootObject: 'index.html',
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue() })],
        Logging: Match.objectLike({ Bucket: Match.anyValue() }),
      }),
    });
    template.hasResourceProperties('Custom::CDKBucketDeployment', {
      SourceObjectKeys: [Match.anyValue(), Match.anyValue()],
      Prune: true,
    });
  });

  it('has one dashboard with events per type, rules, functions, queues, the pipe and email', () => {
    const body = JSON.stringify(
      resourcesOf(synthesized.template, 'AWS::CloudWatch::Dashboard')[0]?.[1].DashboardBody,
    );
    for (const title of [
      'Events per type',
      'Rule invocations',
      'Rule failed invocations',
      'Function errors',
      'Function duration p99',
      'Function throttles',
      'Failure queue depths',
      'Outbox pipe',
      'Email',
    ]) {
      expect(body).toContain(title);
    }
  });

  it("deploys the console with a config.json that points at this stack's API and sign-in, polling for live events", () => {
    const configs = readdirSync(synthesized.assemblyDir)
      .map((asset) => join(synthesized.assemblyDir, asset, 'config.json'))
      .filter((file) => existsSync(file));
    expect(configs).toHaveLength(1);
    const config = JSON.parse(readFileSync(configs[0] as string, 'utf8'));
    expect(config).toMatchObject({
      stage: 'dev',
      region: 'eu-north-1',
      apiUrl: expect.stringMatching(/^https:\/\/.+\.execute-api\.eu-north-1\./),
      // API Gateway HTTP APIs do not stream; the outbox and unmatched events are the local runtime's.
      live: 'poll',
      features: { emails: false, unmatched: false },
      auth: {
        issuer: expect.stringContaining('cognito-idp.eu-north-1.'),
        userPoolClientId: expect.any(String),
        signInDomain: expect.stringMatching(/^https:\/\/.+\.auth\.eu-north-1\.amazoncognito\.com$/),
      },
    });
    expect(resourcesOf(synthesized.template, 'Custom::CDKBucketDeployment')).toHaveLength(1);
  });

  it('outputs the API URL, bus, bucket, table and console URL', () => {
    expect(Object.keys(synthesized.template.Outputs ?? {})).toEqual(
      expect.arrayContaining(['ApiUrl', 'EventBusName', 'FilesBucketName', 'TableName', 'ConsoleUrl']),
    );
  });
});

describe('checks', () => {
  it('passes cdk-nag AwsSolutions and CloudFormation validation with no finding left unacknowledged', () => {
    expect(synthesized.violations).toEqual([]);
  });

  it('gives a reason for every acknowledgement in the code', () => {
    const nag = synthesized.acknowledgements.filter((a) => a.id.startsWith('AwsSolutions-'));
    expect(nag.length).toBeGreaterThan(0);
    for (const acknowledgement of nag)
      expect(acknowledgement.reason.length, acknowledgement.id).toBeGreaterThan(40);
  });

  it('synthesizes without CDK warnings or errors', () => {
    expect(synthesized.messages.filter((m) => m.level !== 'info')).toEqual([]);
  });

  it('has no dependency cycle between its resources (CloudFormation would refuse to deploy it)', () => {
    expect(dependencyCycle(synthesized.template)).toEqual([]);
  });

  it('agrees with the local runtime on functions, rules, patterns and routes', async () => {
    const local = normalized(await localView(fixtureTopology));
    const cloud = normalized(templateView(synthesized.template, PREFIX, BUS_NAME));
    expect(cloud).toEqual(local);
    expect(local.rules.some((rule) => rule.bus === 'default')).toBe(true);
  });
});

function policyOfFunction(
  name: string,
): { Action: unknown; Resource: unknown; Effect: string; Condition?: unknown }[] {
  const roleId = (propertiesOf(functionId(name)).Role as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
  return resourcesOf(synthesized.template, 'AWS::IAM::Policy')
    .filter(([, p]) => (p.Roles as { Ref: string }[]).some((r) => r.Ref === roleId))
    .flatMap(([, p]) => (p.PolicyDocument as { Statement: never[] }).Statement);
}

function readBundle(assetPath: string): { code: string; hasSourceMap: boolean } {
  const dir = join(synthesized.assemblyDir, assetPath);
  return {
    code: readFileSync(join(dir, 'index.mjs'), 'utf8'),
    hasSourceMap: existsSync(join(dir, 'index.mjs.map')),
  };
}

/** A cycle of logical ids through Ref, Fn::GetAtt, Fn::Sub and DependsOn, or [] when there is none. */
function dependencyCycle(t: typeof synthesized.template): string[] {
  const ids = new Set(Object.keys(t.Resources));
  const edges = new Map<string, Set<string>>();
  const collect = (value: unknown, into: Set<string>): void => {
    if (Array.isArray(value)) for (const item of value) collect(item, into);
    else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (key === 'Ref' && typeof item === 'string' && ids.has(item)) into.add(item);
        else if (key === 'Fn::GetAtt' && Array.isArray(item) && ids.has(item[0])) into.add(item[0]);
        else if (key === 'Fn::Sub') {
          for (const match of JSON.stringify(item).matchAll(/\$\{([A-Za-z0-9]+)[.}]/g)) {
            if (match[1] && ids.has(match[1])) into.add(match[1]);
          }
          collect(item, into);
        } else collect(item, into);
      }
    }
  };
  for (const [id, resource] of Object.entries(t.Resources)) {
    const into = new Set<string>();
    collect(resource.Properties, into);
    for (const dependency of [resource.DependsOn ?? []].flat()) into.add(dependency);
    edges.set(id, into);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (id: string): string[] => {
    if (state.get(id) === 'done') return [];
    if (state.get(id) === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const next of edges.get(id) ?? []) {
      const cycle = visit(next);
      if (cycle.length > 0) return cycle;
    }
    path.pop();
    state.set(id, 'done');
    return [];
  };
  for (const id of ids) {
    const cycle = visit(id);
    if (cycle.length > 0) return cycle;
  }
  return [];
}
