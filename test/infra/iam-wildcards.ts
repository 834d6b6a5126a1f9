/**
 * Every `*` in an action or resource of every policy in a template (identity policies, key policy,
 * bucket, queue, topic, bus and log resource policies), flattened the way cdk-nag reports them
 * (`<LogicalId.Arn>/recordings/*`), so a test can hold each one against a written justification.
 */
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { Template } from './synth.ts';

export interface Wildcard {
  /** Logical id of the resource holding the policy. */
  holder: string;
  holderType: string;
  effect: 'Allow' | 'Deny';
  kind: 'action' | 'resource';
  value: string;
  /** The statement's actions, to tell apart two grants on the same resource. */
  actions: string[];
}

interface Statement {
  Effect?: 'Allow' | 'Deny';
  Action?: unknown;
  NotAction?: unknown;
  Resource?: unknown;
}

const POLICY_PROPERTY: Record<string, (properties: Record<string, unknown>) => unknown[]> = {
  'AWS::IAM::Policy': (p) => [p.PolicyDocument],
  'AWS::IAM::ManagedPolicy': (p) => [p.PolicyDocument],
  'AWS::IAM::Role': (p) =>
    ((p.Policies as { PolicyDocument: unknown }[] | undefined) ?? []).map((x) => x.PolicyDocument),
  'AWS::KMS::Key': (p) => [p.KeyPolicy],
  'AWS::S3::BucketPolicy': (p) => [p.PolicyDocument],
  'AWS::SQS::QueuePolicy': (p) => [p.PolicyDocument],
  'AWS::SNS::TopicPolicy': (p) => [p.PolicyDocument],
  'AWS::Events::EventBusPolicy': (p) => [{ Statement: [p.Statement] }],
  'AWS::Logs::ResourcePolicy': (p) => [
    typeof p.PolicyDocument === 'string' ? parseLenient(p.PolicyDocument) : p.PolicyDocument,
  ],
};

const asArray = (value: unknown): unknown[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

function parseLenient(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`a resource policy that is not JSON: ${text.slice(0, 200)}`);
  }
}

/**
 * CloudFormation returns a log group's ARN (GetAtt Arn) with `:*` at the end, the streams of the
 * group: a grant on it is a wildcard too, although no `*` appears in the template.
 */
function implicitWildcard(template: Template, value: string): string | undefined {
  const id = /^<([A-Za-z0-9]+)\.Arn>$/.exec(value)?.[1];
  return id && template.Resources[id]?.Type === 'AWS::Logs::LogGroup' ? `${value}:*` : undefined;
}

export function wildcardsOf(template: Template): Wildcard[] {
  const found: Wildcard[] = [];
  for (const [holder, resource] of Object.entries(template.Resources)) {
    const documents = POLICY_PROPERTY[resource.Type]?.(resource.Properties ?? {}) ?? [];
    for (const document of documents) {
      const statements = asArray((document as { Statement?: unknown } | undefined)?.Statement) as Statement[];
      for (const statement of statements) {
        const effect = statement.Effect ?? 'Allow';
        const actions = asArray(statement.Action ?? statement.NotAction).map((a) => flattenCfnReference(a));
        for (const action of actions) {
          if (action.includes('*'))
            found.push({ holder, holderType: resource.Type, effect, kind: 'action', value: action, actions });
        }
        for (const flat of asArray(statement.Resource).map((r) => flattenCfnReference(r))) {
          const value = implicitWildcard(template, flat) ?? flat;
          if (value.includes('*'))
            found.push({ holder, holderType: resource.Type, effect, kind: 'resource', value, actions });
        }
      }
    }
  }
  return found;
}
