import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SamskapaStack } from '../../infra/samskapa-stack.ts';
import { pipelineTable } from '../../shared/store/table.ts';

describe('the samskapa stack', () => {
  const template = Template.fromStack(
    new SamskapaStack(new App(), 'test', { env: { region: 'eu-north-1' } }),
  );

  it('builds the table from the shared declaration', () => {
    template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      KeySchema: [
        { AttributeName: pipelineTable.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: pipelineTable.sortKey.name, KeyType: 'RANGE' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamViewType: pipelineTable.stream },
      TimeToLiveSpecification: { AttributeName: pipelineTable.timeToLiveAttribute, Enabled: true },
      GlobalSecondaryIndexes: pipelineTable.globalSecondaryIndexes.map((index) =>
        Match.objectLike({ IndexName: index.name, Projection: { ProjectionType: 'ALL' } }),
      ),
      Replicas: [
        Match.objectLike({
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      ],
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
    });
  });

  it('rotates its customer-managed key', () => {
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    expect(Object.keys(template.findResources('AWS::KMS::Key'))).toHaveLength(1);
  });
});
