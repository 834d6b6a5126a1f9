/**
 * The middy stack of the HTTP API: API Gateway HTTP API events (payload 2.0) in, structured results
 * out. Every route is defined once, as its zod schemas (path, query, body) and its handler; one router
 * dispatches on `event.routeKey`, lets the route table decide who may call it, validates the input
 * (400 with field errors before anything is read or written) and answers problem+json for whatever a
 * route throws. The same definitions generate the OpenAPI document (http-openapi.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type {
  APIGatewayEventRequestContextV2,
  APIGatewayProxyEventV2WithRequestContext,
  Context,
} from 'aws-lambda';
import type * as z from 'zod';
import type { Role } from '../../events/vocabulary.ts';
import { DomainError, type DomainErrorCode } from '../domain/errors.ts';
import { loggerFor } from './event-handler.ts';
import { authorize, type Caller, type JwtClaims } from './http-auth.ts';
import {
  type FieldError,
  fieldErrors,
  HttpProblem,
  type HttpResult,
  problemDetails,
  problems,
  toProblem,
} from './http-problem.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The request context of a payload 2.0 event; `authorizer` is present on protected routes only. */
export type HttpRequestContext = APIGatewayEventRequestContextV2 & {
  authorizer?: { jwt?: { claims?: JwtClaims; scopes?: string[] | null } };
};
export type HttpEvent = APIGatewayProxyEventV2WithRequestContext<HttpRequestContext> & {
  /** The JSON body, parsed by the `httpBody` middleware. */
  parsedBody?: unknown;
};

/** A route table entry: who may call a route (functions/api/route-table.ts). */
export interface RouteEntry {
  method: HttpMethod;
  path: string;
  auth: 'jwt' | 'none';
  roles: readonly Role[];
  summary: string;
}

export type BodyType = 'application/json' | 'text/csv';

/** What a route answers: JSON by default, or text (HTML pages) with its content type. */
export interface Reply {
  status: number;
  body?: unknown;
  text?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export const reply = {
  ok: (body: unknown, headers?: Record<string, string>): Reply => ({
    status: 200,
    body,
    ...(headers ? { headers } : {}),
  }),
  created: (body: unknown, location?: string): Reply => ({
    status: 201,
    body,
    ...(location ? { headers: { location } } : {}),
  }),
  html: (status: number, text: string, headers?: Record<string, string>): Reply => ({
    status,
    text,
    contentType: 'text/html; charset=utf-8',
    ...(headers ? { headers } : {}),
  }),
};

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** The API Gateway request id: the causation of what the request emits. */
  requestId: string;
  event: HttpEvent;
}

interface RouteDoc {
  /** The OpenAPI operationId. */
  operationId: string;
  tag: string;
  method: HttpMethod;
  path: string;
  /** The success answer, for the OpenAPI document. */
  response: { status: number; description: string; schema?: z.ZodType; contentType?: string };
  /** Statuses besides 400, 401, 403 and 500 the route may answer (404, 409, 422...). */
  errors?: readonly number[];
}

interface RouteSchemas<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType> {
  params?: P;
  query?: Q;
  body?: B;
  bodyType?: BodyType;
  /** The request field a domain error is about, shown as its field error (e.g. InvalidParameter -> body.overrides). */
  fields?: Partial<Record<DomainErrorCode, string>>;
}

type Unknown = z.ZodType<unknown>;

/** A defined route with its types erased, as the router and the OpenAPI generator see it. */
export interface RouteDefinition extends RouteDoc, RouteSchemas<Unknown, Unknown, Unknown> {
  routeKey: string;
  /** Public routes get no caller; the route table must say `auth: 'none'` for them. */
  public: boolean;
  run(input: RouteInput<unknown, unknown, unknown> & { caller: Caller | undefined }): Promise<Reply>;
}

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

/** A route behind the JWT authorizer: its handler gets the verified caller. */
export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(
  definition: RouteDoc & {
    params?: P;
    query?: Q;
    body?: B;
    bodyType?: BodyType;
    fields?: Partial<Record<DomainErrorCode, string>>;
    handle(input: RouteInput<Out<P>, Out<Q>, Out<B>> & { caller: Caller }): Promise<Reply>;
  },
): RouteDefinition {
  const { handle, ...rest } = definition;
  return {
    ...(rest as RouteDoc & RouteSchemas<Unknown, Unknown, Unknown>),
    routeKey: `${definition.method} ${definition.path}`,
    public: false,
    run: (input) => {
      // The table and the definition disagree (a test pins that they do not): refuse rather than guess.
      if (!input.caller) throw new Error(`${definition.method} ${definition.path} needs a caller`);
      return handle(input as RouteInput<Out<P>, Out<Q>, Out<B>> & { caller: Caller });
    },
  };
}

/** A route reachable without an account (the OpenAPI document, unsubscribe links, published guides). */
export function definePublicRoute<
  P extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(
  definition: RouteDoc & {
    params?: P;
    query?: Q;
    body?: B;
    bodyType?: BodyType;
    handle(input: RouteInput<Out<P>, Out<Q>, Out<B>>): Promise<Reply>;
  },
): RouteDefinition {
  const { handle, ...rest } = definition;
  return {
    ...(rest as RouteDoc & RouteSchemas<Unknown, Unknown, Unknown>),
    routeKey: `${definition.method} ${definition.path}`,
    public: true,
    run: (input) => handle(input as RouteInput<Out<P>, Out<Q>, Out<B>>),
  };
}

const routeKeyOf = (entry: { method: string; path: string }) => `${entry.method} ${entry.path}`;

/**
 * The router: the route table decides whether a route exists (no entry: 404, as API Gateway answers)
 * and who may call it (403); the definition parses the input and handles it.
 */
export function createRouter(
  routes: readonly RouteDefinition[],
  table: readonly RouteEntry[],
  logger?: Logger,
): (event: HttpEvent) => Promise<HttpResult> {
  const definitions = new Map<string, RouteDefinition>();
  for (const route of routes) {
    if (definitions.has(route.routeKey)) throw new Error(`route ${route.routeKey} is defined twice`);
    definitions.set(route.routeKey, route);
  }
  const entries = new Map(table.map((entry) => [routeKeyOf(entry), entry]));

  return async (event) => {
    const entry = entries.get(event.routeKey);
    const route = definitions.get(event.routeKey);
    if (!entry || !route) throw problems.notFound(`There is no route ${event.routeKey}.`);
    const caller = authorize(entry, event.requestContext.authorizer?.jwt?.claims);
    if (caller) logger?.appendKeys({ orgId: caller.orgId, role: caller.role, userId: caller.userId });

    const errors: FieldError[] = [];
    const parse = (schema: Unknown | undefined, value: unknown, location: string) => {
      if (!schema) return undefined;
      const result = schema.safeParse(value);
      if (result.success) return result.data;
      errors.push(...fieldErrors(result.error.issues, location));
      return undefined;
    };
    const params = parse(route.params, event.pathParameters ?? {}, 'path');
    const query = parse(route.query, event.queryStringParameters ?? {}, 'query');
    const body = parse(route.body, bodyOf(route, event), 'body');
    if (errors.length > 0) throw problems.validation(errors);

    try {
      const answer = await route.run({
        params,
        query,
        body,
        caller,
        requestId: event.requestContext.requestId,
        event,
      });
      return toResult(answer);
    } catch (error) {
      // A domain error about a request field names that field (e.g. an unknown parameter -> body.overrides).
      if (error instanceof DomainError && route.fields?.[error.code])
        throw HttpProblem.from(toProblem(error, route.fields));
      throw error;
    }
  };
}

function bodyOf(route: RouteDefinition, event: HttpEvent): unknown {
  if (!route.body) return undefined;
  if (route.bodyType === 'text/csv') {
    const type = contentTypeOf(event);
    if (type && type !== 'text/csv' && type !== 'text/plain')
      throw problems.unsupportedMediaType(`Send the CSV as text/csv, not ${type}.`);
    return event.body ?? '';
  }
  // No body is an empty object: routes whose fields are all optional need none.
  return event.parsedBody ?? {};
}

function contentTypeOf(event: HttpEvent): string | undefined {
  const header = event.headers?.['content-type'] ?? event.headers?.['Content-Type'];
  return header ? (header.split(';')[0] ?? '').trim().toLowerCase() : undefined;
}

function toResult(answer: Reply): HttpResult {
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...answer.headers };
  if (answer.text !== undefined) {
    return {
      statusCode: answer.status,
      headers: { 'content-type': answer.contentType ?? 'text/plain; charset=utf-8', ...headers },
      body: answer.text,
    };
  }
  if (answer.body === undefined) return { statusCode: answer.status, headers, body: '' };
  return {
    statusCode: answer.status,
    headers: { 'content-type': answer.contentType ?? 'application/json', ...headers },
    body: JSON.stringify(answer.body),
  };
}

const isJson = (type: string) => type === 'application/json' || type.endsWith('+json');

/**
 * Middy: decodes a base64 body (API Gateway sends non-text content types so) and parses JSON bodies;
 * a body that is not JSON although it says so is a 400. Without a content type, JSON is assumed.
 */
export function httpBody(): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    name: 'httpBody',
    before: ({ event }) => {
      if (event.body === undefined || event.body === '') return;
      if (event.isBase64Encoded) {
        event.body = Buffer.from(event.body, 'base64').toString('utf8');
        event.isBase64Encoded = false;
      }
      const type = contentTypeOf(event);
      if (type !== undefined && !isJson(type)) return;
      try {
        event.parsedBody = JSON.parse(event.body);
      } catch {
        throw problems.validation([{ path: 'body', message: 'The body is not valid JSON.' }]);
      }
    },
  };
}

/** Middy: the route and request id on every log line of the request, and one line per answer. */
export function accessLog(logger: Logger): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    name: 'accessLog',
    before: ({ event }) => {
      logger.appendKeys({ routeKey: event.routeKey, requestId: event.requestContext.requestId });
    },
    after: ({ response }) => {
      logger.info('request answered', { status: response?.statusCode });
    },
  };
}

/**
 * The HTTP API handler: Powertools logger (ids only, never bodies: they carry personal data),
 * access log, problem+json for every error, body parsing, then the router.
 */
export function httpApi(options: {
  name: string;
  routes: readonly RouteDefinition[];
  table: readonly RouteEntry[];
  logger?: Logger;
}) {
  const logger = options.logger ?? loggerFor(options.name);
  const route = createRouter(options.routes, options.table, logger);
  return middy<HttpEvent, HttpResult, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(accessLog(logger))
    .use(problemDetails(logger) as MiddlewareObj<HttpEvent, HttpResult, Error, Context>)
    .use(httpBody())
    .handler((event) => route(event));
}
