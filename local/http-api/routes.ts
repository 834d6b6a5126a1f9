/**
 * Route matching as API Gateway HTTP APIs do it: a route key is `METHOD /path`, path segments are
 * literal, `{name}` (one segment) or, last, `{name+}` (greedy: one or more segments). When several
 * routes match, the most specific wins: segment by segment, literal before `{name}` before `{name+}`.
 * Matching is case-sensitive, as on AWS.
 */
import type { HttpTrigger, Topology } from '../../functions/topology.ts';

export type HttpMethod = HttpTrigger['method'];

type Segment =
  | { kind: 'literal'; value: string }
  | { kind: 'param'; name: string }
  | { kind: 'greedy'; name: string };

export interface CompiledRoute<Target> {
  method: string;
  path: string;
  /** `GET /processes/{processId}`, as in API Gateway and in the event's routeKey. */
  routeKey: string;
  segments: Segment[];
  target: Target;
}

export interface RouteMatch<Target> {
  route: CompiledRoute<Target>;
  /** Decoded path parameter values; greedy parameters keep their slashes. */
  pathParameters: Record<string, string>;
}

export class DuplicateRouteError extends Error {
  override name = 'DuplicateRouteError';
}

/** The routes the topology's `http` triggers declare: route key -> function name. */
export function httpRoutesOf(
  topology: Topology,
): { method: HttpMethod; path: string; functionName: string }[] {
  return topology.flatMap((fn) =>
    fn.triggers.flatMap((trigger) =>
      trigger.kind === 'http' ? [{ method: trigger.method, path: trigger.path, functionName: fn.name }] : [],
    ),
  );
}

export function routeKeyOf(method: string, path: string): string {
  return `${method} ${path}`;
}

function compilePath(path: string): Segment[] {
  if (!path.startsWith('/')) throw new Error(`route path must start with /: ${path}`);
  if (path === '/') return [];
  const parts = path.slice(1).split('/');
  return parts.map((part, index): Segment => {
    const param = /^\{([a-zA-Z][a-zA-Z0-9]*)(\+?)\}$/.exec(part);
    if (!param) return { kind: 'literal', value: part };
    const name = param[1] as string;
    if (param[2] === '+') {
      if (index !== parts.length - 1)
        throw new Error(`greedy {${name}+} must be the last segment of ${path}`);
      return { kind: 'greedy', name };
    }
    return { kind: 'param', name };
  });
}

const RANK = { literal: 0, param: 1, greedy: 2 } as const;

/** Negative when `a` is more specific than `b`. */
function compareSpecificity(a: Segment[], b: Segment[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return x === undefined ? 1 : -1;
    const difference = RANK[x.kind] - RANK[y.kind];
    if (difference !== 0) return difference;
  }
  return 0;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value; // malformed percent-encoding: pass it on as sent
  }
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  const parameters: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as Segment;
    if (segment.kind === 'greedy') {
      const rest = parts.slice(i);
      if (rest.length === 0 || rest.every((part) => part === '')) return undefined;
      parameters[segment.name] = rest.map(decode).join('/');
      return parameters;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (part !== segment.value) return undefined;
    } else {
      if (part === '') return undefined;
      parameters[segment.name] = decode(part);
    }
  }
  return parts.length === segments.length ? parameters : undefined;
}

export class RouteTable<Target> {
  #routes: CompiledRoute<Target>[] = [];

  add(method: string, path: string, target: Target): CompiledRoute<Target> {
    const routeKey = routeKeyOf(method, path);
    if (this.#routes.some((route) => route.routeKey === routeKey)) {
      throw new DuplicateRouteError(`route ${routeKey} is declared twice`);
    }
    const route = { method, path, routeKey, segments: compilePath(path), target };
    this.#routes.push(route);
    this.#routes.sort((a, b) => compareSpecificity(a.segments, b.segments));
    return route;
  }

  /** The most specific route for this method and raw (still percent-encoded) path. */
  match(method: string, rawPath: string): RouteMatch<Target> | undefined {
    const parts = rawPath === '/' ? [] : rawPath.slice(1).split('/');
    for (const route of this.#routes) {
      if (route.method !== method) continue;
      const pathParameters = matchSegments(route.segments, parts);
      if (pathParameters) return { route, pathParameters };
    }
    return undefined;
  }

  get routes(): readonly CompiledRoute<Target>[] {
    return this.#routes;
  }
}
