/**
 * The CDK app: `npx cdk synth` / `npx cdk deploy`. Configuration comes from CDK context (cdk.json or
 * `-c key=value`; infra/README.md lists the keys); cdk-nag's AwsSolutions pack checks every synth.
 */
import { App } from 'aws-cdk-lib';
import { buildConsole } from '../console/build.ts';
import { readConfig } from './config.ts';
import { addNagChecks } from './nag.ts';
import { SamskapaStack } from './samskapa-stack.ts';

const app = new App();
const config = readConfig(app.node);
// The console deployed is the console of this commit: built into the folder the stack uploads.
await buildConsole({ outdir: config.consoleDist });
new SamskapaStack(app, `samskapa-${config.stage}`, {
  config,
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: config.region },
  description: 'samskapa: the participation pipeline (infra/README.md)',
});
addNagChecks(app);
