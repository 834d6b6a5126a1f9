/**
 * Deployment configuration (CDK context) and the mistakes the stack refuses at synth with a message
 * that names them. These stacks are built with bundling off: what is checked here is the template.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BUS,
  defineTopology,
  type FunctionDeclarationInput,
  PIPELINE_BUS,
} from '../../functions/topology.ts';
import { readConfig, type SamskapaConfigInput } from '../../infra/config.ts';
import { SamskapaStack } from '../../infra/samskapa-stack.ts';
import { fixtureRoot } from './fixtures/topology.ts';

/** No bundling: `aws:cdk:bundling-stacks` empty skips esbuild for every stack. */
function build(config: SamskapaConfigInput, functions: FunctionDeclarationInput[] = []) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new SamskapaStack(app, 'config-test', {
    env: { account: '123456789012', region: 'eu-north-1' },
    topology: defineTopology(functions),
    root: fixtureRoot,
    config,
  });
  return { stack, template: () => Template.fromStack(stack) };
}

const consumer = (overrides: Partial<FunctionDeclarationInput>): FunctionDeclarationInput => ({
  name: 'consumer',
  description: 'A consumer for configuration tests',
  entry: 'functions/notifier.ts',
  triggers: [
    { kind: 'event', rule: 'some-rule', bus: PIPELINE_BUS, pattern: { source: ['samskapa.pipeline'] } },
  ],
  ...overrides,
});

describe('configuration from CDK context', () => {
  it('has a default for every key, so a fresh clone synthesizes', () => {
    const config = readConfig(new App().node);
    expect(config).toMatchObject({
      stage: 'dev',
      region: 'eu-north-1',
      recordingsRetentionDays: 365,
      archiveRetentionDays: 365,
      emailIdentity: 'example.com',
      extraCorsOrigins: [],
    });
    expect(config.alarmEmail).toBeUndefined();
    expect(config.jwtIssuer).toBeUndefined();
  });

  it('reads `-c key=value` strings as numbers and lists', () => {
    const app = new App({
      context: {
        stage: 'prod',
        recordingsRetentionDays: '90',
        extraCorsOrigins: 'http://localhost:5173, https://ops.example.org',
      },
    });
    expect(readConfig(app.node)).toMatchObject({
      stage: 'prod',
      recordingsRetentionDays: 90,
      extraCorsOrigins: ['http://localhost:5173', 'https://ops.example.org'],
    });
  });

  it('names the key of a bad value', () => {
    expect(() => readConfig(new App({ context: { recordingsRetentionDays: 'forever' } }).node)).toThrow(
      /recordingsRetentionDays/,
    );
    expect(() => readConfig(new App({ context: { stage: 'Prod_Stage' } }).node)).toThrow(/stage/);
    expect(() => readConfig(new App({ context: { jwtIssuer: 'https://issuer.example.org' } }).node)).toThrow(
      /jwtAudience/,
    );
  });

  it('applies the retentions, the sender and the API limits to the resources', () => {
    const { template } = build({
      stage: 'prod',
      recordingsRetentionDays: 30,
      archiveRetentionDays: 0,
      logRetentionDays: 14,
      emailIdentity: 'ops@example.org',
      apiRateLimit: 5,
      apiBurstLimit: 10,
    });
    const t = template();
    t.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Prefix: 'recordings/', ExpirationInDays: 30 })]),
      },
    });
    t.hasResourceProperties('AWS::Events::Archive', { RetentionDays: 0 });
    t.hasResourceProperties('AWS::Events::EventBus', { Name: 'samskapa-prod' });
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/events/samskapa-prod',
      RetentionInDays: 14,
    });
    t.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'ops@example.org' });
    t.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
    // No alarm email: no subscription.
    t.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('uses an external JWT issuer instead of creating a user pool', () => {
    const t = build({ jwtIssuer: 'https://login.example.org', jwtAudience: ['samskapa'] }, [
      consumer({ triggers: [{ kind: 'http', method: 'GET', path: '/places' }] }),
    ]).template();
    t.resourceCountIs('AWS::Cognito::UserPool', 0);
    t.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: 'https://login.example.org', Audience: ['samskapa'] },
    });
  });
});

describe('mistakes refused at synth', () => {
  it('a default-bus rule for events the stack does not forward', () => {
    expect(() =>
      build({}, [
        consumer({
          triggers: [
            { kind: 'event', rule: 'ec2-changes', bus: DEFAULT_BUS, pattern: { source: ['aws.ec2'] } },
          ],
        }),
      ]),
    ).toThrow(/ec2-changes.*default bus.*aws\.s3 or aws\.ses/);
  });

  it('a handler file that does not exist', () => {
    expect(() => build({}, [consumer({ entry: 'functions/nowhere.ts' })])).toThrow(
      /consumer with entry functions\/nowhere\.ts, which does not exist/,
    );
  });

  it('a name too long for AWS once the stage prefix is added', () => {
    expect(() => build({ stage: 'a-rather-long-s' }, [consumer({ name: `c${'x'.repeat(47)}` })])).toThrow(
      /is 73 characters; at most 64 are allowed/,
    );
  });

  it("a rule named like one of the stack's own", () => {
    expect(() =>
      build({}, [
        consumer({
          triggers: [
            {
              kind: 'event',
              rule: 'event-log',
              bus: PIPELINE_BUS,
              pattern: { source: ['samskapa.pipeline'] },
            },
          ],
        }),
      ]),
    ).toThrow(/reserved/);
  });
});
