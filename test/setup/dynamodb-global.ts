/**
 * Vitest global setup: one in-memory DynamoDB Local for the whole test run (not one per test file;
 * the JVM start is the slow part). Test files get its endpoint with `inject('dynamoDbEndpoint')`
 * (or through test/setup/tables.ts) and isolate themselves with their own table (createTestTable).
 *
 * If DynamoDB Local cannot start (no Java), the run still goes on and the error is handed to the tests
 * that need it, so unit tests do not depend on Java.
 */
import type { TestProject } from 'vitest/node';
import { startDynamoDb } from '../../local/dynamodb/index.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    /** http://127.0.0.1:<port>, or '' when DynamoDB Local could not start (see dynamoDbStartError). */
    dynamoDbEndpoint: string;
    dynamoDbStartError: string;
  }
}

/** Also exported as an environment variable for processes the tests spawn. */
export const TEST_DYNAMODB_ENDPOINT_ENV = 'SAMSKAPA_TEST_DYNAMODB_ENDPOINT';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    const dynamoDb = await startDynamoDb();
    project.provide('dynamoDbEndpoint', dynamoDb.endpoint);
    project.provide('dynamoDbStartError', '');
    process.env[TEST_DYNAMODB_ENDPOINT_ENV] = dynamoDb.endpoint;
    return () => dynamoDb.stop();
  } catch (error) {
    project.provide('dynamoDbEndpoint', '');
    project.provide('dynamoDbStartError', (error as Error).message);
    return async () => {};
  }
}
