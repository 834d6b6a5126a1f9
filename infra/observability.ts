/**
 * What the operations team watches: an alarm on every failure queue (anything in one is a failure
 * someone must look at, so the threshold is one message), sent to an SNS topic with an optional email
 * subscription, and one dashboard: events per type, rule deliveries, functions, failure queues, the
 * outbox pipe and email.
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { FailureQueues } from './failure-queues.ts';

export interface ObservabilityProps {
  prefix: string;
  alarmEmail: string | undefined;
  key: kms.IKey;
  failureQueues: FailureQueues;
  functions: ReadonlyMap<string, lambda.IFunction>;
  /** Rules with the bus they are on (`undefined` for the default bus). */
  rules: readonly { rule: events.Rule; ruleName: string; busName: string | undefined }[];
  eventLog: logs.ILogGroup;
  pipeName: string;
}

const PERIOD = Duration.minutes(5);

export class Observability extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Alarms', {
      topicName: `${props.prefix}alarms`,
      displayName: 'samskapa alarms',
      masterKey: props.key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    const action = new SnsAction(this.topic);

    for (const { queue, kind, owner } of props.failureQueues.entries) {
      const alarm = new cloudwatch.Alarm(this, `Depth-${queue.node.id}`, {
        alarmName: `${props.prefix}${queue.node.id}`,
        alarmDescription: `Something failed for ${owner} (${kind}): messages wait in its failure queue for a look and a redrive.`,
        metric: queue.metricApproximateNumberOfMessagesVisible({
          period: Duration.minutes(1),
          statistic: 'Maximum',
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
    }

    const functions = [...props.functions.entries()];
    const ruleMetric = (metricName: string, r: ObservabilityProps['rules'][number]) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Events',
        metricName,
        dimensionsMap: r.busName
          ? { EventBusName: r.busName, RuleName: r.ruleName }
          : { RuleName: r.ruleName },
        statistic: 'Sum',
        period: PERIOD,
        label: r.ruleName,
      });
    const pipeMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/EventBridge/Pipes',
        metricName,
        dimensionsMap: { PipeName: props.pipeName },
        statistic: 'Sum',
        period: PERIOD,
        label: metricName,
      });
    const sesMetric = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/SES',
        metricName,
        statistic: 'Sum',
        period: PERIOD,
        label: metricName,
      });
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8) =>
      new cloudwatch.GraphWidget({
        title,
        left,
        width,
        height: 6,
        legendPosition: cloudwatch.LegendPosition.BOTTOM,
      });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.prefix}operations`,
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.applyRemovalPolicy(RemovalPolicy.DESTROY);
    this.dashboard.addWidgets(
      new cloudwatch.LogQueryWidget({
        title: 'Events per type',
        logGroupNames: [props.eventLog.logGroupName],
        queryLines: ['stats count(*) as events by @message', 'sort events desc'],
        view: cloudwatch.LogQueryVisualizationType.BAR,
        width: 12,
        height: 6,
      }),
      graph(
        'Outbox pipe',
        ['EventCount', 'ExecutionFailed', 'TargetStageFailed', 'ExecutionThrottled'].map(pipeMetric),
        6,
      ),
      graph('Email', ['Send', 'Delivery', 'Bounce', 'Complaint', 'Reject'].map(sesMetric), 6),
    );
    this.dashboard.addWidgets(
      graph(
        'Rule matches',
        props.rules.map((r) => ruleMetric('MatchedEvents', r)),
      ),
      graph(
        'Rule invocations',
        props.rules.map((r) => ruleMetric('Invocations', r)),
      ),
      graph(
        'Rule failed invocations',
        props.rules.map((r) => ruleMetric('FailedInvocations', r)),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Function errors',
        functions.map(([name, fn]) => fn.metricErrors({ period: PERIOD, label: name })),
      ),
      graph(
        'Function duration p99',
        functions.map(([name, fn]) => fn.metricDuration({ period: PERIOD, statistic: 'p99', label: name })),
      ),
      graph(
        'Function throttles',
        functions.map(([name, fn]) => fn.metricThrottles({ period: PERIOD, label: name })),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'Failure queue depths',
        props.failureQueues.entries.map(({ queue }) =>
          queue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            statistic: 'Maximum',
            label: queue.node.id,
          }),
        ),
        12,
      ),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 12, height: 6 }),
    );
  }
}
