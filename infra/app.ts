/** The CDK app: `npx cdk synth` / `npx cdk deploy`. Region defaults to eu-north-1 (Stockholm). */
import { App } from 'aws-cdk-lib';
import { SamskapaStack } from './samskapa-stack.ts';

const app = new App();
const stage = app.node.tryGetContext('stage') ?? 'dev';
new SamskapaStack(app, `samskapa-${stage}`, {
  env: {
    account: process.env.CDK_DEFAULT_ACCOUNT,
    region: app.node.tryGetContext('region') ?? process.env.CDK_DEFAULT_REGION ?? 'eu-north-1',
  },
});
