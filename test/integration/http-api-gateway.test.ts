/**
 * The local HTTP API behaves like API Gateway in front of the API function: payload format 2.0 in
 * and out, the JWT authorizer, API Gateway's route priority and its own error answers.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { defineTopology } from '../../functions/topology.ts';
import { ManualClock } from '../../local/clock.ts';
import {
  type HttpApi,
  type HttpApiEvent,
  issueDevelopmentToken,
  loadOrCreateSigningKey,
  type StartHttpApiOptions,
  startHttpApi,
} from '../../local/http-api/index.ts';

const route = (name: string, method: 'GET' | 'POST', path: string) => ({
  name,
  description: `fixture function ${name} for the gateway tests`,
  entry: `functions/${name.toLowerCase()}.ts`,
  triggers: [{ kind: 'http' as const, method, path }],
});

const topology = defineTopology([
  route('getProcess', 'GET', '/orgs/{orgId}/processes/{processId}'),
  route('latestProcess', 'GET', '/orgs/{orgId}/processes/latest'),
  route('getFile', 'GET', '/files/{path+}'),
  route('uploadRecording', 'POST', '/recordings/{recordingId}'),
  route('openApi', 'GET', '/openapi.json'),
  route('failing', 'GET', '/failing'),
  route('plainResult', 'GET', '/plain'),
  route('slow', 'GET', '/slow'),
]);

/** The fixture functions: each records its event and answers like a real handler would. */
const calls: { functionName: string; event: HttpApiEvent }[] = [];
const fixtures: Record<string, (event: HttpApiEvent) => Promise<unknown>> = {
  getProcess: async (event) => ({
    statusCode: 200,
    headers: { 'Content-Type': 'application/json', 'X-Process': event.pathParameters?.processId ?? '' },
    cookies: ['session=abc; HttpOnly', 'theme=dark'],
    body: JSON.stringify({ processId: event.pathParameters?.processId }),
  }),
  latestProcess: async () => ({ statusCode: 200, body: 'latest' }),
  getFile: async (event) => ({ statusCode: 200, body: event.pathParameters?.path ?? '' }),
  uploadRecording: async (event) => ({
    statusCode: 201,
    headers: { 'content-type': event.headers['content-type'] ?? 'application/octet-stream' },
    body: event.body ?? '',
    isBase64Encoded: event.isBase64Encoded,
  }),
  openApi: async () => ({ statusCode: 200, body: '{"openapi":"3.1.0"}' }),
  failing: async () => {
    throw new Error('participant anna@example.org could not be found');
  },
  plainResult: async () => ({ hello: 'world' }),
  slow: () => new Promise(() => {}),
};

const clock = new ManualClock('2026-03-01T12:00:00Z');
const started: HttpApi[] = [];
async function gateway(overrides: Partial<StartHttpApiOptions> = {}): Promise<HttpApi> {
  const api = await startHttpApi({
    topology,
    invokeSync: async (functionName, event) => {
      calls.push({ functionName, event });
      const fixture = fixtures[functionName];
      if (!fixture) throw new Error(`no fixture ${functionName}`);
      return fixture(event);
    },
    publicRoutes: ['GET /openapi.json'],
    clock,
    log: () => {},
    ...overrides,
  });
  started.push(api);
  return api;
}

let api: HttpApi;
let token: string;
beforeAll(async () => {
  api = await gateway();
  token = await api.issueToken({ orgId: 'org-jamtland', role: 'facilitator', sub: 'user-1' });
});
afterEach(() => {
  calls.length = 0;
});
afterAll(async () => {
  await Promise.all(started.map((gatewayApi) => gatewayApi.stop()));
});

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${api.endpoint}${path}`, { headers: { authorization: `Bearer ${token}`, ...headers } });

describe('a request with a valid token', () => {
  it('reaches the function as a payload 2.0 event with path parameters and the claims', async () => {
    const response = await get('/orgs/org-jamtland/processes/p%20one?stage=interviews&tag=a&tag=b', {
      'X-Trace-Id': 'trace-1',
      cookie: 'a=1; b=2',
    });

    expect(response.status).toBe(200);
    expect(calls).toHaveLength(1);
    const { functionName, event } = calls[0] as {
      functionName: string;
      event: APIGatewayProxyEventV2WithJWTAuthorizer;
    };
    expect(functionName).toBe('getProcess');
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /orgs/{orgId}/processes/{processId}',
      rawPath: '/orgs/org-jamtland/processes/p%20one',
      rawQueryString: 'stage=interviews&tag=a&tag=b',
      cookies: ['a=1', 'b=2'],
      queryStringParameters: { stage: 'interviews', tag: 'a,b' },
      pathParameters: { orgId: 'org-jamtland', processId: 'p one' },
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: '127.0.0.1',
        http: {
          method: 'GET',
          path: '/orgs/org-jamtland/processes/p%20one',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
        },
        routeKey: 'GET /orgs/{orgId}/processes/{processId}',
        stage: '$default',
        time: '01/Mar/2026:12:00:00 +0000',
        timeEpoch: Date.parse('2026-03-01T12:00:00Z'),
      },
    });
    expect(event.headers['x-trace-id']).toBe('trace-1');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.body).toBeUndefined();
    expect(event.requestContext.requestId).toMatch(/\S+/);
    const claims = event.requestContext.authorizer.jwt.claims;
    expect(claims).toMatchObject({
      'custom:orgId': 'org-jamtland',
      'custom:role': 'facilitator',
      sub: 'user-1',
      iss: api.issuer,
      aud: api.audience,
    });
    // API Gateway hands every claim over as a string.
    expect(claims.exp).toBe(String(Date.parse('2026-03-01T12:00:00Z') / 1000 + 12 * 3600));
    expect(event.requestContext.authorizer.jwt.scopes).toBeNull();

    // The structured result is mapped back: status, headers, every cookie as its own set-cookie.
    expect(response.headers.get('x-process')).toBe('p one');
    expect(response.headers.getSetCookie()).toEqual(['session=abc; HttpOnly', 'theme=dark']);
    expect(await response.json()).toEqual({ processId: 'p one' });
  });

  it('prefers an exact path to a parameter and lets {proxy+} take the rest of the path', async () => {
    expect(await (await get('/orgs/o1/processes/latest')).text()).toBe('latest');
    expect(await (await get('/files/recordings/o1/p1/interview.m4a')).text()).toBe(
      'recordings/o1/p1/interview.m4a',
    );
    expect(calls.map((call) => call.functionName)).toEqual(['latestProcess', 'getFile']);
  });

  it('round-trips a binary body as base64 and passes JSON as text', async () => {
    const audio = randomBytes(4096);
    const binary = await fetch(`${api.endpoint}/recordings/r1`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'audio/mp4' },
      body: audio,
    });
    expect(binary.status).toBe(201);
    expect(Buffer.from(await binary.arrayBuffer())).toEqual(audio);
    expect(calls[0]?.event).toMatchObject({ isBase64Encoded: true, body: audio.toString('base64') });

    const json = await fetch(`${api.endpoint}/recordings/r2`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json; charset=utf-8' },
      body: '{"consent":true}',
    });
    expect(await json.text()).toBe('{"consent":true}');
    expect(calls[1]?.event).toMatchObject({ isBase64Encoded: false, body: '{"consent":true}' });
  });

  it('answers a plain object result with 200 JSON, and a throwing function with 500', async () => {
    const plain = await get('/plain');
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-type')).toBe('application/json');
    expect(await plain.json()).toEqual({ hello: 'world' });

    const messages: string[] = [];
    const quiet = await gateway({ signingKey: api.signingKey, log: (message) => messages.push(message) });
    const failing = await fetch(`${quiet.endpoint}/failing`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(failing.status).toBe(500);
    expect(await failing.json()).toEqual({ message: 'Internal Server Error' });
    expect(messages.join('\n')).toContain('failing failed on GET /failing');
    expect(messages.join('\n')).not.toContain('anna@example.org');
  });

  it('answers 503 when the function does not answer within the integration timeout', async () => {
    const pending = get('/slow');
    await vi.waitFor(() => expect(calls.map((call) => call.functionName)).toContain('slow'));
    clock.advance(30_000);
    const response = await pending;
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ message: 'Service Unavailable' });
  });
});

describe('the JWT authorizer', () => {
  const expectUnauthorized = async (response: Response) => {
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ message: 'Unauthorized' });
  };

  it('rejects a request without a token, without invoking the function', async () => {
    await expectUnauthorized(await fetch(`${api.endpoint}/orgs/o1/processes/p1`));
    expect(calls).toEqual([]);
  });

  it('rejects a token signed by another key', async () => {
    const otherKey = await loadOrCreateSigningKey();
    const forged = await issueDevelopmentToken(
      { orgId: 'org-jamtland', role: 'admin', now: clock.now() },
      otherKey,
    );
    await expectUnauthorized(await get('/orgs/o1/processes/p1', { authorization: `Bearer ${forged}` }));
    expect(calls).toEqual([]);
  });

  it('rejects an expired token, and one for another audience', async () => {
    const shortLived = await api.issueToken({ orgId: 'org-jamtland', role: 'facilitator', expiresIn: '1m' });
    expect((await get('/orgs/o1/processes/p1', { authorization: `Bearer ${shortLived}` })).status).toBe(200);
    clock.advance(2 * 60_000);
    await expectUnauthorized(await get('/orgs/o1/processes/p1', { authorization: `Bearer ${shortLived}` }));

    const otherAudience = await issueDevelopmentToken(
      { orgId: 'org-jamtland', role: 'facilitator', audience: 'another-app', now: clock.now() },
      api.signingKey,
    );
    await expectUnauthorized(
      await get('/orgs/o1/processes/p1', { authorization: `Bearer ${otherAudience}` }),
    );
    expect(calls).toHaveLength(1);
  });

  it('lets public routes through without a token and without an authorizer in the event', async () => {
    const response = await fetch(`${api.endpoint}/openapi.json`);
    expect(response.status).toBe(200);
    expect(calls[0]?.event.requestContext).not.toHaveProperty('authorizer');
  });

  it('accepts, after a restart, tokens issued from the persisted key (the CLI case)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'samskapa-auth-test-'));
    try {
      const keyDir = join(dataDir, 'auth');
      const fromCli = await issueDevelopmentToken(
        { orgId: 'org-1', role: 'operator', now: clock.now() },
        keyDir,
      );
      const first = await gateway({ keyDir });
      expect((await fetch(`${first.endpoint}/plain`, { headers: { authorization: fromCli } })).status).toBe(
        200,
      );
      await first.stop();
      const second = await gateway({ keyDir });
      expect(second.signingKey.kid).toBe(first.signingKey.kid);
      expect(
        (await fetch(`${second.endpoint}/plain`, { headers: { authorization: `Bearer ${fromCli}` } })).status,
      ).toBe(200);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('everything that is not a function route', () => {
  it('answers an unknown route, or a known path with another method, with 404', async () => {
    for (const response of [
      await get('/nowhere'),
      await fetch(`${api.endpoint}/orgs/o1/processes/p1`, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      }),
    ]) {
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ message: 'Not Found' });
    }
    expect(calls).toEqual([]);
  });

  it('serves static files under the root and nothing outside it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'samskapa-console-test-'));
    try {
      mkdirSync(join(root, 'assets'));
      writeFileSync(join(root, 'index.html'), '<h1>samskapa</h1>');
      writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
      const withConsole = await gateway({ staticRoot: root });
      const index = await fetch(`${withConsole.endpoint}/`);
      expect(index.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(await index.text()).toBe('<h1>samskapa</h1>');
      expect(await (await fetch(`${withConsole.endpoint}/assets/app.js`)).text()).toBe('console.log(1)');
      for (const outside of ['/..%2f..%2fetc%2fpasswd', '/assets/..%2f..%2f..%2fetc/passwd', '/%00']) {
        expect((await fetch(`${withConsole.endpoint}${outside}`)).status).toBe(404);
      }
      // Routes still win over files.
      expect((await fetch(`${withConsole.endpoint}/openapi.json`)).status).toBe(200);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('serves in-process routes added by the runtime, behind the same authorizer', async () => {
    api.addRoute({
      method: 'GET',
      path: '/ops/stream',
      handle: (_request, response, context) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.end(`data: ${context.claims?.['custom:orgId']}\n\n`);
      },
    });
    expect((await fetch(`${api.endpoint}/ops/stream`)).status).toBe(401);
    const stream = await get('/ops/stream');
    expect(stream.headers.get('content-type')).toBe('text/event-stream');
    expect(await stream.text()).toBe('data: org-jamtland\n\n');
    expect(api.routeKeys()).toContain('GET /ops/stream');
  });

  it('refuses a public route the topology does not declare', async () => {
    await expect(gateway({ publicRoutes: ['GET /not-declared'] })).rejects.toThrow(/GET \/not-declared/);
  });
});
