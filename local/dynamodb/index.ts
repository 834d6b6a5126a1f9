/** DynamoDB Local for the local runtime: start the engine, create the table from its declaration. */
export {
  type DynamoDbLocal,
  DynamoDbStartError,
  localDynamoDbClientConfig,
  type StartDynamoDbOptions,
  startDynamoDb,
} from './dynamodb-local.ts';
export { DataDirInUseError } from './orphans.ts';
export { createTableInput, type EnsuredTable, ensureTable, TableMismatchError } from './table.ts';
