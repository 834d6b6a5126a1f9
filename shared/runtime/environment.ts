/** The resources a function finds through its environment; the same variables on AWS and locally. */
import { RESOURCE_ENVIRONMENT } from '../../functions/topology.ts';

export class MissingConfigurationError extends Error {
  override readonly name = 'MissingConfigurationError';
  constructor(variable: string) {
    super(`${variable} is not set: the function's environment comes from the topology (infra/ or local/)`);
  }
}

function required(variable: string): string {
  const value = process.env[variable];
  if (!value) throw new MissingConfigurationError(variable);
  return value;
}

export const resources = {
  get tableName() {
    return required(RESOURCE_ENVIRONMENT.tableName);
  },
  get bucketName() {
    return required(RESOURCE_ENVIRONMENT.bucketName);
  },
  get eventBusName() {
    return required(RESOURCE_ENVIRONMENT.eventBusName);
  },
  get publicApiUrl() {
    return required(RESOURCE_ENVIRONMENT.publicApiUrl).replace(/\/$/, '');
  },
  get emailFrom() {
    return required(RESOURCE_ENVIRONMENT.emailFrom);
  },
  /** Optional: undefined when unset (emails then go out without a configuration set, untracked). */
  get emailConfigurationSet(): string | undefined {
    return process.env[RESOURCE_ENVIRONMENT.emailConfigurationSet] || undefined;
  },
  get scheduleGroup() {
    return required(RESOURCE_ENVIRONMENT.scheduleGroup);
  },
  get schedulerRoleArn() {
    return required(RESOURCE_ENVIRONMENT.schedulerRoleArn);
  },
};

/**
 * What the operations routes need on AWS only (infra sets them for a function with `operate`, see
 * AWS_ENVIRONMENT in infra/pipeline-functions.ts): the stack prefix (`samskapa-<stage>-`) in front of
 * the failure queues' and the functions' names. Locally names carry no prefix: unset means ''.
 */
export const operations = {
  get failureQueuePrefix(): string {
    return process.env.FAILURE_QUEUE_PREFIX ?? '';
  },
  get functionNamePrefix(): string {
    return process.env.FUNCTION_NAME_PREFIX ?? '';
  },
};
