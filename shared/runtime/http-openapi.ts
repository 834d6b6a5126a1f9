/**
 * The OpenAPI 3.1 document of an HTTP API, generated from its route definitions (their zod schemas,
 * through z.toJSONSchema) and its route table (summaries, auth, roles). Never written by hand.
 */
import * as z from 'zod';
import type { RouteDefinition, RouteEntry } from './http.ts';
import { PROBLEM_CONTENT_TYPE } from './http-problem.ts';

type Json = Record<string, unknown>;

const errorText: Record<number, string> = {
  400: 'Invalid input: field errors, nothing was changed',
  401: 'No verified identity',
  403: 'The caller’s role may not call this route',
  404: 'Not found (for the caller’s organisation)',
  409: 'The process is not in a state that allows this',
  415: 'Unsupported media type',
  422: 'Well-formed, but what it refers to does not allow it',
  500: 'Unexpected error',
};

function jsonSchema(schema: z.ZodType): Json {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
  }) as Json;
  return rest;
}

function parameters(schema: z.ZodType | undefined, location: 'path' | 'query'): Json[] {
  if (!schema) return [];
  const object = jsonSchema(schema) as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property;
    return {
      name,
      in: location,
      required: location === 'path' || (object.required ?? []).includes(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function operation(route: RouteDefinition, entry: RouteEntry): Json {
  const hasInput = Boolean(route.params || route.query || route.body);
  const statuses = new Set<number>([
    ...(hasInput ? [400] : []),
    ...(entry.auth === 'jwt' ? [401, 403] : []),
    ...(route.errors ?? []),
    500,
  ]);
  const success = route.response;
  const successContent = success.schema
    ? { [success.contentType ?? 'application/json']: { schema: jsonSchema(success.schema) } }
    : success.contentType
      ? { [success.contentType]: { schema: { type: 'string' } } }
      : undefined;
  const responses: Json = {
    [String(success.status)]: {
      description: success.description,
      ...(successContent ? { content: successContent } : {}),
    },
  };
  for (const status of [...statuses].sort((a, b) => a - b)) {
    responses[String(status)] = { $ref: `#/components/responses/Problem${status}` };
  }
  const requestBody = route.body
    ? {
        required: !route.body.safeParse(route.bodyType === 'text/csv' ? '' : {}).success,
        content:
          route.bodyType === 'text/csv'
            ? { 'text/csv': { schema: { type: 'string' } } }
            : { 'application/json': { schema: jsonSchema(route.body) } },
      }
    : undefined;
  const params = [...parameters(route.params, 'path'), ...parameters(route.query, 'query')];
  return {
    operationId: route.operationId,
    summary: entry.summary,
    tags: [route.tag],
    ...(entry.auth === 'none' ? { security: [] } : { 'x-roles': [...entry.roles] }),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(requestBody ? { requestBody } : {}),
    responses,
  };
}

export function openApiDocument(options: {
  info: { title: string; version: string; description: string };
  routes: readonly RouteDefinition[];
  table: readonly RouteEntry[];
}): Json {
  const byKey = new Map(options.routes.map((route) => [route.routeKey, route]));
  const paths: Record<string, Record<string, Json>> = {};
  const usedStatuses = new Set<number>();
  for (const entry of options.table) {
    const route = byKey.get(`${entry.method} ${entry.path}`);
    if (!route) throw new Error(`route ${entry.method} ${entry.path} is in the table but not defined`);
    const op = operation(route, entry);
    for (const status of Object.keys(op.responses as Json)) usedStatuses.add(Number(status));
    paths[entry.path] ??= {};
    (paths[entry.path] as Record<string, Json>)[entry.method.toLowerCase()] = op;
  }
  const problemResponses: Json = {};
  for (const status of [...usedStatuses].filter((s) => s in errorText).sort((a, b) => a - b)) {
    problemResponses[`Problem${status}`] = {
      description: errorText[status],
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
    };
  }
  return {
    openapi: '3.1.0',
    info: options.info,
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    security: [{ jwt: [] }],
    paths,
    components: {
      securitySchemes: {
        jwt: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A token whose verified claims name the organisation (custom:orgId), the role (custom:role) and the user (sub).',
        },
      },
      schemas: {
        Problem: {
          type: 'object',
          description: 'RFC 9457 problem details',
          required: ['type', 'title', 'status', 'detail', 'errors'],
          properties: {
            type: { type: 'string', format: 'uri' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            errors: {
              type: 'array',
              items: {
                type: 'object',
                required: ['path', 'message'],
                properties: { path: { type: 'string' }, message: { type: 'string' } },
              },
            },
          },
        },
      },
      responses: problemResponses,
    },
  };
}
