/**
 * The pipeline's DynamoDB table on AWS, built from the same declaration the local runtime uses
 * (shared/store/table.ts): keys, indexes, stream and TTL cannot differ between the two.
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import type { TableDefinition } from '../shared/store/table.ts';

const attributeType = {
  S: dynamodb.AttributeType.STRING,
  N: dynamodb.AttributeType.NUMBER,
  B: dynamodb.AttributeType.BINARY,
};
const streamView = {
  NEW_IMAGE: dynamodb.StreamViewType.NEW_IMAGE,
  NEW_AND_OLD_IMAGES: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
};

export interface PipelineTableProps {
  definition: TableDefinition;
  encryptionKey: kms.IKey;
}

export class PipelineTable extends Construct {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, props: PipelineTableProps) {
    super(scope, id);
    const { definition } = props;
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: definition.partitionKey.name, type: attributeType[definition.partitionKey.type] },
      sortKey: { name: definition.sortKey.name, type: attributeType[definition.sortKey.type] },
      globalSecondaryIndexes: definition.globalSecondaryIndexes.map((index) => ({
        indexName: index.name,
        partitionKey: { name: index.partitionKey.name, type: attributeType[index.partitionKey.type] },
        sortKey: { name: index.sortKey.name, type: attributeType[index.sortKey.type] },
        projectionType: dynamodb.ProjectionType.ALL,
      })),
      billing: dynamodb.Billing.onDemand(),
      dynamoStream: streamView[definition.stream],
      timeToLiveAttribute: definition.timeToLiveAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      encryption: dynamodb.TableEncryptionV2.customerManagedKey(props.encryptionKey),
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
