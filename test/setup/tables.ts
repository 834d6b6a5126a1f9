/**
 * Each test file works in its own table, created from the real declaration with a random suffix, so
 * files running in parallel against the run's one DynamoDB Local do not see each other's items.
 */
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { ensureTable } from '../../local/dynamodb/index.ts';
import { pipelineTable } from '../../shared/store/table.ts';

/** The endpoint of the run's DynamoDB Local (started by test/setup/dynamodb-global.ts). */
export function testDynamoDbEndpoint(): string {
  const endpoint = inject('dynamoDbEndpoint');
  if (!endpoint) throw new Error(`DynamoDB Local is not available to tests: ${inject('dynamoDbStartError')}`);
  return endpoint;
}

/** Creates `<pipelineTable.name>-test-<random>` with the declared keys, GSIs, stream and TTL; returns its name. */
export async function createTestTable(endpoint: string = testDynamoDbEndpoint()): Promise<string> {
  const tableName = `${pipelineTable.name}-test-${randomBytes(6).toString('hex')}`;
  await ensureTable(endpoint, pipelineTable, tableName);
  return tableName;
}
