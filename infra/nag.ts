/**
 * cdk-nag: the AwsSolutions pack checks the whole app at synth (cdk-nag 3 is a CDK policy-validation
 * plugin). Findings are acknowledged next to the construct they concern, each with its reason; the
 * few that concern constructs aws-cdk-lib creates on its own are acknowledged here.
 */
import { type App, Stack, Validations } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AwsSolutionsChecks } from 'cdk-nag';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { IConstruct } from 'constructs';

export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/**
 * Acknowledges the IAM5 finding for one wildcard resource of `scope`'s policies, in the form cdk-nag
 * reports it (tokens as `<LogicalId.Attr>`), so the acknowledgement covers that resource and no other.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const finding = flattenCfnReference(Stack.of(scope).resolve(resource));
  Validations.of(scope).acknowledge({ id: `AwsSolutions-IAM5[Resource::${finding}]`, reason });
}

/** X-Ray's PutTraceSegments and PutTelemetryRecords have no resource-level permissions. */
export const XRAY_REASON =
  'X-Ray tracing (Tracing.ACTIVE): xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions, AWS requires "*".';

/** Constructs aws-cdk-lib adds at stack level (singleton helpers), found by their well-known ids. */
export function acknowledgeStackWideFindings(stack: Stack): void {
  for (const child of stack.node.children) {
    if (child.node.id.startsWith('Custom::CDKBucketDeployment') && child instanceof lambda.Function) {
      Validations.of(child).acknowledge({
        id: 'AwsSolutions-L1',
        reason:
          'The console deployment handler is the Python function of aws-s3-deployment; aws-cdk-lib chooses its ' +
          'runtime and it runs only during a deployment.',
      });
    }
  }
}
