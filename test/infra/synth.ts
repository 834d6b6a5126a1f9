/**
 * Synthesizes the samskapa stack the way `npx cdk synth` does (bundling with the local esbuild,
 * cdk-nag's AwsSolutions pack registered) into a temporary folder, and returns what the tests read:
 * the template, the validation report and the assembly folder with the bundles. Synth is the slow
 * part (every function is bundled), so each test file synthesizes once, in beforeAll.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import type { Topology } from '../../functions/topology.ts';
import { readConfig, type SamskapaConfigInput } from '../../infra/config.ts';
import { addNagChecks } from '../../infra/nag.ts';
import { REPOSITORY_ROOT } from '../../infra/pipeline-functions.ts';
import { SamskapaStack } from '../../infra/samskapa-stack.ts';

export const TEST_ENV = { account: '123456789012', region: 'eu-north-1' };

export interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
  DependsOn?: string | string[];
}

export interface Template {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: unknown }>;
}

export interface Violation {
  plugin: string;
  ruleName: string;
  severity: string;
  constructs: string[];
}

export interface Acknowledgement {
  plugin: string;
  ruleName: string;
  reason: string;
}

export interface Synthesized {
  app: App;
  stack: SamskapaStack;
  template: Template;
  assemblyDir: string;
  /** Unacknowledged findings of every validation plugin (cdk-nag and CloudFormation's own checks). */
  violations: Violation[];
  /** Findings acknowledged in the validation report (CDK's own and CloudFormation's checks). */
  acknowledged: Acknowledgement[];
  /** Every `Validations.of(x).acknowledge(...)` in the construct tree, with its reason. */
  acknowledgements: { path: string; id: string; reason: string }[];
  /** Annotations (CDK warnings and errors) of the stack. */
  messages: { level: string; id: string; entry: unknown }[];
  cleanup(): void;
}

interface ValidationReport {
  pluginReports: {
    pluginName: string;
    violations: { ruleName: string; severity: string; violatingConstructs: { constructPath: string }[] }[];
    suppressedViolations?: { ruleName: string; reason?: string }[];
  }[];
}

export function synthesize(options: {
  topology?: Topology;
  root?: string;
  config?: SamskapaConfigInput;
}): Synthesized {
  const assemblyDir = mkdtempSync(join(tmpdir(), 'samskapa-infra-'));
  // The context of cdk.json, as `npx cdk synth` gives it, so the tests synthesize what the CLI does.
  const cdkJson = JSON.parse(readFileSync(join(REPOSITORY_ROOT, 'cdk.json'), 'utf8')) as { context?: object };
  const app = new App({
    outdir: assemblyDir,
    context: { ...cdkJson.context, 'aws:cdk:enable-asset-metadata': true },
  });
  const stack = new SamskapaStack(app, 'samskapa-test', {
    env: TEST_ENV,
    ...(options.topology ? { topology: options.topology } : {}),
    ...(options.root ? { root: options.root } : {}),
    config: {
      ...readConfig(app.node),
      alarmEmail: 'ops@example.org',
      emailIdentity: 'example.org',
      ...options.config,
    },
  });
  addNagChecks(app);
  const assembly = app.synth();
  const template = JSON.parse(readFileSync(join(assembly.directory, stack.templateFile), 'utf8')) as Template;
  const report = JSON.parse(
    readFileSync(join(assemblyDir, 'validation-report.json'), 'utf8'),
  ) as ValidationReport;
  const violations = report.pluginReports.flatMap((plugin) =>
    plugin.violations.map((violation) => ({
      plugin: plugin.pluginName,
      ruleName: violation.ruleName,
      severity: violation.severity,
      constructs: violation.violatingConstructs.map((construct) => construct.constructPath),
    })),
  );
  const acknowledged = report.pluginReports.flatMap((plugin) =>
    (plugin.suppressedViolations ?? []).map((violation) => ({
      plugin: plugin.pluginName,
      ruleName: violation.ruleName,
      reason: violation.reason ?? '',
    })),
  );
  const acknowledgements = stack.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
  const messages = assembly
    .getStackArtifact(stack.artifactId)
    .messages.map((message) => ({ level: message.level, id: message.id, entry: message.entry.data }));
  return {
    app,
    stack,
    template,
    assemblyDir,
    violations,
    acknowledged,
    acknowledgements,
    messages,
    cleanup: () => rmSync(assemblyDir, { recursive: true, force: true }),
  };
}

/** The resources of one type, by logical id. */
export function resourcesOf(template: Template, type: string): [string, Record<string, unknown>][] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties ?? {}]);
}

/** The logical id of the one resource of `type` whose properties satisfy `where`. */
export function logicalIdOf(
  template: Template,
  type: string,
  where: (properties: Record<string, unknown>) => boolean,
): string {
  const found = resourcesOf(template, type).filter(([, properties]) => where(properties));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return (found[0] as [string, unknown])[0];
}
