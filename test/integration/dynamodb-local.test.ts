import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DataDirInUseError,
  ensureTable,
  localDynamoDbClientConfig,
  startDynamoDb,
  TableMismatchError,
} from '../../local/dynamodb/index.ts';
import { pipelineTable } from '../../shared/store/table.ts';
import { createTestTable, testDynamoDbEndpoint } from '../setup/tables.ts';

const clients: DynamoDBClient[] = [];
const clientFor = (endpoint: string) => {
  const client = new DynamoDBClient(localDynamoDbClientConfig(endpoint));
  clients.push(client);
  return client;
};
afterAll(() => {
  for (const client of clients) client.destroy();
});

describe('the table from its declaration', () => {
  it('has the declared keys, GSIs, a NEW_IMAGE stream and TTL on expiresAt', async () => {
    const endpoint = testDynamoDbEndpoint();
    const tableName = await createTestTable(endpoint);
    const client = clientFor(endpoint);

    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(table?.TableStatus).toBe('ACTIVE');
    expect(table?.BillingModeSummary?.BillingMode).toBe('PAY_PER_REQUEST');
    expect(table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    const indexes = Object.fromEntries(
      (table?.GlobalSecondaryIndexes ?? []).map((index) => [index.IndexName, index.KeySchema]),
    );
    expect(indexes).toEqual({
      byOrg: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
      byAssignee: [
        { AttributeName: 'gsi2pk', KeyType: 'HASH' },
        { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
      ],
    });
    expect(table?.StreamSpecification).toEqual({ StreamEnabled: true, StreamViewType: 'NEW_IMAGE' });
    expect(table?.LatestStreamArn).toContain(`table/${tableName}/stream/`);

    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }));
    expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
  });

  it('leaves a matching table alone and refuses one built from another layout', async () => {
    const endpoint = testDynamoDbEndpoint();
    const tableName = await createTestTable(endpoint);
    const again = await ensureTable(endpoint, pipelineTable, tableName);
    expect(again.created).toBe(false);

    const oldLayout = `${tableName}-old`;
    await clientFor(endpoint).send(
      new CreateTableCommand({
        TableName: oldLayout,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      }),
    );
    await expect(ensureTable(endpoint, pipelineTable, oldLayout)).rejects.toThrow(TableMismatchError);
    await expect(ensureTable(endpoint, pipelineTable, oldLayout)).rejects.toThrow(/index byOrg is missing/);
  });
});

describe('DynamoDB Local', () => {
  it('listens on 127.0.0.1 only, on an OS-chosen port', async () => {
    const endpoint = new URL(testDynamoDbEndpoint());
    expect(endpoint.hostname).toBe('127.0.0.1');
    const external = Object.values(networkInterfaces())
      .flat()
      .find((address) => address && address.family === 'IPv4' && !address.internal);
    if (external) {
      // Another interface of this machine must not reach it.
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect(Number(endpoint.port), external.address);
        socket.once('connect', () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      });
      expect(outcome).toBe('ECONNREFUSED');
    }
  });

  it('keeps a persisted database across restarts and lets only one engine use it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'samskapa-dynamodb-test-'));
    try {
      const first = await startDynamoDb({ dataDir });
      try {
        await expect(startDynamoDb({ dataDir })).rejects.toThrow(DataDirInUseError);
        const { tableName } = await ensureTable(first.endpoint, pipelineTable);
        await clientFor(first.endpoint).send(
          new PutItemCommand({
            TableName: tableName,
            Item: { pk: { S: 'ORG#o1#PROC#p1' }, sk: { S: 'PROCESS' } },
          }),
        );
      } finally {
        await first.stop();
      }

      const second = await startDynamoDb({ dataDir });
      try {
        expect(second.port).not.toBe(0);
        const { created } = await ensureTable(second.endpoint, pipelineTable);
        expect(created).toBe(false);
        const { Item } = await clientFor(second.endpoint).send(
          new GetItemCommand({
            TableName: pipelineTable.name,
            Key: { pk: { S: 'ORG#o1#PROC#p1' }, sk: { S: 'PROCESS' } },
          }),
        );
        expect(Item?.pk?.S).toBe('ORG#o1#PROC#p1');
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('stop() ends the java process and releases the port', async () => {
    const dynamoDb = await startDynamoDb();
    expect(dynamoDb.mode).toBe('launcher');
    await dynamoDb.stop();
    expect(() => process.kill(dynamoDb.pid, 0)).toThrow(/ESRCH/);
    await expect(
      clientFor(dynamoDb.endpoint).send(new DescribeTableCommand({ TableName: pipelineTable.name })),
    ).rejects.toThrow(/ECONNREFUSED|connect/);
  });
});
