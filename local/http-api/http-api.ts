/**
 * The local API Gateway HTTP API: routes from the topology's `http` triggers, a JWT authorizer in
 * front of them (public routes excepted), payload format 2.0 to and from the function (invoked
 * synchronously through `invokeSync`), static files for the console, and in-process routes for what
 * is not a function (e.g. a server-sent-events stream for the console).
 *
 * API Gateway's own answers are reproduced: 401 {"message":"Unauthorized"}, 404 {"message":"Not Found"},
 * 413 {"message":"Request Entity Too Large"} (10 MB), 500 {"message":"Internal Server Error"} for a
 * function error or malformed response, 503 {"message":"Service Unavailable"} after the 30 s
 * integration timeout.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Topology } from '../../functions/topology.ts';
import { type Clock, type ClockTimer, systemClock } from '../clock.ts';
import {
  type AuthorizerClaims,
  type DevelopmentTokenClaims,
  issueDevelopmentToken,
  jwtAuthorizer,
  LOCAL_JWT_AUDIENCE,
  LOCAL_JWT_ISSUER,
  loadOrCreateSigningKey,
  type SigningKey,
} from './auth.ts';
import { fromLambdaResult, type HttpApiEvent, toHttpApiEvent } from './payload.ts';
import { type HttpMethod, httpRoutesOf, RouteTable } from './routes.ts';
import { serveStaticFile, staticFileFor } from './static-files.ts';

/** Invokes a function synchronously (RequestResponse) and resolves with what its handler returned. */
export type InvokeSync = (functionName: string, event: HttpApiEvent) => Promise<unknown>;

export interface InProcessRouteContext {
  routeKey: string;
  pathParameters: Record<string, string>;
  /** The verified token's claims; undefined on a route with auth 'none'. */
  claims: AuthorizerClaims | undefined;
}

/** A route served by the runtime itself rather than by a function. */
export interface InProcessRoute {
  method: HttpMethod | 'HEAD';
  /** Same syntax as API routes: literal segments, `{name}`, a final `{name+}`. */
  path: string;
  /** 'jwt' (default): behind the same authorizer as the API; 'none': public. */
  auth?: 'jwt' | 'none';
  handle(
    request: IncomingMessage,
    response: ServerResponse,
    context: InProcessRouteContext,
  ): void | Promise<void>;
}

export interface StartHttpApiOptions {
  /** The functions; their `http` triggers become the routes. */
  topology: Topology;
  invokeSync: InvokeSync;
  port?: number;
  /** Where the signing key pair lives (normally <dataDir>/auth); in memory when absent. */
  keyDir?: string;
  /** Use this key instead of keyDir. */
  signingKey?: SigningKey;
  issuer?: string;
  audience?: string;
  /** Route keys reachable without a token, e.g. 'GET /openapi.json'. Each must be a topology route. */
  publicRoutes?: Iterable<string>;
  /** Serve files under this directory for GET/HEAD paths no route claims (the console). */
  staticRoot?: string;
  routes?: InProcessRoute[];
  /** Token expiry and the integration timeout run on this clock. */
  clock?: Clock;
  integrationTimeoutMs?: number;
  maxBodyBytes?: number;
  accountId?: string;
  apiId?: string;
  /** Operational notes (function failures by name and request id). Never request contents. */
  log?: (message: string) => void;
}

export interface HttpApi {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  port: number;
  issuer: string;
  audience: string;
  signingKey: SigningKey;
  /** A token this API accepts, e.g. for the console or a test. */
  issueToken(claims: Omit<DevelopmentTokenClaims, 'issuer' | 'audience'>): Promise<string>;
  addRoute(route: InProcessRoute): void;
  /** Every route key served, functions and in-process. */
  routeKeys(): string[];
  stop(): Promise<void>;
}

type Target =
  | { kind: 'function'; functionName: string; public: boolean }
  | { kind: 'in-process'; route: InProcessRoute };

const MAX_BODY_BYTES = 10 * 1024 * 1024;

export class UnknownPublicRouteError extends Error {
  override name = 'UnknownPublicRouteError';
}

export async function startHttpApi(options: StartHttpApiOptions): Promise<HttpApi> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? ((message: string) => process.stderr.write(`[http-api] ${message}\n`));
  const issuer = options.issuer ?? LOCAL_JWT_ISSUER;
  const audience = options.audience ?? LOCAL_JWT_AUDIENCE;
  const signingKey = options.signingKey ?? (await loadOrCreateSigningKey(options.keyDir));
  const authorize = jwtAuthorizer({ key: signingKey, issuer, audience, now: () => clock.now() });
  const integrationTimeoutMs = options.integrationTimeoutMs ?? 30_000;
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const accountId = options.accountId ?? '000000000000';
  const apiId = options.apiId ?? 'local';

  const table = new RouteTable<Target>();
  const publicRoutes = new Set(options.publicRoutes ?? []);
  for (const route of httpRoutesOf(options.topology)) {
    const key = `${route.method} ${route.path}`;
    table.add(route.method, route.path, {
      kind: 'function',
      functionName: route.functionName,
      public: publicRoutes.has(key),
    });
  }
  const unknownPublic = [...publicRoutes].filter(
    (key) => !table.routes.some((route) => route.routeKey === key),
  );
  if (unknownPublic.length > 0) {
    throw new UnknownPublicRouteError(
      `public routes not declared in the topology: ${unknownPublic.join(', ')}`,
    );
  }
  const addRoute = (route: InProcessRoute) => {
    table.add(route.method, route.path, { kind: 'in-process', route });
  };
  for (const route of options.routes ?? []) addRoute(route);

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = randomBytes(10).toString('base64');
    response.setHeader('apigw-requestid', requestId);
    const method = request.method ?? 'GET';
    const url = request.url ?? '/';
    const rawPath = url.split('?')[0] ?? '/';
    const match = table.match(method, rawPath);

    if (!match) {
      if ((method === 'GET' || method === 'HEAD') && options.staticRoot !== undefined) {
        const file = await staticFileFor(options.staticRoot, rawPath);
        if (file) return serveStaticFile(file, request, response);
      }
      return sendMessage(response, 404, 'Not Found');
    }

    const target = match.route.target;
    const needsToken = target.kind === 'function' ? !target.public : target.route.auth !== 'none';
    let jwt: { claims: AuthorizerClaims; scopes: string[] | null } | undefined;
    if (needsToken) {
      const authorization = await authorize(request.headers.authorization);
      if (!authorization.ok) {
        response.setHeader(
          'www-authenticate',
          authorization.reason === 'no token'
            ? 'Bearer'
            : `Bearer error="invalid_token" error_description="${authorization.reason.replace(/"/g, "'")}"`,
        );
        return sendMessage(response, 401, 'Unauthorized');
      }
      jwt = { claims: authorization.claims, scopes: authorization.scopes };
    }

    if (target.kind === 'in-process') {
      return target.route.handle(request, response, {
        routeKey: match.route.routeKey,
        pathParameters: match.pathParameters,
        claims: jwt?.claims,
      });
    }

    const body = await readBody(request, maxBodyBytes);
    if (body === 'too large') return sendMessage(response, 413, 'Request Entity Too Large');
    const event = toHttpApiEvent({
      method,
      url,
      headers: request.headers,
      body,
      sourceIp: normaliseIp(request.socket.remoteAddress),
      httpVersion: request.httpVersion,
      routeKey: match.route.routeKey,
      pathParameters: match.pathParameters,
      ...(jwt ? { jwt } : {}),
      now: clock.now(),
      accountId,
      apiId,
    });

    const outcome = await withTimeout(
      options.invokeSync(target.functionName, event),
      integrationTimeoutMs,
      clock,
    );
    if (outcome.kind === 'timeout') {
      log(
        `${target.functionName} did not answer ${match.route.routeKey} within ${integrationTimeoutMs} ms (request ${requestId})`,
      );
      return sendMessage(response, 503, 'Service Unavailable');
    }
    if (outcome.kind === 'error') {
      // The error's name only: its message may quote the request.
      log(
        `${target.functionName} failed on ${match.route.routeKey} (request ${requestId}): ${outcome.error.name}`,
      );
      return sendMessage(response, 500, 'Internal Server Error');
    }
    let parts: ReturnType<typeof fromLambdaResult>;
    try {
      parts = fromLambdaResult(outcome.value);
    } catch (error) {
      log(
        `${target.functionName} returned a malformed response (request ${requestId}): ${(error as Error).message}`,
      );
      return sendMessage(response, 500, 'Internal Server Error');
    }
    for (const [name, value] of Object.entries(parts.headers)) response.setHeader(name, value);
    if (parts.cookies.length > 0) response.setHeader('set-cookie', parts.cookies);
    response.setHeader('content-length', parts.body.length);
    response.writeHead(parts.statusCode);
    response.end(method === 'HEAD' ? undefined : parts.body);
  };

  const server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => {
      log(`request failed inside the gateway: ${error.name}: ${error.message}`);
      if (!response.headersSent) sendMessage(response, 500, 'Internal Server Error');
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    issuer,
    audience,
    signingKey,
    issueToken: (claims) =>
      issueDevelopmentToken({ now: clock.now(), ...claims, issuer, audience }, signingKey),
    addRoute,
    routeKeys: () => table.routes.map((route) => route.routeKey),
    stop() {
      stopped ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Idle keep-alive sockets and open event streams would hold close() forever.
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

function sendMessage(response: ServerResponse, statusCode: number, message: string): void {
  const body = JSON.stringify({ message });
  response.writeHead(statusCode, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Read to the end even when too large: answering mid-upload would reset the client's connection
  // before it could read the 413.
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size <= limit) chunks.push(chunk);
  }
  return size > limit ? 'too large' : Buffer.concat(chunks);
}

function normaliseIp(address: string | undefined): string {
  if (!address) return '127.0.0.1';
  return address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
}

type Outcome = { kind: 'value'; value: unknown } | { kind: 'error'; error: Error } | { kind: 'timeout' };

function withTimeout(promise: Promise<unknown>, ms: number, clock: Clock): Promise<Outcome> {
  return new Promise((resolve) => {
    let timer: ClockTimer | undefined = clock.setTimeout(() => {
      timer = undefined;
      resolve({ kind: 'timeout' });
    }, ms);
    const settle = (outcome: Outcome) => {
      if (timer === undefined) return; // already answered 503
      clock.clearTimeout(timer);
      timer = undefined;
      resolve(outcome);
    };
    promise.then(
      (value) => settle({ kind: 'value', value }),
      (error: unknown) =>
        settle({ kind: 'error', error: error instanceof Error ? error : new Error(String(error)) }),
    );
  });
}
