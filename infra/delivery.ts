/**
 * Every EventBridge rule target in the stack is delivered the same way: an explicit RetryPolicy
 * (attempts and maximum event age) and then the target's own SQS dead-letter queue. This target wraps
 * any ARN in that policy; Lambda targets use aws-events-targets' LambdaFunction with the same values.
 */
import type { Duration } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import { addToDeadLetterQueueResourcePolicy } from 'aws-cdk-lib/aws-events-targets';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as sqs from 'aws-cdk-lib/aws-sqs';

export interface DeliveryPolicy {
  retryAttempts: number;
  maxEventAge: Duration;
  deadLetterQueue: sqs.IQueue;
}

export class DeliveredTarget implements events.IRuleTarget {
  readonly #arn: string;
  readonly #policy: DeliveryPolicy;
  readonly #role: iam.IRole | undefined;
  readonly #input: events.RuleTargetInput | undefined;

  constructor(
    arn: string,
    policy: DeliveryPolicy,
    options: { role?: iam.IRole; input?: events.RuleTargetInput } = {},
  ) {
    this.#arn = arn;
    this.#policy = policy;
    this.#role = options.role;
    this.#input = options.input;
  }

  bind(rule: events.IRuleRef): events.RuleTargetConfig {
    addToDeadLetterQueueResourcePolicy(rule, this.#policy.deadLetterQueue);
    return {
      arn: this.#arn,
      deadLetterConfig: { arn: this.#policy.deadLetterQueue.queueArn },
      retryPolicy: {
        maximumRetryAttempts: this.#policy.retryAttempts,
        maximumEventAgeInSeconds: this.#policy.maxEventAge.toSeconds(),
      },
      ...(this.#role ? { role: this.#role } : {}),
      ...(this.#input ? { input: this.#input } : {}),
    };
  }
}
