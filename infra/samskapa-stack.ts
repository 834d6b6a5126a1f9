/**
 * The samskapa stack. Today: the data layer from the shared declarations. The bus, the functions and
 * rules from the topology, the API, email, scheduler, dashboard and console join it (issue
 * "AWS infrastructure with CDK").
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { pipelineTable } from '../shared/store/table.ts';
import { PipelineTable } from './pipeline-table.ts';

export class SamskapaStack extends Stack {
  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const key = new kms.Key(this, 'DataKey', {
      description: 'samskapa: encrypts the pipeline table and the files bucket',
      enableKeyRotation: true,
    });
    const { table } = new PipelineTable(this, 'Pipeline', { definition: pipelineTable, encryptionKey: key });
    new CfnOutput(this, 'TableName', { value: table.tableName });
  }
}
