/**
 * The pipeline bus: the custom bus that carries the domain events the outbox pipe publishes, its
 * archive (every event, for replay), a policy that lets only our own sources publish, an event log
 * (the detail-type of every event, for the dashboard's events per type) and the rules that bring
 * AWS's own events for this stack from the account's default bus.
 *
 * Why forward rather than attach the topology's default-bus rules to the default bus: S3 and SES can
 * only publish to the default bus, which every other application in the account shares. Forwarding
 * only this stack's files bucket and configuration set onto the pipeline bus means a topology rule
 * can never fire for another application's bucket, and uploads and bounces land in the same archive,
 * event log and DLQ view as every domain event, so they can be replayed and traced like them.
 * The local runtime keeps them on its default bus; the patterns are the same (see functions.ts).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { LogGroupTargetInput } from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { EMAIL_FEEDBACK_TYPES, PIPELINE_SOURCE, SCHEDULER_SOURCE } from '../functions/topology.ts';
import { DeliveredTarget } from './delivery.ts';
import type { FailureQueues } from './failure-queues.ts';

/** AWS sources forwarded from the default bus; nobody else can publish an `aws.*` source. */
export const FORWARDED_SOURCES = ['aws.s3', 'aws.ses'] as const;
/** The only sources the pipeline bus accepts: the outbox pipe, the reminders' schedules, forwarded AWS events. */
export const ALLOWED_SOURCES = [PIPELINE_SOURCE, SCHEDULER_SOURCE, ...FORWARDED_SOURCES];
/** SES event types that mean an email did not reach its recipient (declared in the topology). */
export const EMAIL_FAILURE_TYPES: string[] = [...EMAIL_FEEDBACK_TYPES];
/** Names of the rules the stack adds besides the topology's; the agreement test skips these. */
export const INFRASTRUCTURE_RULES = {
  events: 'event-log',
  files: 'forward-files',
  email: 'forward-email',
} as const;

const INFRASTRUCTURE_DELIVERY = { retryAttempts: 185, maxEventAge: Duration.hours(24) };

export interface PipelineBusProps {
  busName: string;
  archiveRetentionDays: number;
  logRetentionDays: number;
  failureQueues: FailureQueues;
}

export class PipelineBus extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;
  readonly defaultBus: events.IEventBus;
  readonly eventLog: logs.LogGroup;
  /** Every rule the stack creates, topology and infrastructure, for the dashboard. */
  readonly rules: { rule: events.Rule; ruleName: string; busName: string | undefined }[] = [];
  readonly busName: string;
  readonly #failureQueues: FailureQueues;
  #forwardingRole: iam.Role | undefined;

  constructor(scope: Construct, id: string, props: PipelineBusProps) {
    super(scope, id);
    this.#failureQueues = props.failureQueues;
    this.busName = props.busName;
    // No AWS::EventSchemas::Discoverer: schema discovery stays off, the event catalog (events/) is ours.
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: props.busName,
      description: 'samskapa: the domain events of the pipeline',
    });
    this.bus.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyPipelineSourcesMayPublish',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['events:PutEvents'],
        resources: [this.bus.eventBusArn],
        conditions: { StringNotEquals: { 'events:source': ALLOWED_SOURCES } },
      }),
    );

    this.archive = this.bus.archive('Archive', {
      archiveName: props.busName,
      description: 'Every event on the pipeline bus, for replay',
      eventPattern: { account: [Stack.of(this).account] },
      retention: Duration.days(props.archiveRetentionDays),
    });

    this.defaultBus = events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');

    // The event log: one line per event with only its detail-type (no personal data), which the
    // dashboard counts per type. The archive keeps the events themselves.
    this.eventLog = new logs.LogGroup(this, 'EventLog', {
      logGroupName: `/aws/events/${props.busName}`,
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const eventLogRule = this.addRule(INFRASTRUCTURE_RULES.events, {
      eventPattern: { account: [Stack.of(this).account] },
      description: 'The detail-type of every event, for the events-per-type dashboard widget',
    });
    new logs.ResourcePolicy(this, 'EventLogPolicy', {
      policyStatements: [
        new iam.PolicyStatement({
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [this.eventLog.logGroupArn],
          conditions: { ArnEquals: { 'aws:SourceArn': eventLogRule.ruleArn } },
        }),
      ],
    });
    eventLogRule.addTarget(
      new DeliveredTarget(
        this.eventLog.logGroupArn,
        { ...INFRASTRUCTURE_DELIVERY, deadLetterQueue: this.deadLetterQueue(INFRASTRUCTURE_RULES.events) },
        {
          input: LogGroupTargetInput.fromObjectV2({
            timestamp: events.EventField.time,
            message: events.EventField.detailType,
          }),
        },
      ),
    );
  }

  /** A rule on the pipeline bus, named exactly (rule names are unique per bus, as locally). */
  addRule(name: string, props: Omit<events.RuleProps, 'eventBus' | 'ruleName'>): events.Rule {
    const rule = new events.Rule(this, `Rule-${name}`, { ...props, ruleName: name, eventBus: this.bus });
    this.rules.push({ rule, ruleName: name, busName: this.busName });
    return rule;
  }

  /** The DLQ of one rule's target. */
  deadLetterQueue(rule: string) {
    return this.#failureQueues.create('ruleTarget', rule, `${rule}-dlq`);
  }

  /** A rule on the default bus that forwards the events matching `pattern` onto the pipeline bus. */
  forwardFromDefaultBus(name: string, pattern: events.EventPattern, description: string): events.Rule {
    this.#forwardingRole ??= new iam.Role(this, 'ForwardingRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: 'Lets the default-bus rules put the S3 and SES events of this stack on the pipeline bus',
    });
    this.#forwardingRole.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [this.bus.eventBusArn] }),
    );
    const ruleName = `${this.busName}-${name}`;
    const rule = new events.Rule(this, `Rule-${name}`, {
      ruleName,
      eventBus: this.defaultBus,
      eventPattern: pattern,
      description,
    });
    rule.addTarget(
      new DeliveredTarget(
        this.bus.eventBusArn,
        { ...INFRASTRUCTURE_DELIVERY, deadLetterQueue: this.deadLetterQueue(name) },
        { role: this.#forwardingRole },
      ),
    );
    this.rules.push({ rule, ruleName, busName: undefined });
    return rule;
  }
}
