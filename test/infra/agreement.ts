/**
 * What the local runtime and the synthesized template each make of one topology, side by side:
 * the functions, every rule's name, bus and event pattern, and every route key. The local side is
 * read from the runtime's own EventBridge (rules created by local/eventbridge from the topology) and
 * route table; the AWS side from the template. Tests compare the two.
 *
 * The known, intended differences are mapped here and nowhere else:
 * - rules the topology puts on the default bus live on the pipeline bus on AWS (infra/event-bus.ts
 *   forwards this stack's S3 and SES events there);
 * - FILES_BUCKET in a pattern is the deployed files bucket on AWS.
 */
import { DEFAULT_BUS, FILES_BUCKET, PIPELINE_BUS, type Topology } from '../../functions/topology.ts';
import { INFRASTRUCTURE_RULES } from '../../infra/event-bus.ts';
import { startEventBridge } from '../../local/eventbridge/service.ts';
import { httpRoutesOf, routeKeyOf } from '../../local/http-api/routes.ts';
import { logicalIdOf, resourcesOf, type Template } from './synth.ts';

export interface RuleView {
  name: string;
  bus: string;
  pattern: unknown;
  /** Function name of the one target. */
  target: string;
  retryPolicy: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number } | undefined;
}

export interface DeploymentView {
  functions: string[];
  rules: RuleView[];
  routes: string[];
}

/** The rules the local runtime creates for `topology`, read back through its API. */
export async function localView(topology: Topology): Promise<DeploymentView> {
  const eventBridge = await startEventBridge({
    lambda: { invokeAsync: async () => ({ requestId: 'x' }) },
    topology,
  });
  try {
    const rules: RuleView[] = [];
    for (const bus of [PIPELINE_BUS, DEFAULT_BUS]) {
      const listed = (await eventBridge.call('ListRules', { EventBusName: bus })) as {
        Rules?: { Name: string }[];
      };
      for (const { Name } of listed.Rules ?? []) {
        const rule = (await eventBridge.call('DescribeRule', { Name, EventBusName: bus })) as {
          EventPattern: string;
        };
        const targets = (await eventBridge.call('ListTargetsByRule', { Rule: Name, EventBusName: bus })) as {
          Targets: { Arn: string; RetryPolicy?: RuleView['retryPolicy'] }[];
        };
        const [target] = targets.Targets;
        rules.push({
          name: Name,
          bus,
          pattern: JSON.parse(rule.EventPattern),
          target: target?.Arn.split(':').pop() ?? '',
          retryPolicy: target?.RetryPolicy,
        });
      }
    }
    return {
      functions: topology.map((fn) => fn.name),
      rules,
      routes: httpRoutesOf(topology).map((route) => routeKeyOf(route.method, route.path)),
    };
  } finally {
    await eventBridge.stop();
  }
}

/**
 * The same view of a synthesized stack, in local terms: function names without the stack prefix,
 * rules of the topology (the stack's own forwarding and event-log rules left out) on the bus the
 * topology names, the files bucket's name as FILES_BUCKET.
 */
export function templateView(template: Template, prefix: string, busName: string): DeploymentView {
  const filesBucket = logicalIdOf(template, 'AWS::S3::Bucket', (p) =>
    JSON.stringify(p.NotificationConfiguration ?? {}).includes('EventBridgeConfiguration'),
  );
  const functionIdToName = new Map(
    resourcesOf(template, 'AWS::Lambda::Function')
      .filter(([, p]) => typeof p.FunctionName === 'string' && (p.FunctionName as string).startsWith(prefix))
      .map(([id, p]) => [id, (p.FunctionName as string).slice(prefix.length)]),
  );
  const infrastructure = new Set<string>([
    INFRASTRUCTURE_RULES.events,
    `${busName}-${INFRASTRUCTURE_RULES.files}`,
    `${busName}-${INFRASTRUCTURE_RULES.email}`,
  ]);
  const rules = resourcesOf(template, 'AWS::Events::Rule')
    .filter(([, p]) => !infrastructure.has(p.Name as string))
    .map(([, p]) => {
      const [target] = p.Targets as { Arn: unknown; RetryPolicy?: RuleView['retryPolicy'] }[];
      const targetId = (target?.Arn as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
      const pattern = replaceRef(p.EventPattern, filesBucket, FILES_BUCKET);
      return {
        name: p.Name as string,
        // On AWS every topology rule is on the pipeline bus; S3/SES ones arrive there forwarded.
        bus: isDefaultBusPattern(pattern) ? DEFAULT_BUS : PIPELINE_BUS,
        pattern,
        target: (targetId && functionIdToName.get(targetId)) ?? '',
        retryPolicy: target?.RetryPolicy,
      };
    });
  const routes = resourcesOf(template, 'AWS::ApiGatewayV2::Route').map(([, p]) => p.RouteKey as string);
  return {
    functions: [...functionIdToName.values()],
    rules,
    routes,
  };
}

/** Patterns about AWS's own events (S3, SES) are the ones the topology puts on the default bus. */
function isDefaultBusPattern(pattern: unknown): boolean {
  const sources = (pattern as { source?: unknown }).source;
  return (
    Array.isArray(sources) &&
    sources.every((source) => typeof source === 'string' && source.startsWith('aws.'))
  );
}

function replaceRef(value: unknown, logicalId: string, replacement: string): unknown {
  if (Array.isArray(value)) return value.map((item) => replaceRef(item, logicalId, replacement));
  if (value !== null && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (Object.keys(record).length === 1 && record.Ref === logicalId) return replacement;
    return Object.fromEntries(
      Object.entries(record).map(([k, v]) => [k, replaceRef(v, logicalId, replacement)]),
    );
  }
  return value;
}

/** Sorted copies, so two views compare regardless of declaration order. */
export function normalized(view: DeploymentView): DeploymentView {
  return {
    functions: [...view.functions].sort(),
    rules: [...view.rules].sort((a, b) => a.name.localeCompare(b.name)),
    routes: [...view.routes].sort(),
  };
}
