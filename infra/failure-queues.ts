/**
 * Every queue that catches what could not be processed: a rule target's DLQ (EventBridge could not
 * deliver), a function's on-failure destination (the function threw after its retries), the outbox
 * pipe's DLQ and the scheduler's DLQ. One place creates them so they are alike (encrypted, TLS only,
 * 14 days) and so observability can alarm on every one of them.
 *
 * Names follow the local runtime's (`<rule>-dlq`, `<function>-failures`) behind the stack's prefix, so
 * the operations routes find a queue from what they already know.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { physicalName } from './naming.ts';

export type FailureQueueKind = 'ruleTarget' | 'function' | 'pipe' | 'scheduler';

export interface FailureQueueEntry {
  queue: sqs.Queue;
  kind: FailureQueueKind;
  /** What the queue catches failures of: a rule, a function, the pipe, the schedules. */
  owner: string;
}

export class FailureQueues extends Construct {
  readonly prefix: string;
  readonly #entries: FailureQueueEntry[] = [];

  constructor(scope: Construct, id: string, props: { prefix: string }) {
    super(scope, id);
    this.prefix = props.prefix;
  }

  get entries(): readonly FailureQueueEntry[] {
    return this.#entries;
  }

  /** A queue named `<prefix><name>`, e.g. `samskapa-dev-stage-engine-facts-dlq`. */
  create(kind: FailureQueueKind, owner: string, name: string): sqs.Queue {
    const queue = new sqs.Queue(this, name, {
      queueName: physicalName(this.prefix, name, 80),
      // SQS-managed keys: EventBridge, Lambda destinations, Pipes and Scheduler can all write to them
      // without key-policy grants, and they cost nothing.
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue or failure destination of an EventBridge target, a Lambda ' +
        'function, the outbox pipe or the scheduler; cdk-nag only recognises queues named in an SQS RedrivePolicy.',
    });
    this.#entries.push({ queue, kind, owner });
    return queue;
  }
}
