/**
 * EventBridge Scheduler: the schedule group the pipeline's one-time schedules live in (task reminders),
 * the role those schedules assume to put their event on the pipeline bus, and their DLQ. A function
 * allowed to create schedules may create them in this group and pass this role, nothing else.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import type { FailureQueues } from './failure-queues.ts';
import { acknowledgeWildcardResource } from './nag.ts';

export interface SchedulesProps {
  groupName: string;
  bus: events.IEventBus;
  failureQueues: FailureQueues;
}

export class Schedules extends Construct {
  readonly group: scheduler.ScheduleGroup;
  readonly groupName: string;
  /** The role every schedule in the group assumes: PutEvents on the pipeline bus only. */
  readonly role: iam.Role;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: SchedulesProps) {
    super(scope, id);
    this.groupName = props.groupName;
    this.group = new scheduler.ScheduleGroup(this, 'Group', {
      scheduleGroupName: props.groupName,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.deadLetterQueue = props.failureQueues.create('scheduler', props.groupName, 'reminders-dlq');
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
          ArnEquals: { 'aws:SourceArn': this.group.scheduleGroupArn },
        },
      }),
      description: 'Assumed by the schedules of the pipeline: puts their event on the pipeline bus',
    });
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['events:PutEvents'], resources: [props.bus.eventBusArn] }),
    );
    this.deadLetterQueue.grantSendMessages(this.role);
  }

  /** The ARN pattern of the schedules in this group; schedule names are chosen when they are created. */
  get scheduleArns(): string {
    return Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.groupName}/*`,
    });
  }

  grantCreate(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['scheduler:CreateSchedule'], resources: [this.scheduleArns] }),
    );
    acknowledgeWildcardResource(
      grantee.grantPrincipal as unknown as IConstruct,
      this.scheduleArns,
      'One-time schedules (task reminders) are named when a task is created; the grant covers only the pipeline schedule group.',
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [this.role.roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      }),
    );
  }
}
