/**
 * Creates the table from its one declaration (shared/store/table.ts), the same one infra/ deploys:
 * keys, GSIs, the stream and TTL. An existing table is checked against the declaration: a missing
 * stream or TTL is switched on, a different key schema or missing index is an error (a persisted
 * database from an older layout), never silently used.
 */
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import type { TableDefinition } from '../../shared/store/table.ts';
import { localDynamoDbClientConfig } from './dynamodb-local.ts';

export interface EnsuredTable {
  tableName: string;
  tableArn: string;
  /** The stream the outbox pipe reads. */
  streamArn: string;
  created: boolean;
}

export class TableMismatchError extends Error {
  override name = 'TableMismatchError';
}

export async function ensureTable(
  endpoint: string,
  definition: TableDefinition,
  tableName: string = definition.name,
): Promise<EnsuredTable> {
  const client = new DynamoDBClient(localDynamoDbClientConfig(endpoint));
  try {
    let existing = await describe(client, tableName);
    const created = existing === undefined;
    if (existing === undefined) {
      await client.send(new CreateTableCommand(createTableInput(definition, tableName)));
      existing = await waitUntilActive(client, tableName);
    } else {
      checkKeys(existing, definition, tableName);
      if (!existing.StreamSpecification?.StreamEnabled) {
        await client.send(
          new UpdateTableCommand({
            TableName: tableName,
            StreamSpecification: { StreamEnabled: true, StreamViewType: definition.stream },
          }),
        );
        existing = await waitUntilActive(client, tableName);
      } else if (existing.StreamSpecification.StreamViewType !== definition.stream) {
        throw new TableMismatchError(
          `table ${tableName} streams ${existing.StreamSpecification.StreamViewType}, the definition says ${definition.stream}`,
        );
      }
    }

    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    const ttlStatus = ttl.TimeToLiveDescription?.TimeToLiveStatus;
    if (ttlStatus !== 'ENABLED' && ttlStatus !== 'ENABLING') {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: tableName,
          TimeToLiveSpecification: { Enabled: true, AttributeName: definition.timeToLiveAttribute },
        }),
      );
    } else if (ttl.TimeToLiveDescription?.AttributeName !== definition.timeToLiveAttribute) {
      throw new TableMismatchError(
        `table ${tableName} expires items by ${ttl.TimeToLiveDescription?.AttributeName}, the definition says ${definition.timeToLiveAttribute}`,
      );
    }

    if (!existing.TableArn || !existing.LatestStreamArn) {
      throw new TableMismatchError(`table ${tableName} has no stream after creation`);
    }
    return { tableName, tableArn: existing.TableArn, streamArn: existing.LatestStreamArn, created };
  } finally {
    client.destroy();
  }
}

export function createTableInput(definition: TableDefinition, tableName: string) {
  const attributes = new Map<string, AttributeDefinition>();
  const key = (attribute: TableDefinition['partitionKey']) => {
    attributes.set(attribute.name, { AttributeName: attribute.name, AttributeType: attribute.type });
    return attribute.name;
  };
  return {
    TableName: tableName,
    BillingMode: definition.billing,
    KeySchema: [
      { AttributeName: key(definition.partitionKey), KeyType: 'HASH' as const },
      { AttributeName: key(definition.sortKey), KeyType: 'RANGE' as const },
    ],
    GlobalSecondaryIndexes: definition.globalSecondaryIndexes.map((index) => ({
      IndexName: index.name,
      KeySchema: [
        { AttributeName: key(index.partitionKey), KeyType: 'HASH' as const },
        { AttributeName: key(index.sortKey), KeyType: 'RANGE' as const },
      ],
      Projection: { ProjectionType: index.projection },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: definition.stream },
    AttributeDefinitions: [...attributes.values()],
  };
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** DynamoDB Local creates tables synchronously, but AWS does not; wait the way a client must. */
async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<TableDescription> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const table = await describe(client, tableName);
    const indexesActive = (table?.GlobalSecondaryIndexes ?? []).every(
      (index) => index.IndexStatus === 'ACTIVE',
    );
    if (table?.TableStatus === 'ACTIVE' && indexesActive) return table;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

function checkKeys(table: TableDescription, definition: TableDefinition, tableName: string): void {
  const keysOf = (schema: TableDescription['KeySchema']) =>
    (schema ?? []).map((element) => `${element.KeyType}:${element.AttributeName}`).join(',');
  const problems: string[] = [];
  const wanted = `HASH:${definition.partitionKey.name},RANGE:${definition.sortKey.name}`;
  if (keysOf(table.KeySchema) !== wanted) problems.push(`key schema ${keysOf(table.KeySchema)} != ${wanted}`);
  for (const index of definition.globalSecondaryIndexes) {
    const actual = table.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === index.name);
    const indexWanted = `HASH:${index.partitionKey.name},RANGE:${index.sortKey.name}`;
    if (!actual) problems.push(`index ${index.name} is missing`);
    else if (keysOf(actual.KeySchema) !== indexWanted) {
      problems.push(`index ${index.name} keys ${keysOf(actual.KeySchema)} != ${indexWanted}`);
    }
  }
  if (problems.length > 0) {
    throw new TableMismatchError(
      `table ${tableName} does not match its definition (${problems.join('; ')}); ` +
        'it was created from an older layout: delete the local data dir to recreate it',
    );
  }
}
