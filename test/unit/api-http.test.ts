/**
 * The HTTP stack on its own (shared/runtime/http*.ts), with a route table and routes made for the
 * test: the table decides whether a route exists and who may call it; input is parsed before any
 * handler runs; every error becomes problem+json with one status per domain error code.
 */
import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import {
  AlreadyDoneError,
  CausationDepthExceededError,
  ConsentRequiredError,
  type DomainError,
  type DomainErrorCode,
  InvalidParameterError,
  ManualCompletionNotAllowedError,
  NotFoundError,
  NotReadyError,
  ProcessCompletedError,
  UnknownMethodError,
  WrongStageError,
} from '../../shared/domain/errors.ts';
import {
  createRouter,
  definePublicRoute,
  defineRoute,
  type HttpEvent,
  httpApi,
  type RouteEntry,
  reply,
} from '../../shared/runtime/http.ts';
import { authorize, callerFrom } from '../../shared/runtime/http-auth.ts';
import { domainErrorStatus, toProblem } from '../../shared/runtime/http-problem.ts';
import { VersionConflictError } from '../../shared/store/process-store.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

const claims = (role: string, orgId = 'org-1') => ({
  'custom:orgId': orgId,
  'custom:role': role,
  sub: 'u-1',
});

function event(
  routeKey: string,
  options: {
    claims?: Record<string, string | number>;
    path?: Record<string, string>;
    body?: string;
    base64?: boolean;
    contentType?: string;
  } = {},
): HttpEvent {
  return {
    version: '2.0',
    routeKey,
    rawPath: '/',
    rawQueryString: '',
    headers: options.contentType ? { 'content-type': options.contentType } : {},
    ...(options.path ? { pathParameters: options.path } : {}),
    ...(options.body !== undefined ? { body: options.body } : {}),
    isBase64Encoded: options.base64 ?? false,
    requestContext: {
      accountId: '0',
      apiId: 'a',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method: 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 't' },
      requestId: 'req-1',
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: 0,
      ...(options.claims ? { authorizer: { jwt: { claims: options.claims, scopes: null } } } : {}),
    },
  };
}

const seen: unknown[] = [];
const echo = defineRoute({
  operationId: 'echo',
  tag: 'test',
  method: 'POST',
  path: '/things/{thingId}',
  params: z.object({ thingId: z.string().regex(/^[a-z]+$/) }),
  body: z.object({ size: z.number().int().min(1) }),
  response: { status: 200, description: 'echo' },
  handle: async (input) => {
    seen.push(input);
    return reply.ok({ org: input.caller.orgId, thing: input.params.thingId, size: input.body.size });
  },
});
const secret = defineRoute({
  operationId: 'secret',
  tag: 'test',
  method: 'GET',
  path: '/secret',
  response: { status: 200, description: 'not in the table' },
  handle: async () => reply.ok({ leaked: true }),
});
const hello = definePublicRoute({
  operationId: 'hello',
  tag: 'test',
  method: 'GET',
  path: '/hello',
  response: { status: 200, description: 'hello', contentType: 'text/html' },
  handle: async () => reply.html(200, '<p>hej</p>'),
});
const failing = (error: unknown) =>
  defineRoute({
    operationId: 'fail',
    tag: 'test',
    method: 'POST',
    path: '/fail',
    body: z.object({ overrides: z.record(z.string(), z.number()).optional() }),
    fields: { InvalidParameter: 'body.overrides' },
    response: { status: 200, description: 'never' },
    handle: async () => {
      throw error;
    },
  });

const table: RouteEntry[] = [
  { method: 'POST', path: '/things/{thingId}', auth: 'jwt', roles: ['coordinator'], summary: 'Echo' },
  { method: 'GET', path: '/hello', auth: 'none', roles: [], summary: 'Hello' },
  { method: 'POST', path: '/fail', auth: 'jwt', roles: ['coordinator'], summary: 'Fail' },
  { method: 'GET', path: '/missing', auth: 'jwt', roles: ['coordinator'], summary: 'Declared, not defined' },
];
const context = {} as Context;
const api = (error: unknown = new Error('boom')) =>
  httpApi({ name: 'test', routes: [echo, secret, hello, failing(error)], table });
const json = (result: { body: string }) => JSON.parse(result.body);

describe('the route table decides', () => {
  it('a defined route without a table entry does not exist (404), even for the right role', async () => {
    const result = await api()(event('GET /secret', { claims: claims('coordinator') }), context);
    expect(result.statusCode).toBe(404);
    expect(result.body).not.toContain('leaked');
  });

  it('a table entry without a definition is 404 too', async () => {
    expect((await api()(event('GET /missing', { claims: claims('coordinator') }), context)).statusCode).toBe(
      404,
    );
  });

  it('roles not in the entry are 403; no claims 401; public routes need none', async () => {
    const forbidden = await api()(
      event('POST /things/{thingId}', {
        claims: claims('facilitator'),
        path: { thingId: 'a' },
        body: '{"size":1}',
      }),
      context,
    );
    expect(forbidden.statusCode).toBe(403);
    const anonymous = await api()(event('POST /things/{thingId}', { path: { thingId: 'a' } }), context);
    expect(anonymous.statusCode).toBe(401);
    const page = await api()(event('GET /hello'), context);
    expect(page).toMatchObject({ statusCode: 200, body: '<p>hej</p>' });
    expect(page.headers?.['content-type']).toBe('text/html; charset=utf-8');
  });

  it('a protected definition behind a public table entry refuses to run (500), never runs without a caller', async () => {
    const loose: RouteEntry[] = [{ ...(table[0] as RouteEntry), auth: 'none', roles: [] }];
    const result = await httpApi({ name: 'test', routes: [echo], table: loose })(
      event('POST /things/{thingId}', { path: { thingId: 'a' }, body: '{"size":1}' }),
      context,
    );
    expect(result.statusCode).toBe(500);
  });

  it('a route defined twice is refused when the router is built', () => {
    expect(() => createRouter([echo, echo], table)).toThrow(/defined twice/);
  });
});

describe('input', () => {
  it('is parsed before the handler runs: path and body errors together, under their location', async () => {
    seen.length = 0;
    const result = await api()(
      event('POST /things/{thingId}', {
        claims: claims('coordinator'),
        path: { thingId: 'A1' },
        body: '{"size":0}',
        contentType: 'application/json',
      }),
      context,
    );
    expect(result.statusCode).toBe(400);
    expect(json(result).errors.map((e: { path: string }) => e.path)).toEqual(['path.thingId', 'body.size']);
    expect(seen).toHaveLength(0);
  });

  it('base64 bodies are decoded; JSON is assumed without a content type; the org is the claims’', async () => {
    const body = Buffer.from(JSON.stringify({ size: 3, orgId: 'org-evil' })).toString('base64');
    const result = await api()(
      event('POST /things/{thingId}', {
        claims: claims('coordinator'),
        path: { thingId: 'a' },
        body,
        base64: true,
      }),
      context,
    );
    expect(result.statusCode).toBe(200);
    expect(json(result)).toEqual({ org: 'org-1', thing: 'a', size: 3 });
  });

  it('a JSON route given another content type answers 400 for the missing fields', async () => {
    const result = await api()(
      event('POST /things/{thingId}', {
        claims: claims('coordinator'),
        path: { thingId: 'a' },
        body: 'size=3',
        contentType: 'application/x-www-form-urlencoded',
      }),
      context,
    );
    expect(result.statusCode).toBe(400);
    expect(json(result).errors[0].path).toBe('body.size');
  });
});

describe('claims', () => {
  it('come as API Gateway passes them: strings; anything else about them is 403', () => {
    expect(callerFrom(claims('ops'))).toEqual({ orgId: 'org-1', role: 'ops', userId: 'u-1' });
    expect(() => callerFrom({ ...claims('ops'), 'custom:orgId': 42 })).toThrow(/organisation/);
    expect(() => callerFrom({ ...claims('ops'), sub: '' })).toThrow(/user/);
    expect(() => callerFrom(undefined)).toThrow(/identity/);
    expect(authorize({ auth: 'none', roles: [] }, undefined)).toBeUndefined();
  });
});

describe('problems', () => {
  const errors: Record<DomainErrorCode, DomainError> = {
    NotFound: new NotFoundError('process', 'p-1'),
    WrongStage: new WrongStageError('closing a workshop', 'interviews', ['workshop']),
    AlreadyDone: new AlreadyDoneError('closing w-1'),
    NotReady: new NotReadyError('plan-1 must be approved first'),
    ProcessCompleted: new ProcessCompletedError('p-1'),
    ManualCompletionNotAllowed: new ManualCompletionNotAllowedError('workshop'),
    ConsentRequired: new ConsentRequiredError('an interview recording'),
    InvalidParameter: new InvalidParameterError('minimumInterviews', 'must be an integer from 1 to 200'),
    UnknownMethod: new UnknownMethodError('kaffeprat', ['smarta-orter']),
    CausationDepthExceeded: new CausationDepthExceededError(17, 16),
  };
  const expected: Record<DomainErrorCode, number> = {
    NotFound: 404,
    WrongStage: 409,
    AlreadyDone: 409,
    NotReady: 409,
    ProcessCompleted: 409,
    ManualCompletionNotAllowed: 409,
    ConsentRequired: 422,
    InvalidParameter: 400,
    UnknownMethod: 400,
    CausationDepthExceeded: 500,
  };

  it('every domain error code has one status', () => {
    for (const [code, error] of Object.entries(errors) as [DomainErrorCode, DomainError][]) {
      expect(domainErrorStatus[code].status, code).toBe(expected[code]);
      const problem = toProblem(error);
      expect(problem.status, code).toBe(expected[code]);
      if (problem.status < 500) expect(problem.detail).toBe(error.message);
      else expect(problem.detail).not.toContain('causation');
    }
    expect(toProblem(new VersionConflictError('p-1', 3)).status).toBe(409);
  });

  it('a domain error about a request field names it; the answer is problem+json', async () => {
    const result = await api(new InvalidParameterError('x', 'no such parameter'))(
      event('POST /fail', { claims: claims('coordinator'), body: '{}' }),
      context,
    );
    expect(result.statusCode).toBe(400);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(json(result)).toEqual({
      type: 'https://samskapa.dev/problems/invalid-parameter',
      title: 'Invalid parameter',
      status: 400,
      detail: 'parameter x: no such parameter',
      errors: [{ path: 'body.overrides', message: 'parameter x: no such parameter' }],
    });
  });

  it('anything else is a 500 that tells nothing', async () => {
    const result = await api(new TypeError('cannot read property secretKey of undefined'))(
      event('POST /fail', { claims: claims('coordinator'), body: '{}' }),
      context,
    );
    expect(result.statusCode).toBe(500);
    expect(result.body).not.toContain('secretKey');
  });
});
