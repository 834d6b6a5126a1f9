/**
 * The API function with mocked AWS clients (aws-sdk-client-mock): who may call what, bad input on
 * every route (400 with field errors, nothing written), the domain errors as HTTP, and the calls
 * each route makes to DynamoDB and S3. A small in-memory table stands behind the DynamoDB mock so a
 * process can be built through the API itself.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchUpload,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { decodeTime } from 'ulid';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PipelineEvent } from '../../events/catalog.ts';
import * as E from '../../events/catalog.ts';
import { handler } from '../../functions/api/handler.ts';
import { traceOf } from '../../functions/api/ops.ts';
import { apiRoutes } from '../../functions/api/route-table.ts';
import { routes } from '../../functions/api/routes.ts';
import { handle, type ProcessState } from '../../shared/domain/process.ts';
import { reportToken } from '../../shared/mail/report-link.ts';
import { unsubscribeToken } from '../../shared/mail/unsubscribe.ts';
import { type HttpEvent, httpApi } from '../../shared/runtime/http.ts';
import { rows } from '../../shared/store/directory.ts';
import { CHANGE_ATTEMPTS } from '../../shared/store/process-store.ts';

vi.hoisted(() => {
  for (const name of Object.keys(process.env))
    if (name.startsWith('AWS_ENDPOINT_URL')) delete process.env[name];
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    TABLE_NAME: 'samskapa-test',
    BUCKET_NAME: 'samskapa-files',
    PUBLIC_API_URL: 'https://api.samskapa.test',
    AWS_REGION: 'eu-north-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
});

const dynamo = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
const sqs = mockClient(SQSClient);
const lambda = mockClient(LambdaClient);
afterAll(() => {
  dynamo.restore();
  s3.restore();
  sqs.restore();
  lambda.restore();
});

// ---------------------------------------------------------------------------------------------
// an in-memory table behind the DynamoDB mock

type Item = Record<string, unknown>;
const table = new Map<string, Item>();
const at = (pk: unknown, sk: unknown) => `${String(pk)}\u0000${String(sk)}`;
const clone = <T>(value: T): T => (value === undefined ? value : structuredClone(value));

function fakeTable() {
  table.clear();
  dynamo.reset();
  s3.reset();
  sqs.reset();
  lambda.reset();
  // No failure queues unless a test makes some.
  sqs.on(ListQueuesCommand).resolves({});
  dynamo.on(GetCommand).callsFake((input) => ({ Item: clone(table.get(at(input.Key.pk, input.Key.sk))) }));
  dynamo.on(PutCommand).callsFake((input) => {
    const key = at(input.Item.pk, input.Item.sk);
    if (String(input.ConditionExpression ?? '').includes('attribute_not_exists') && table.has(key))
      throw new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    table.set(key, clone(input.Item));
    return {};
  });
  dynamo.on(TransactWriteCommand).callsFake((input) => {
    for (const item of input.TransactItems ?? []) {
      if (item.Put) table.set(at(item.Put.Item.pk, item.Put.Item.sk), clone(item.Put.Item));
      if (item.Delete) table.delete(at(item.Delete.Key.pk, item.Delete.Key.sk));
    }
    return {};
  });
  dynamo.on(QueryCommand).callsFake((input) => {
    if (input.IndexName) return { Items: [] };
    const values = input.ExpressionAttributeValues ?? {};
    const start = `${values[':pk']}\u0000${values[':prefix'] ?? ''}`;
    const Items = [...table.entries()]
      .filter(([key]) => key.startsWith(start))
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([, item]) => clone(item));
    return { Items };
  });
}

const writes = () => [
  ...dynamo.commandCalls(TransactWriteCommand),
  ...dynamo.commandCalls(PutCommand),
  ...dynamo.commandCalls(UpdateCommand),
  ...dynamo.commandCalls(DeleteCommand),
];
const transactItems = () =>
  dynamo.commandCalls(TransactWriteCommand).flatMap((call) => call.args[0].input.TransactItems ?? []);
const outboxEvents = (): PipelineEvent[] =>
  transactItems()
    .filter((item) => String(item.Put?.Item?.sk).startsWith('OUTBOX#'))
    .map((item) => JSON.parse(String(item.Put?.Item?.detail)));

// ---------------------------------------------------------------------------------------------
// requests as API Gateway (payload 2.0) hands them over

const ORG = 'org-jh';
type Claims = Record<string, string>;
const as = (role: string, orgId = ORG, sub = `u-${role}`): Claims => ({
  'custom:orgId': orgId,
  'custom:role': role,
  sub,
});
const coordinator = as('coordinator');
const facilitator = as('facilitator', ORG, 'u-fac');

interface RequestOptions {
  path?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  text?: string;
  contentType?: string;
  claims?: Claims | null;
}

let requests = 0;
function event(routeKey: string, options: RequestOptions = {}): HttpEvent {
  const [method = 'GET', template = '/'] = routeKey.split(' ');
  const rawPath = template.replace(/\{(\w+)\+?\}/g, (_, name: string) =>
    encodeURIComponent(options.path?.[name] ?? ''),
  );
  const body = options.text ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const contentType = options.contentType ?? (options.text !== undefined ? 'text/csv' : 'application/json');
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: body === undefined ? {} : { 'content-type': contentType },
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(options.path ? { pathParameters: options.path } : {}),
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'api',
      domainName: 'api.samskapa.test',
      domainPrefix: 'api',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: `req-${++requests}`,
      routeKey,
      stage: '$default',
      time: '02/Mar/2026:09:00:00 +0000',
      timeEpoch: Date.UTC(2026, 2, 2, 9),
      ...(options.claims ? { authorizer: { jwt: { claims: options.claims, scopes: null } } } : {}),
    },
  };
}

const context = { functionName: 'api', awsRequestId: 'lambda-request' } as Context;
async function call(routeKey: string, options: RequestOptions = {}) {
  const claims = options.claims === undefined ? coordinator : options.claims;
  const result = await handler(event(routeKey, { ...options, claims }), context);
  const type = String(result.headers?.['content-type'] ?? '');
  return {
    status: result.statusCode,
    type,
    headers: result.headers ?? {},
    text: result.body,
    // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field in the tests.
    json: (type.includes('json') && result.body ? JSON.parse(result.body) : undefined) as any,
  };
}
const paths = (answer: { json: { errors: { path: string }[] } }) => answer.json.errors.map((e) => e.path);

// ---------------------------------------------------------------------------------------------
// a process built through the API

let processId = '';
async function seed() {
  fakeTable();
  await call('POST /users', {
    body: { userId: 'u-fac', name: 'Frida Facilitator', email: 'frida@example.org', role: 'facilitator' },
  });
  await call('POST /places', {
    body: { name: 'Hede', municipality: 'Härjedalen', region: 'Jämtland Härjedalen', population: 500 },
  });
  const started = await call('POST /processes', { body: { placeId: 'hede', facilitators: ['u-fac'] } });
  expect(started.status).toBe(201);
  processId = started.json.processId;
  const participant = (participantId: string, recording: boolean) =>
    call('POST /processes/{processId}/participants', {
      claims: facilitator,
      path: { processId },
      body: {
        participantId,
        name: `Anna ${participantId}`,
        email: `${participantId}@example.org`,
        sector: 'association',
        ageGroup: 'age30to49',
        locale: 'fi',
        consent: { recording, contact: true },
      },
    });
  expect((await participant('p-1', true)).status).toBe(201);
  expect((await participant('p-2', false)).status).toBe(201);
  const interview = await call('POST /processes/{processId}/interviews', {
    claims: facilitator,
    path: { processId },
    body: { interviewId: 'i-1', participantId: 'p-1' },
  });
  expect(interview.status).toBe(201);
  dynamo.resetHistory();
  s3.resetHistory();
}

const stateOf = (id = processId) => table.get(at(`ORG#${ORG}#PROC#${id}`, 'STATE'))?.state as ProcessState;

/** A fact from another function (results compiler, guide builder, ingest), applied as the stage engine would. */
function applyFact(definition: { create: (input: never) => unknown }, data: unknown) {
  const state = stateOf();
  const fact = (definition.create as (input: unknown) => PipelineEvent)({
    metadata: {
      orgId: ORG,
      placeId: state.placeId,
      processId,
      correlationId: state.correlationId,
      causationId: 'test',
      actor: { kind: 'system', id: 'test' },
    },
    data,
  });
  const next = handle(state, { kind: 'fact', event: fact });
  const pk = `ORG#${ORG}#PROC#${processId}`;
  const stored = table.get(at(pk, 'STATE')) as Item;
  table.set(at(pk, 'STATE'), { ...stored, state: next.state, version: Number(stored.version) + 1 });
  for (const e of [fact, ...next.events])
    table.set(at(pk, `EVENT#${e.metadata.id}`), {
      pk,
      sk: `EVENT#${e.metadata.id}`,
      detail: JSON.stringify(e),
    });
  return next.state;
}

beforeEach(seed);

// ---------------------------------------------------------------------------------------------

describe('auth: the verified claims decide the organisation and the role', () => {
  it('a protected route without claims is 401, before anything is read', async () => {
    dynamo.resetHistory();
    const answer = await call('GET /places', { claims: null });
    expect(answer.status).toBe(401);
    expect(answer.type).toBe('application/problem+json');
    expect(dynamo.calls()).toHaveLength(0);
  });

  it('a role the route table does not list is 403, and nothing is written', async () => {
    const byFacilitator = await call('POST /places', {
      claims: facilitator,
      body: { name: 'Vemdalen', municipality: 'Härjedalen', region: 'Jämtland' },
    });
    expect(byFacilitator.status).toBe(403);
    const byOps = await call('POST /processes', {
      claims: as('ops'),
      body: { placeId: 'hede', facilitators: ['u-fac'] },
    });
    expect(byOps.status).toBe(403);
    expect(byOps.json.title).toBe('Forbidden');
    expect(writes()).toHaveLength(0);
  });

  it('claims naming no organisation or no known role are 403', async () => {
    expect((await call('GET /places', { claims: { 'custom:role': 'coordinator', sub: 'u' } })).status).toBe(
      403,
    );
    expect((await call('GET /places', { claims: as('admin') })).status).toBe(403);
    expect((await call('GET /places', { claims: as('coordinator', 'org with spaces') })).status).toBe(403);
    expect(
      (await call('GET /places', { claims: { 'custom:orgId': ORG, 'custom:role': 'ops' } })).status,
    ).toBe(403);
  });

  it('an organisation in the body or the query never wins over the claims', async () => {
    const created = await call('POST /places', {
      body: { orgId: 'org-other', name: 'Lofsdalen', municipality: 'Härjedalen', region: 'Jämtland' },
      query: { orgId: 'org-other' },
    });
    expect(created.status).toBe(201);
    const [put] = dynamo.commandCalls(PutCommand);
    expect(put?.args[0].input.Item).toMatchObject({ pk: `ORG#${ORG}`, sk: 'PLACE#lofsdalen' });
    expect(put?.args[0].input.Item).not.toHaveProperty('orgId');

    dynamo.resetHistory();
    await call('GET /places/{placeId}', { path: { placeId: 'lofsdalen' }, query: { orgId: 'org-other' } });
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input.Key).toEqual({
      pk: `ORG#${ORG}`,
      sk: 'PLACE#lofsdalen',
    });
  });

  it('another organisation’s process does not exist for the caller', async () => {
    const answer = await call('GET /processes/{processId}', {
      claims: as('coordinator', 'org-other'),
      path: { processId },
    });
    expect(answer.status).toBe(404);
    expect(dynamo.commandCalls(GetCommand)[0]?.args[0].input.Key).toEqual({
      pk: `ORG#org-other#PROC#${processId}`,
      sk: 'STATE',
    });
  });

  it('a route without a table entry is denied (404), whoever calls', async () => {
    for (const claims of [coordinator, null]) {
      const answer = await call('DELETE /places/{placeId}', { claims, path: { placeId: 'hede' } });
      expect(answer.status).toBe(404);
      expect(answer.type).toBe('application/problem+json');
    }
    expect(writes()).toHaveLength(0);
  });

  it('public routes need no claims', async () => {
    const answer = await call('GET /openapi.json', { claims: null });
    expect(answer.status).toBe(200);
    expect(answer.json.openapi).toBe('3.1.0');
  });
});

// ---------------------------------------------------------------------------------------------

const MiB = 1024 * 1024;
const answers = {
  whatDidWeDo: 'Vi bjöd in.',
  whatDidItGive: 'Idéer.',
  whatIsWiseNow: 'Börja smått.',
  whatDoWeNeed: 'Tid.',
  nextConcreteStep: 'Ansöka.',
  whichStrengths: 'Nätverk.',
};

/** One bad request per route, and the field errors it must name. */
const badInput: Record<string, { options: RequestOptions; errors: string[] }> = {
  'GET /unsubscribe/{token}': { options: { path: { token: 'x'.repeat(2000) } }, errors: ['path.token'] },
  'POST /unsubscribe/{token}': { options: { path: { token: 'x'.repeat(2000) } }, errors: ['path.token'] },
  'GET /reports/{token}': { options: { path: { token: 'x'.repeat(2000) } }, errors: ['path.token'] },
  'GET /guides/{orgId}/{placeId}': {
    options: { path: { orgId: 'org jh', placeId: 'hede' } },
    errors: ['path.orgId'],
  },
  'POST /places': {
    options: { body: { name: '', region: 'J' } },
    errors: ['body.name', 'body.municipality'],
  },
  'POST /places/import': {
    options: { text: 'name,municipality,region,population\nHede,Härjedalen,J,500\nÅre,Åre,J,many\n' },
    errors: ['line.3.population'],
  },
  'GET /places/{placeId}': { options: { path: { placeId: 'hede/../x' } }, errors: ['path.placeId'] },
  'POST /users': {
    options: { body: { userId: 'u-2', name: 'Nils', email: 'not-an-email', role: 'admin' } },
    errors: ['body.email', 'body.role'],
  },
  'POST /processes': {
    options: { body: { placeId: 'hede', facilitators: [], locale: 'de' } },
    errors: ['body.locale', 'body.facilitators'],
  },
  'GET /processes': {
    options: { query: { stage: 'workshop', limit: '0' } },
    errors: ['query.limit', 'query.stage'],
  },
  'GET /processes/{processId}': { options: { path: { processId: '-bad' } }, errors: ['path.processId'] },
  'GET /processes/{processId}/timeline': { options: { path: { processId: '' } }, errors: ['path.processId'] },
  'POST /processes/{processId}/stages/{stage}/complete': {
    options: { path: { stage: 'Interviews' }, body: {} },
    errors: ['path.stage', 'body.reason'],
  },
  'POST /processes/{processId}/stages/{stage}/confirm': {
    options: { path: { stage: 'plans' }, body: { note: '' } },
    errors: ['body.note'],
  },
  'POST /processes/{processId}/participants': {
    options: { body: { name: 'Anna', email: 'anna@example.org', sector: 'church', ageGroup: 'age30to49' } },
    errors: ['body.sector', 'body.consent'],
  },
  'DELETE /processes/{processId}/participants/{participantId}': {
    options: { path: { participantId: 'p'.repeat(65) } },
    errors: ['path.participantId'],
  },
  'POST /processes/{processId}/interviews': {
    options: { body: { consentRecordedAt: 'yesterday' } },
    errors: ['body.participantId', 'body.consentRecordedAt'],
  },
  'POST /processes/{processId}/interviews/{interviewId}/upload': {
    options: {
      body: { fileName: 'film.exe', contentType: 'application/x-msdownload', size: 6 * 1024 * MiB },
    },
    errors: ['body.contentType', 'body.size'],
  },
  'POST /processes/{processId}/interviews/{interviewId}/upload/complete': {
    options: { body: { key: 'recordings/x', parts: [] } },
    errors: ['body.uploadId', 'body.parts'],
  },
  'PUT /processes/{processId}/interviews/{interviewId}/summary': {
    options: { body: { needs: [], wishes: [], challenges: [], quotes: [], themes: [] } },
    errors: ['body.themes'],
  },
  'POST /processes/{processId}/workshops': {
    options: {
      body: {
        startsAt: '2026-04-14T19:00:00.000Z',
        endsAt: '2026-04-14T16:00:00.000Z',
        venue: 'Bygdegården',
      },
    },
    errors: ['body.endsAt'],
  },
  'POST /processes/{processId}/workshops/{workshopId}/close': {
    options: { body: { attendance: [] } },
    errors: ['body.attendance'],
  },
  'POST /processes/{processId}/plans': {
    options: {
      body: {
        title: 'Brygga',
        goal: 'Bada',
        owner: { organisation: 'Byalaget', sector: 'church', contact: { name: 'Olle', email: 'olle' } },
        actions: [],
        dueDate: '2026-09-30',
      },
    },
    errors: ['body.owner.sector', 'body.owner.contact.email', 'body.actions'],
  },
  'POST /processes/{processId}/plans/{planId}/approve': {
    options: { path: { planId: 'plan 1' } },
    errors: ['path.planId'],
  },
  'POST /processes/{processId}/plans/{planId}/progress': {
    options: { body: { percent: 101, note: 'Halvvägs' } },
    errors: ['body.percent'],
  },
  'POST /processes/{processId}/plans/{planId}/complete': { options: { body: {} }, errors: ['body.outcome'] },
  'POST /processes/{processId}/reflections': {
    options: { body: { answers } },
    errors: ['body.answers.whatDidWeLearn'],
  },
  'GET /processes/{processId}/results': { options: { path: { processId: 'ä' } }, errors: ['path.processId'] },
  'GET /processes/{processId}/guide': { options: { path: { processId: 'ä' } }, errors: ['path.processId'] },
  'POST /processes/{processId}/guide/publish': {
    options: { path: { processId: 'ä' } },
    errors: ['path.processId'],
  },
  'GET /processes/{processId}/tasks': { options: { query: { status: 'later' } }, errors: ['query.status'] },
  'POST /processes/{processId}/tasks/{taskId}/complete': {
    options: { path: { taskId: '#1' } },
    errors: ['path.taskId'],
  },
  'GET /tasks/mine': { options: { query: { limit: '1000' } }, errors: ['query.limit'] },
  'GET /ops/events': {
    options: { query: { since: '2026-03-02T09:00:00Z', type: 'process started', limit: '501' } },
    errors: ['query.since', 'query.type', 'query.limit'],
  },
  'GET /ops/board': {
    options: { query: { state: 'late', stuckAfterHours: '0', limit: '501' } },
    errors: ['query.state', 'query.stuckAfterHours', 'query.limit'],
  },
  'GET /ops/processes/{processId}/trace': {
    options: { path: { processId: 'ä' } },
    errors: ['path.processId'],
  },
  'GET /ops/failures': { options: { query: { limit: '11' } }, errors: ['query.limit'] },
  'GET /ops/metrics': { options: { query: { minutes: '4' } }, errors: ['query.minutes'] },
  'POST /ops/failures/{queue}/redrive': {
    options: { path: { queue: 'stage engine' }, body: { messageIds: [] } },
    errors: ['path.queue', 'body.messageIds'],
  },
};
/** Routes that take no input at all, so no input can be bad. */
const withoutInput = ['GET /openapi.json', 'GET /places'];

describe('bad input: 400 with field errors, nothing written', () => {
  it('every route of the table is covered', () => {
    const keys = apiRoutes.map((route) => `${route.method} ${route.path}`);
    expect(keys.filter((key) => !withoutInput.includes(key)).sort()).toEqual(Object.keys(badInput).sort());
  });

  for (const [routeKey, { options, errors }] of Object.entries(badInput)) {
    it(routeKey, async () => {
      const entry = apiRoutes.find((route) => `${route.method} ${route.path}` === routeKey);
      const claims = entry?.auth === 'none' ? null : as(entry?.roles[0] ?? 'coordinator');
      const path = {
        processId,
        placeId: 'hede',
        participantId: 'p-1',
        interviewId: 'i-1',
        workshopId: 'w-1',
        planId: 'plan-1',
        taskId: 't-1',
        stage: 'interviews',
        token: 'token',
        orgId: ORG,
        ...options.path,
      };
      const answer = await call(routeKey, { ...options, path, claims });
      expect(answer.status).toBe(400);
      expect(answer.type).toBe('application/problem+json');
      expect(answer.json).toMatchObject({ status: 400, title: 'Invalid request' });
      expect(paths(answer)).toEqual(expect.arrayContaining(errors));
      expect(writes()).toHaveLength(0);
      expect(s3.calls()).toHaveLength(0);
      expect(sqs.calls()).toHaveLength(0);
      expect(lambda.calls()).toHaveLength(0);
    });
  }

  it('a body that is not JSON is a 400 naming the body', async () => {
    const result = await handler(
      { ...event('POST /places', { claims: coordinator, body: {} }), body: '{"name": ' },
      context,
    );
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).errors).toEqual([
      { path: 'body', message: 'The body is not valid JSON.' },
    ]);
  });

  it('a CSV import sent as something else than text is a 415', async () => {
    const answer = await call('POST /places/import', { text: '{}', contentType: 'application/xml' });
    expect(answer.status).toBe(415);
  });
});

// ---------------------------------------------------------------------------------------------

describe('domain errors as HTTP', () => {
  it('404: a process that does not exist', async () => {
    const answer = await call('PUT /processes/{processId}/interviews/{interviewId}/summary', {
      claims: facilitator,
      path: { processId: 'proc-missing', interviewId: 'i-1' },
      body: { needs: [], wishes: [], challenges: [], quotes: [], themes: ['badplats'] },
    });
    expect(answer.status).toBe(404);
    expect(answer.json).toMatchObject({
      type: 'https://samskapa.dev/problems/not-found',
      title: 'Not found',
    });
    expect(answer.json.detail).toContain('proc-missing');
    expect(writes()).toHaveLength(0);
  });

  it('409: scheduling a workshop in the interviews stage (wrong stage)', async () => {
    const answer = await call('POST /processes/{processId}/workshops', {
      claims: facilitator,
      path: { processId },
      body: {
        startsAt: '2026-04-14T16:00:00.000Z',
        endsAt: '2026-04-14T19:00:00.000Z',
        venue: 'Bygdegården',
      },
    });
    expect(answer.status).toBe(409);
    expect(answer.json.type).toBe('https://samskapa.dev/problems/wrong-stage');
    expect(writes()).toHaveLength(0);
  });

  it('409: registering the same participant twice (already done)', async () => {
    const answer = await call('POST /processes/{processId}/participants', {
      claims: facilitator,
      path: { processId },
      body: {
        participantId: 'p-1',
        name: 'Anna',
        email: 'anna@example.org',
        sector: 'business',
        ageGroup: 'age18to29',
        consent: { recording: true, contact: false },
      },
    });
    expect(answer.status).toBe(409);
    expect(answer.json.type).toBe('https://samskapa.dev/problems/already-done');
  });

  it('409: the workshop stage cannot be completed by hand', async () => {
    applyManualInterviewCompletion();
    const answer = await call('POST /processes/{processId}/stages/{stage}/complete', {
      claims: facilitator,
      path: { processId, stage: 'workshop' },
      body: { reason: 'Vi hoppar över den' },
    });
    expect(answer.status).toBe(409);
    expect(answer.json.type).toBe('https://samskapa.dev/problems/manual-completion-not-allowed');
  });

  it('422: an interview with a participant who did not consent to recording', async () => {
    const answer = await call('POST /processes/{processId}/interviews', {
      claims: facilitator,
      path: { processId },
      body: { participantId: 'p-2' },
    });
    expect(answer.status).toBe(422);
    expect(answer.json).toMatchObject({
      type: 'https://samskapa.dev/problems/consent-required',
      errors: [{ path: 'body.participantId' }],
    });
    expect(writes()).toHaveLength(0);
  });

  it('400: a method parameter that does not exist or is out of range names body.overrides', async () => {
    for (const overrides of [{ minimumInterviews: 0 }, { maximumCoffee: 3 }]) {
      const answer = await call('POST /processes', {
        body: { placeId: 'hede', facilitators: ['u-fac'], overrides },
      });
      expect(answer.status).toBe(400);
      expect(answer.json).toMatchObject({
        type: 'https://samskapa.dev/problems/invalid-parameter',
        errors: [{ path: 'body.overrides' }],
      });
    }
    const unknownMethod = await call('POST /processes', {
      body: { placeId: 'hede', facilitators: ['u-fac'], method: 'kaffeprat' },
    });
    expect(unknownMethod.status).toBe(400);
    expect(paths(unknownMethod)).toEqual(['body.method']);
    expect(writes()).toHaveLength(0);
  });

  it('409: a concurrent change that keeps winning', async () => {
    dynamo.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }],
      }),
    );
    const answer = await call('POST /processes/{processId}/stages/{stage}/confirm', {
      claims: facilitator,
      path: { processId, stage: 'interviews' },
    });
    expect(answer.status).toBe(409);
    expect(answer.json.type).toBe('https://samskapa.dev/problems/concurrent-change');
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(CHANGE_ATTEMPTS);
  });

  it('500 for the unexpected, without internals', async () => {
    dynamo.on(GetCommand).rejects(new Error('socket hang up at 10.0.3.7:443 (table samskapa-test)'));
    const answer = await call('GET /processes/{processId}', { path: { processId } });
    expect(answer.status).toBe(500);
    expect(answer.json).toMatchObject({ type: 'https://samskapa.dev/problems/internal', errors: [] });
    expect(answer.text).not.toContain('10.0.3.7');
    expect(answer.text).not.toContain('samskapa-test');
  });
});

function applyManualInterviewCompletion() {
  const state = stateOf();
  const next = handle(state, {
    kind: 'command',
    command: {
      type: 'completeStage',
      stage: 'interviews',
      reason: 'Tillräckligt många',
      orgId: ORG,
      actor: { kind: 'user', id: 'u-fac' },
      requestId: 'r',
    },
  });
  const pk = `ORG#${ORG}#PROC#${processId}`;
  table.set(at(pk, 'STATE'), { ...(table.get(at(pk, 'STATE')) as Item), state: next.state });
}

// ---------------------------------------------------------------------------------------------

describe('places and users', () => {
  it('a place id comes from its name; the same name elsewhere gets -2; the same place again is 409', async () => {
    const other = await call('POST /places', {
      body: { name: 'Hede', municipality: 'Ljusdal', region: 'Gävleborg' },
    });
    expect(other.status).toBe(201);
    expect(other.json.placeId).toBe('hede-2');
    expect(other.headers.location).toBe('/places/hede-2');
    const again = await call('POST /places', {
      body: { name: 'hede', municipality: 'härjedalen', region: 'J' },
    });
    expect(again.status).toBe(409);
    expect(again.json.type).toBe('https://samskapa.dev/problems/place-exists');
  });

  it('imports a CSV (semicolons, quotes, Swedish headers), skipping places that exist', async () => {
    const csv =
      '\uFEFFnamn;kommun;län;befolkning\r\nHede;Härjedalen;Jämtland;500\r\n"Åre; centrum";Åre;Jämtland;"3 200"\r\nVälje;Sölvesborg;Blekinge;\r\n';
    const answer = await call('POST /places/import', { text: csv });
    expect(answer.status).toBe(200);
    expect(answer.json.created.map((p: { placeId: string }) => p.placeId)).toEqual(['are-centrum', 'valje']);
    expect(answer.json.created[0]).toMatchObject({ name: 'Åre; centrum', population: 3200 });
    expect(answer.json.skipped).toEqual([{ line: 2, placeId: 'hede', reason: 'exists' }]);
    expect(dynamo.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.sk)).toEqual(
      expect.arrayContaining(['PLACE#hede', 'PLACE#are-centrum', 'PLACE#valje']),
    );
  });

  it('an import without the needed columns names line 1', async () => {
    const answer = await call('POST /places/import', { text: 'name,population\nHede,500\n' });
    expect(answer.status).toBe(400);
    expect(answer.json.errors[0]).toMatchObject({ path: 'line.1' });
    expect(answer.json.errors[0].message).toContain('municipality, region');
  });

  it('lists and gets places; an unknown place is 404', async () => {
    const list = await call('GET /places', { claims: as('ops') });
    expect(list.json.items.map((p: { placeId: string }) => p.placeId)).toEqual(['hede']);
    expect((await call('GET /places/{placeId}', { path: { placeId: 'hede' } })).json.name).toBe('Hede');
    expect((await call('GET /places/{placeId}', { path: { placeId: 'nowhere' } })).status).toBe(404);
  });

  it('adds a user with Directory.putUser', async () => {
    const answer = await call('POST /users', {
      body: { userId: 'u-ops', name: 'Otto', email: 'otto@example.org', locale: 'en', role: 'ops' },
    });
    expect(answer.status).toBe(201);
    expect(dynamo.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      pk: `ORG#${ORG}`,
      sk: 'USER#u-ops',
      role: 'ops',
      email: 'otto@example.org',
    });
  });
});

describe('processes', () => {
  it('starts a process in one transaction: state, timeline and outbox, for the claims’ organisation', async () => {
    const answer = await call('POST /processes', {
      body: { placeId: 'hede', facilitators: ['u-fac'], locale: 'en', overrides: { minimumInterviews: 4 } },
    });
    expect(answer.status).toBe(201);
    expect(answer.json.processId).toMatch(/^[0-9a-z]{26}$/);
    expect(answer.json).toMatchObject({ status: 'active', stage: { key: 'interviews', index: 0 } });
    expect(answer.json.emitted.slice(0, 2)).toEqual(['Process.Started', 'Stage.Started']);
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
    const state = transactItems()[0]?.Put?.Item;
    expect(state).toMatchObject({
      pk: `ORG#${ORG}#PROC#${answer.json.processId}`,
      sk: 'STATE',
      gsi1pk: `ORG#${ORG}#BOARD`,
      state: {
        placeName: 'Hede',
        municipality: 'Härjedalen',
        locale: 'en',
        parameters: { minimumInterviews: 4 },
      },
    });
    expect(outboxEvents()[0]?.metadata).toMatchObject({
      orgId: ORG,
      actor: { kind: 'user', id: 'u-coordinator' },
    });
  });

  it('an unknown place or facilitator in the body is a 404 naming the field', async () => {
    const answer = await call('POST /processes', {
      body: { placeId: 'nowhere', facilitators: ['u-fac', 'u-x'] },
    });
    expect(answer.status).toBe(404);
    expect(paths(answer)).toEqual(['body.placeId', 'body.facilitators.1']);
    expect(writes()).toHaveLength(0);
  });

  it('gets a process: current stage with names, counters against thresholds, open tasks', async () => {
    const answer = await call('GET /processes/{processId}', { claims: as('ops'), path: { processId } });
    expect(answer.status).toBe(200);
    expect(answer.json.stage).toMatchObject({
      key: 'interviews',
      name: { sv: 'Intervjuer', fi: 'Haastattelut', en: 'Interviews' },
      exitCriteria: [{ kind: 'count', fact: 'Interview.Summarised', count: 0, threshold: 8, holds: false }],
    });
    expect(answer.json.counters).toMatchObject({
      participants: { registered: 2, erased: 0 },
      interviews: { registered: 1, recorded: 0, summarised: 0 },
    });
    expect(answer.json.openTasks.map((t: { key: string }) => t.key)).toEqual([
      'plan-interviews',
      'summarise-interviews',
    ]);
    expect(answer.json.openTasks[0].title.sv).toContain('Boka intervjuer');
  });

  it('the timeline is every event in order, and carries no personal data', async () => {
    const answer = await call('GET /processes/{processId}/timeline', { path: { processId } });
    const types = answer.json.items.map((e: PipelineEvent) => e.metadata.type);
    expect(types[0]).toBe('Process.Started');
    expect(types).toContain('Participant.Registered');
    expect(types.at(-1)).toBe('Interview.Registered');
    expect(answer.text).not.toContain('example.org');
    expect(answer.text).not.toContain('Anna');
  });

  it('the board queries the byOrg index of the caller’s organisation, by method and stage, with a cursor', async () => {
    const next = { pk: 'x', sk: 'STATE', gsi1pk: `ORG#${ORG}#BOARD`, gsi1sk: 'smarta-orter#01#p' };
    dynamo.on(QueryCommand, { IndexName: 'byOrg' }).resolves({
      Items: [
        {
          updatedAt: '2026-03-02T09:00:00.000Z',
          state: {
            processId,
            placeId: 'hede',
            placeName: 'Hede',
            municipality: 'Härjedalen',
            method: 'smarta-orter',
            stageIndex: 1,
            status: 'active',
          },
        },
      ],
      LastEvaluatedKey: next,
    });
    const answer = await call('GET /processes', {
      query: { method: 'smarta-orter', stage: 'workshop', status: 'active', limit: '10' },
    });
    expect(answer.status).toBe(200);
    expect(answer.json.items[0]).toMatchObject({
      processId,
      stage: { key: 'workshop', index: 1, name: { en: 'Workshop' } },
    });
    const input = dynamo.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      IndexName: 'byOrg',
      KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
      ExpressionAttributeValues: {
        ':pk': `ORG#${ORG}#BOARD`,
        ':prefix': 'smarta-orter#01#',
        ':status': 'active',
      },
      Limit: 10,
    });
    const page2 = await call('GET /processes', { query: { cursor: answer.json.cursor } });
    expect(page2.status).toBe(200);
    expect(dynamo.commandCalls(QueryCommand)[1]?.args[0].input.ExclusiveStartKey).toEqual(next);

    const foreign = await call('GET /processes', {
      claims: as('coordinator', 'org-other'),
      query: { cursor: answer.json.cursor },
    });
    expect(foreign.status).toBe(400);
    expect(paths(foreign)).toEqual(['query.cursor']);
  });
});

describe('participants', () => {
  it('personal data goes only to the participant row, in the same transaction as Participant.Registered', async () => {
    const answer = await call('POST /processes/{processId}/participants', {
      claims: facilitator,
      path: { processId },
      body: {
        name: 'Greta Gustafsson',
        email: 'greta@example.org',
        sector: 'municipality',
        ageGroup: 'age65plus',
        consent: { recording: false, contact: true },
      },
    });
    expect(answer.status).toBe(201);
    const { participantId } = answer.json;
    expect(dynamo.commandCalls(TransactWriteCommand)).toHaveLength(1);
    const row = transactItems().find((i) => i.Put?.Item?.sk === `PARTICIPANT#${participantId}`)?.Put?.Item;
    expect(row).toMatchObject({ name: 'Greta Gustafsson', email: 'greta@example.org', locale: 'sv' });
    expect(row?.unsubscribeNonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const [registered] = outboxEvents();
    expect(registered?.metadata.type).toBe('Participant.Registered');
    expect(JSON.stringify(outboxEvents())).not.toMatch(/Greta|greta@/);
  });

  it('erasing deletes the recordings under each interview, blanks the row and emits Participant.Erased', async () => {
    s3.on(ListObjectsV2Command).callsFake((input) => ({
      Contents: input.Prefix.startsWith('recordings/')
        ? [{ Key: `${input.Prefix}intervju.m4a` }, { Key: `${input.Prefix}intervju.vtt` }]
        : [],
    }));
    s3.on(DeleteObjectCommand).resolves({});
    const answer = await call('DELETE /processes/{processId}/participants/{participantId}', {
      claims: facilitator,
      path: { processId, participantId: 'p-1' },
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ participantId: 'p-1', recordingsDeleted: 2 });
    const prefix = `${ORG}/hede/${processId}/i-1/`;
    expect(s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix)).toEqual([
      `recordings/${prefix}`,
      `quarantine/${prefix}`,
    ]);
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
      `recordings/${prefix}intervju.m4a`,
      `recordings/${prefix}intervju.vtt`,
    ]);
    const row = transactItems().find((i) => i.Put?.Item?.sk === 'PARTICIPANT#p-1')?.Put?.Item;
    expect(row).toMatchObject({ name: '', email: '', erasedAt: expect.any(String) });
    const erased = outboxEvents().find((e) => e.metadata.type === 'Participant.Erased');
    expect(erased?.data).toEqual({ participantId: 'p-1', recordingsDeleted: 2 });

    const again = await call('DELETE /processes/{processId}/participants/{participantId}', {
      claims: facilitator,
      path: { processId, participantId: 'p-1' },
    });
    expect(again.status).toBe(409);
    const unknown = await call('DELETE /processes/{processId}/participants/{participantId}', {
      claims: facilitator,
      path: { processId, participantId: 'p-9' },
    });
    expect(unknown.status).toBe(404);
  });
});

describe('recording uploads', () => {
  const upload = (body: Record<string, unknown>, interviewId = 'i-1') =>
    call('POST /processes/{processId}/interviews/{interviewId}/upload', {
      claims: facilitator,
      path: { processId, interviewId },
      body,
    });

  it('up to 100 MiB: one presigned PUT with the content type signed, under the interview’s key', async () => {
    const answer = await upload({
      fileName: 'C:\\inspelningar\\Intervju med Åsa.M4A',
      contentType: 'audio/mp4',
      size: 18_400_000,
    });
    expect(answer.status).toBe(200);
    const key = `recordings/${ORG}/hede/${processId}/i-1/Intervju-med-Asa.M4A`;
    expect(answer.json).toMatchObject({
      kind: 'single',
      key,
      method: 'PUT',
      headers: { 'content-type': 'audio/mp4' },
    });
    const url = new URL(answer.json.url);
    expect(url.pathname.endsWith(key)).toBe(true);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toContain('content-type');
    expect(s3.calls()).toHaveLength(0);
  });

  it('above 100 MiB: a multipart upload with a presigned URL per part', async () => {
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' });
    const size = 150 * MiB;
    const answer = await upload({
      fileName: 'workshop.mp4',
      contentType: 'video/mp4',
      size,
      partSize: 64 * MiB,
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({ kind: 'multipart', uploadId: 'upload-1', partSize: 64 * MiB });
    expect(answer.json.parts).toHaveLength(3);
    const part = new URL(answer.json.parts[2].url);
    expect(part.searchParams.get('partNumber')).toBe('3');
    expect(part.searchParams.get('uploadId')).toBe('upload-1');
    expect(s3.commandCalls(CreateMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
      Bucket: 'samskapa-files',
      Key: `recordings/${ORG}/hede/${processId}/i-1/workshop.mp4`,
      ContentType: 'video/mp4',
    });
  });

  it('transcripts are accepted; other types, unknown and recorded interviews are not', async () => {
    expect((await upload({ fileName: 'i.vtt', contentType: 'text/vtt', size: 2000 })).status).toBe(200);
    expect((await upload({ fileName: 'i.pdf', contentType: 'application/pdf', size: 2000 })).status).toBe(
      400,
    );
    expect((await upload({ fileName: 'i.m4a', contentType: 'audio/mp4', size: 2000 }, 'i-9')).status).toBe(
      404,
    );
    applyFact(E.InterviewRecorded, {
      interviewId: 'i-1',
      key: `recordings/${ORG}/hede/${processId}/i-1/i.m4a`,
      size: 2000,
      contentType: 'audio/mp4',
    });
    const recorded = await upload({ fileName: 'i.m4a', contentType: 'audio/mp4', size: 2000 });
    expect(recorded.status).toBe(409);
  });

  it('completes a multipart upload; S3’s refusals become 404 and 400', async () => {
    const key = `recordings/${ORG}/hede/${processId}/i-1/workshop.mp4`;
    const complete = (body: Record<string, unknown>) =>
      call('POST /processes/{processId}/interviews/{interviewId}/upload/complete', {
        claims: facilitator,
        path: { processId, interviewId: 'i-1' },
        body,
      });
    const parts = [
      { partNumber: 1, etag: '"a"' },
      { partNumber: 2, etag: '"b"' },
    ];
    s3.on(CompleteMultipartUploadCommand).resolvesOnce({ ETag: '"ab-2"' });
    const done = await complete({ key, uploadId: 'upload-1', parts });
    expect(done.status).toBe(200);
    expect(done.json).toEqual({ key, etag: '"ab-2"' });
    expect(s3.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input).toMatchObject({
      Key: key,
      UploadId: 'upload-1',
      MultipartUpload: {
        Parts: [
          { PartNumber: 1, ETag: '"a"' },
          { PartNumber: 2, ETag: '"b"' },
        ],
      },
    });

    s3.on(CompleteMultipartUploadCommand).rejects(new NoSuchUpload({ message: 'gone', $metadata: {} }));
    expect((await complete({ key, uploadId: 'upload-1', parts })).status).toBe(404);

    const elsewhere = await complete({
      key: `recordings/${ORG}/hede/${processId}/i-2/x.mp4`,
      uploadId: 'u',
      parts,
    });
    expect(elsewhere.status).toBe(400);
    expect(paths(elsewhere)).toEqual(['body.key']);
    const unordered = await complete({ key, uploadId: 'u', parts: [...parts].reverse() });
    expect(paths(unordered)).toEqual(['body.parts']);
  });
});

describe('summaries move the process on', () => {
  it('the eighth summary completes the interviews stage and starts the workshop', async () => {
    const summary = {
      needs: ['Mötesplats'],
      wishes: ['Badplats'],
      challenges: ['Buss'],
      quotes: [],
      themes: ['möten'],
    };
    for (let i = 2; i <= 8; i++) {
      await call('POST /processes/{processId}/interviews', {
        claims: facilitator,
        path: { processId },
        body: { interviewId: `i-${i}`, participantId: 'p-1' },
      });
    }
    let last: Awaited<ReturnType<typeof call>> | undefined;
    for (let i = 1; i <= 8; i++) {
      last = await call('PUT /processes/{processId}/interviews/{interviewId}/summary', {
        claims: facilitator,
        path: { processId, interviewId: `i-${i}` },
        body: summary,
      });
      expect(last.status).toBe(200);
    }
    expect(last?.json.stage).toEqual({ key: 'workshop', index: 1 });
    expect(last?.json.emitted).toEqual(
      expect.arrayContaining(['Interview.Summarised', 'Stage.Completed', 'Stage.Started']),
    );
  });
});

describe('plans, results and guides', () => {
  function toPlansStage() {
    applyManualInterviewCompletion();
    const state = stateOf();
    const next = handle(state, {
      kind: 'command',
      command: {
        type: 'scheduleWorkshop',
        workshopId: 'w-1',
        startsAt: '2026-04-14T16:00:00.000Z',
        endsAt: '2026-04-14T19:00:00.000Z',
        venue: 'Bygdegården',
        invitees: [],
        orgId: ORG,
        actor: { kind: 'user', id: 'u-fac' },
        requestId: 'r',
      },
    });
    const pk = `ORG#${ORG}#PROC#${processId}`;
    table.set(at(pk, 'STATE'), { ...(table.get(at(pk, 'STATE')) as Item), state: next.state });
  }

  it('plan contacts are stored with rows.planContacts, never in Plan.Proposed', async () => {
    toPlansStage();
    const closed = await call('POST /processes/{processId}/workshops/{workshopId}/close', {
      claims: facilitator,
      path: { processId, workshopId: 'w-1' },
      body: {
        attendance: [{ sector: 'association', ageGroup: 'age30to49', count: 9 }],
        ideas: [{ title: 'Ny brygga', votes: 12, proposedBy: 'association', themes: ['friluftsliv'] }],
      },
    });
    expect(closed.status).toBe(200);
    expect(closed.json.stage.key).toBe('results');
    applyFact(E.ResultsCompiled, E.ResultsCompiled.example);
    dynamo.resetHistory();

    const answer = await call('POST /processes/{processId}/plans', {
      claims: facilitator,
      path: { processId },
      body: {
        planId: 'plan-1',
        title: 'Ny brygga',
        goal: 'En trygg badplats',
        owner: {
          organisation: 'Hede byalag',
          sector: 'association',
          contact: { name: 'Olle Ordförande', email: 'olle@example.org' },
        },
        partners: [
          {
            organisation: 'Härjedalens kommun',
            sector: 'municipality',
            contact: { name: 'Kim', email: 'kim@example.org' },
          },
          { organisation: 'Hede Camping AB', sector: 'business' },
        ],
        actions: [{ what: 'Söka bygdemedel', who: 'Byalaget', when: '2026-06-01' }],
        dueDate: '2026-09-30',
      },
    });
    expect(answer.status).toBe(201);
    const contacts = transactItems().find((i) => i.Put?.Item?.sk === 'PLANCONTACTS#plan-1')?.Put?.Item;
    expect(contacts).toMatchObject({
      owner: { name: 'Olle Ordförande', email: 'olle@example.org' },
      partners: [{ name: 'Kim', email: 'kim@example.org' }],
    });
    const proposed = outboxEvents().find((e) => e.metadata.type === 'Plan.Proposed');
    expect(proposed?.data).toMatchObject({ owner: { organisation: 'Hede byalag', sector: 'association' } });
    expect(JSON.stringify(outboxEvents())).not.toMatch(/Olle|example\.org|Kim/);

    const progressEarly = await call('POST /processes/{processId}/plans/{planId}/progress', {
      claims: facilitator,
      path: { processId, planId: 'plan-1' },
      body: { percent: 10, note: 'Ansökan skickad' },
    });
    expect(progressEarly.status).toBe(409);
    expect(progressEarly.json.type).toBe('https://samskapa.dev/problems/not-ready');
    const approved = await call('POST /processes/{processId}/plans/{planId}/approve', {
      claims: facilitator,
      path: { processId, planId: 'plan-1' },
    });
    expect(approved.status).toBe(200);
    expect(approved.json.emitted).toEqual(['Plan.Approved', 'Notification.Requested']);
  });

  it('results: 404 until compiled, then the data and presigned links to the report files', async () => {
    const before = await call('GET /processes/{processId}/results', {
      claims: as('ops'),
      path: { processId },
    });
    expect(before.status).toBe(404);
    expect(before.json.detail).toContain('not been compiled');
    applyFact(E.ResultsCompiled, E.ResultsCompiled.example);
    const answer = await call('GET /processes/{processId}/results', {
      claims: as('ops'),
      path: { processId },
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toMatchObject({
      interviews: 8,
      ideas: 12,
      themes: [{ theme: 'mötesplatser', rank: 1 }],
    });
    const link = new URL(answer.json.links.html);
    expect(link.pathname.endsWith(E.ResultsCompiled.example.reportKeys.html)).toBe(true);
    expect(link.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(Object.keys(answer.json.links).sort()).toEqual(['html', 'json', 'markdown']);
  });

  it('guide: 404 until generated; publishing records the stable path, and the public link serves it once published', async () => {
    expect((await call('GET /processes/{processId}/guide', { path: { processId } })).status).toBe(404);
    expect(
      (await call('POST /processes/{processId}/guide/publish', { claims: facilitator, path: { processId } }))
        .status,
    ).toBe(409);
    // Straight to the guides stage: the published guide must come after Guide.Generated.
    const pk = `ORG#${ORG}#PROC#${processId}`;
    const state = stateOf();
    table.set(at(pk, 'STATE'), {
      ...(table.get(at(pk, 'STATE')) as Item),
      state: {
        ...state,
        stageIndex: 4,
        stages: [...state.stages, { stage: 'guides', startedAt: state.stageStartedAt }],
      },
    });
    const keys = {
      markdown: `guides/${ORG}/hede/${processId}/guide.md`,
      html: `guides/${ORG}/hede/${processId}/guide.html`,
    };
    applyFact(E.GuideGenerated, { guideId: 'guide-1', locale: 'sv', keys });

    const publicBefore = await call('GET /guides/{orgId}/{placeId}', {
      claims: null,
      path: { orgId: ORG, placeId: 'hede' },
    });
    expect(publicBefore.status).toBe(404);

    const guide = await call('GET /processes/{processId}/guide', { path: { processId } });
    expect(guide.json).toMatchObject({ guideId: 'guide-1', status: 'generated', locale: 'sv' });
    expect(new URL(guide.json.links.html).pathname.endsWith(keys.html)).toBe(true);

    const published = await call('POST /processes/{processId}/guide/publish', {
      claims: facilitator,
      path: { processId },
    });
    expect(published.status).toBe(200);
    expect(published.json).toMatchObject({
      guideId: 'guide-1',
      path: `/guides/${ORG}/hede`,
      url: `https://api.samskapa.test/guides/${ORG}/hede`,
    });
    expect(outboxEvents().find((e) => e.metadata.type === 'Guide.Published')?.data).toEqual({
      guideId: 'guide-1',
      path: `/guides/${ORG}/hede`,
    });
    expect(transactItems().find((i) => i.Put?.Item?.sk === 'GUIDE#hede')?.Put?.Item).toMatchObject({
      pk: `ORG#${ORG}`,
      processId,
      keys,
    });

    s3.on(GetObjectCommand, { Key: keys.html }).resolves({
      // biome-ignore lint/suspicious/noExplicitAny: the part of the SDK's stream body the route reads.
      Body: { transformToString: async () => '<h1>Guide för Hede</h1>' } as any,
    });
    const page = await call('GET /guides/{orgId}/{placeId}', {
      claims: null,
      path: { orgId: ORG, placeId: 'hede' },
    });
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.text).toBe('<h1>Guide för Hede</h1>');
    expect(page.headers['content-security-policy']).toContain("default-src 'none'");
    const other = await call('GET /guides/{orgId}/{placeId}', {
      claims: null,
      path: { orgId: 'org-other', placeId: 'hede' },
    });
    expect(other.status).toBe(404);
  });
});

describe('tasks', () => {
  it('lists the tasks of a process and completes one; a done task is 409', async () => {
    const list = await call('GET /processes/{processId}/tasks', { path: { processId } });
    expect(list.json.items).toHaveLength(2);
    const [first] = list.json.items;
    const done = await call('POST /processes/{processId}/tasks/{taskId}/complete', {
      claims: facilitator,
      path: { processId, taskId: first.taskId },
    });
    expect(done.status).toBe(200);
    const task = transactItems().find((i) => i.Put?.Item?.sk === `TASK#${first.taskId}`)?.Put?.Item;
    expect(task).toMatchObject({ status: 'done' });
    expect(task).not.toHaveProperty('gsi2pk');
    const again = await call('POST /processes/{processId}/tasks/{taskId}/complete', {
      claims: facilitator,
      path: { processId, taskId: first.taskId },
    });
    expect(again.status).toBe(409);
    const open = await call('GET /processes/{processId}/tasks', { path: { processId } });
    expect(open.json.items).toHaveLength(1);
    const all = await call('GET /processes/{processId}/tasks', {
      path: { processId },
      query: { status: 'all' },
    });
    expect(all.json.items).toHaveLength(2);
  });

  it('mine: the byAssignee index of the caller (sub) in the caller’s organisation', async () => {
    dynamo.on(QueryCommand, { IndexName: 'byAssignee' }).resolves({
      Items: [
        {
          taskId: 't-1',
          processId,
          placeId: 'hede',
          key: 'plan-interviews',
          status: 'open',
          dueAt: '2026-03-09T09:00:00.000Z',
        },
      ],
    });
    const answer = await call('GET /tasks/mine', { claims: facilitator });
    expect(answer.status).toBe(200);
    expect(answer.json.items[0]).toMatchObject({
      taskId: 't-1',
      title: { en: expect.stringContaining('Book interviews') },
    });
    expect(answer.json).not.toHaveProperty('cursor');
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      IndexName: 'byAssignee',
      KeyConditionExpression: 'gsi2pk = :pk',
      ExpressionAttributeValues: { ':pk': `ORG#${ORG}#ASSIGNEE#u-fac` },
      Limit: 50,
    });
  });
});

describe('operations', () => {
  const ops = as('ops');
  const stored = (event: PipelineEvent) => ({
    pk: `ORG#${ORG}#PROC#${event.metadata.processId}`,
    gsi1sk: event.metadata.id,
    type: event.metadata.type,
    detail: JSON.stringify(event),
  });
  const timeline = () =>
    [...table.values()]
      .filter((item) => String(item.sk).startsWith('EVENT#'))
      .map((item) => JSON.parse(String(item.detail)) as PipelineEvent)
      .sort((a, b) => (a.metadata.id < b.metadata.id ? -1 : 1));

  it('only ops and coordinators may read them: a facilitator is 403 and nothing is read', async () => {
    for (const [routeKey, options] of [
      ['GET /ops/events', {}],
      ['GET /ops/board', {}],
      ['GET /ops/processes/{processId}/trace', { path: { processId } }],
    ] as const) {
      dynamo.resetHistory();
      const answer = await call(routeKey, { ...options, claims: facilitator });
      expect(answer.status, routeKey).toBe(403);
      expect(dynamo.calls()).toHaveLength(0);
      expect((await call(routeKey, { ...options, claims: ops })).status, routeKey).toBe(200);
      expect((await call(routeKey, { ...options, claims: coordinator })).status, routeKey).toBe(200);
    }
  });

  it('events: the byOrg index after `since` (default the last hour), filtered, `next` past everything read', async () => {
    const events = timeline();
    expect(events.length).toBeGreaterThan(3);
    dynamo.on(QueryCommand, { IndexName: 'byOrg' }).resolves({ Items: events.map(stored) });
    const started = Date.now();
    const all = await call('GET /ops/events', { claims: ops });
    expect(all.status).toBe(200);
    expect(all.json.items.map((e: PipelineEvent) => e.metadata.id)).toEqual(events.map((e) => e.metadata.id));
    expect(all.json.next).toBe(events.at(-1)?.metadata.id);
    const input = dynamo.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      IndexName: 'byOrg',
      KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk > :since',
      ExpressionAttributeValues: { ':pk': `ORG#${ORG}#EVENTS` },
    });
    // The lower bound of a time an hour ago: its 10 time characters, then the lowest randomness.
    const since = String(input?.ExpressionAttributeValues?.[':since']);
    expect(since).toMatch(/^[0-9A-HJKMNP-TV-Z]{10}0{16}$/);
    expect(decodeTime(since)).toBeGreaterThanOrEqual(started - 3_600_000 - 1000);
    expect(decodeTime(since)).toBeLessThanOrEqual(Date.now() - 3_600_000);

    dynamo.resetHistory();
    const given = events[0]?.metadata.id.toLowerCase() ?? '';
    const filtered = await call('GET /ops/events', {
      claims: ops,
      query: { since: given, type: 'Participant.Registered', processId, placeId: 'hede' },
    });
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':since': given.toUpperCase(),
    });
    expect(filtered.json.items.map((e: PipelineEvent) => e.metadata.type)).toEqual([
      'Participant.Registered',
      'Participant.Registered',
    ]);
    // The last event read did not match, and `next` is still past it: a poller does not read it again.
    expect(filtered.json.next).toBe(events.at(-1)?.metadata.id);
    expect(filtered.text).not.toContain('example.org');

    const otherPlace = await call('GET /ops/events', { claims: ops, query: { placeId: 'sveg' } });
    expect(otherPlace.json.items).toEqual([]);
    const otherProcess = await call('GET /ops/events', { claims: ops, query: { processId: 'p-other' } });
    expect(otherProcess.json.items).toEqual([]);

    const two = await call('GET /ops/events', { claims: ops, query: { limit: '2' } });
    expect(two.json.items).toHaveLength(2);
    expect(two.json.next).toBe(events[1]?.metadata.id);
  });

  it('events: nothing new answers `next` = the `since` given, so the poller stays where it is', async () => {
    dynamo.on(QueryCommand, { IndexName: 'byOrg' }).resolves({ Items: [] });
    const since = '01KJP1X7Z8ABCDEFGHJKMNPQRS';
    const answer = await call('GET /ops/events', { claims: ops, query: { since } });
    expect(answer.json).toEqual({ items: [], next: since });
  });

  it('board: a row per process with stage names, time in stage, open and overdue tasks, stuck', async () => {
    const old = new Date(Date.now() - 100 * 3_600_000).toISOString();
    const recent = new Date(Date.now() - 3_600_000).toISOString();
    const row = (id: string, status: string, lastEventAt: string) => ({
      pk: `ORG#${ORG}#PROC#${id}`,
      sk: 'STATE',
      state: {
        processId: id,
        placeId: `place-${id}`,
        placeName: 'Hede',
        municipality: 'Härjedalen',
        method: 'smarta-orter',
        status,
        stageIndex: 1,
        stageStartedAt: old,
        lastEventAt,
        tasks: {
          t1: { status: 'open', overdue: true },
          t2: { status: 'open', overdue: false },
          t3: { status: 'done', overdue: true },
        },
      },
    });
    const next = { pk: 'x', sk: 'STATE', gsi1pk: `ORG#${ORG}#BOARD`, gsi1sk: 'smarta-orter#01#p' };
    dynamo.on(QueryCommand, { IndexName: 'byOrg' }).resolves({
      Items: [row('p-1', 'active', old), row('p-2', 'active', recent), row('p-3', 'completed', old)],
      LastEvaluatedKey: next,
    });
    const answer = await call('GET /ops/board', { claims: ops });
    expect(answer.status).toBe(200);
    expect(answer.json.items[0]).toEqual({
      processId: 'p-1',
      placeId: 'place-p-1',
      placeName: 'Hede',
      municipality: 'Härjedalen',
      method: 'smarta-orter',
      status: 'active',
      stage: { key: 'workshop', index: 1, name: expect.objectContaining({ en: 'Workshop' }) },
      stageStartedAt: old,
      timeInStageSeconds: expect.any(Number),
      lastEventAt: old,
      openTasks: 2,
      overdueTasks: 1,
      stuck: true,
      failed: false,
    });
    expect(answer.json.items[0].timeInStageSeconds).toBeGreaterThanOrEqual(100 * 3600);
    expect(answer.json.items.map((r: { stuck: boolean }) => r.stuck)).toEqual([true, false, false]);
    expect(answer.json.items.map((r: { failed: boolean }) => r.failed)).toEqual([false, false, false]);
    expect(dynamo.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      IndexName: 'byOrg',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': `ORG#${ORG}#BOARD` },
      Limit: 100,
    });

    dynamo.resetHistory();
    const stuck = await call('GET /ops/board', {
      claims: coordinator,
      query: {
        method: 'smarta-orter',
        stage: 'workshop',
        municipality: 'Härjedalen',
        state: 'stuck',
        stuckAfterHours: '24',
        cursor: answer.json.cursor,
        limit: '500',
      },
    });
    expect(stuck.status).toBe(200);
    const input = dynamo.commandCalls(QueryCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      KeyConditionExpression: 'gsi1pk = :pk AND begins_with(gsi1sk, :prefix)',
      ExclusiveStartKey: next,
      Limit: 500,
      ExpressionAttributeValues: {
        ':prefix': 'smarta-orter#01#',
        ':municipality': 'Härjedalen',
        ':status': 'active',
      },
    });
    const cutoff = Date.parse(String(input?.ExpressionAttributeValues?.[':cutoff']));
    expect(Math.abs(cutoff - (Date.now() - 24 * 3_600_000))).toBeLessThan(5_000);
    expect(input?.FilterExpression).toMatch(/= :municipality AND .* = :status AND .* < :cutoff$/);

    const noMethod = await call('GET /ops/board', { claims: ops, query: { stage: 'workshop' } });
    expect(paths(noMethod)).toEqual(['query.stage']);
    const foreign = await call('GET /ops/board', {
      claims: as('ops', 'org-other'),
      query: { cursor: answer.json.cursor },
    });
    expect(foreign.status).toBe(400);
    expect(paths(foreign)).toEqual(['query.cursor']);
  });

  it('trace: nodes, cause -> effect edges with durations, handledBy from the system actors', async () => {
    const missing = await call('GET /ops/processes/{processId}/trace', {
      claims: ops,
      path: { processId: 'p-none' },
    });
    expect(missing.status).toBe(404);

    const answer = await call('GET /ops/processes/{processId}/trace', { claims: ops, path: { processId } });
    expect(answer.status).toBe(200);
    const started = answer.json.nodes.find((n: { type: string }) => n.type === 'Process.Started');
    expect(started).toMatchObject({ root: true, actor: { kind: 'user', id: 'u-coordinator' }, depth: 0 });
    expect(answer.json.causes[0].events).toContain(started.id);
    expect(answer.text).not.toContain('example.org');

    const event = (id: string, causationId: string, occurredAt: string, actor: string) =>
      ({
        metadata: {
          id,
          type: 'Test.Happened',
          occurredAt,
          placeId: 'hede',
          processId,
          causationId,
          actor: { kind: actor === 'u-1' ? 'user' : 'system', id: actor },
          depth: 0,
        },
        data: {},
      }) as const;
    const graph = traceOf(processId, [
      event('A', 'req-1', '2026-03-02T09:00:00.000Z', 'u-1'),
      event('B', 'A', '2026-03-02T09:00:00.250Z', 'stageEngine'),
      event('C', 'A', '2026-03-02T09:00:01.000Z', 'notifier'),
      event('D', 'C', '2026-03-02T09:00:01.500Z', 'notifier'),
    ]);
    expect(graph.edges).toEqual([
      { from: 'A', to: 'B', durationMs: 250 },
      { from: 'A', to: 'C', durationMs: 1000 },
      { from: 'C', to: 'D', durationMs: 500 },
    ]);
    expect(graph.nodes.map((n) => [n.id, n.root, n.handledBy])).toEqual([
      ['A', true, ['notifier', 'stageEngine']],
      ['B', false, []],
      ['C', false, ['notifier']],
      ['D', false, []],
    ]);
    expect(graph.causes).toEqual([{ id: 'req-1', actor: { kind: 'user', id: 'u-1' }, events: ['A'] }]);
  });
});

describe('failures: the failure queues and their redrive', () => {
  const ops = as('ops');
  const PREFIX = 'samskapa-test-';
  const url = (name: string) => `https://sqs.eu-north-1.amazonaws.com/123456789012/${PREFIX}${name}`;
  const detail = (orgId: string, processId: string) => ({
    metadata: { id: `ev-${processId}`, type: 'Interview.Recorded', orgId, placeId: 'hede', processId },
    data: { interviewId: 'i-1' },
  });
  const event = (orgId: string, processId: string) => ({
    id: `eb-${processId}`,
    'detail-type': 'Interview.Recorded',
    source: 'samskapa.pipeline',
    detail: detail(orgId, processId),
  });
  /** Lambda's on-failure record, as the function's destination queue holds it. */
  const lambdaRecord = (id: string, orgId: string, processId: string) => ({
    MessageId: id,
    ReceiptHandle: `handle-${id}`,
    Body: JSON.stringify({
      version: '1.0',
      timestamp: '2026-03-02T09:00:00.000Z',
      requestContext: {
        requestId: 'r-1',
        functionArn: 'arn:aws:lambda:eu-north-1:123456789012:function:samskapa-test-stageEngine:$LATEST',
        condition: 'RetriesExhausted',
        approximateInvokeCount: 3,
      },
      requestPayload: event(orgId, processId),
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: {
        errorType: 'ConditionalCheckFailedException',
        errorMessage: 'The conditional request failed',
      },
    }),
    Attributes: { SentTimestamp: String(Date.UTC(2026, 2, 2, 9, 5)) },
  });
  /** A rule target's DLQ message: the event, EventBridge's error in the attributes. */
  const dlqMessage = (id: string, processId: string) => ({
    MessageId: id,
    ReceiptHandle: `handle-${id}`,
    Body: JSON.stringify(event(ORG, processId)),
    Attributes: { SentTimestamp: String(Date.UTC(2026, 2, 2, 9, 6)) },
    MessageAttributes: {
      ERROR_CODE: { DataType: 'String', StringValue: 'NO_RESOURCE' },
      ERROR_MESSAGE: { DataType: 'String', StringValue: 'Function not found' },
      RETRY_ATTEMPTS: { DataType: 'Number', StringValue: '8' },
    },
  });

  beforeEach(() => {
    vi.stubEnv('FAILURE_QUEUE_PREFIX', PREFIX);
    vi.stubEnv('FUNCTION_NAME_PREFIX', PREFIX);
    sqs.on(ListQueuesCommand).resolves({
      QueueUrls: [url('stageEngine-failures'), url('stage-engine-facts-dlq'), url('outbox-dlq')],
    });
    sqs.on(GetQueueAttributesCommand).callsFake((input) => ({
      Attributes: { ApproximateNumberOfMessages: String(input.QueueUrl.endsWith('outbox-dlq') ? 4 : 2) },
    }));
    sqs.on(ReceiveMessageCommand).resolves({});
    sqs.on(ReceiveMessageCommand, { QueueUrl: url('stageEngine-failures') }).resolves({
      Messages: [lambdaRecord('m-1', ORG, 'p-1'), lambdaRecord('m-2', 'org-other', 'p-9')],
    });
    sqs.on(ReceiveMessageCommand, { QueueUrl: url('stage-engine-facts-dlq') }).resolves({
      Messages: [dlqMessage('m-3', 'p-2')],
    });
  });
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it("lists every queue by the stack prefix, peeks without hiding, and shows only the caller's organisation", async () => {
    const answer = await call('GET /ops/failures', { claims: ops });
    expect(answer.status).toBe(200);
    expect(sqs.commandCalls(ListQueuesCommand)[0]?.args[0].input).toEqual({ QueueNamePrefix: PREFIX });
    const receives = sqs.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input);
    expect(receives.map((input) => input.QueueUrl).sort()).toEqual(
      [url('stage-engine-facts-dlq'), url('stageEngine-failures')].sort(),
    );
    for (const input of receives)
      expect(input).toMatchObject({ MaxNumberOfMessages: 10, VisibilityTimeout: 0, WaitTimeSeconds: 0 });
    expect(answer.json.queues).toEqual([
      { queue: 'outbox-dlq', kind: 'other', function: null, rule: null, depth: 4, messages: [] },
      {
        queue: 'stage-engine-facts-dlq',
        kind: 'rule',
        function: 'stageEngine',
        rule: 'stage-engine-facts',
        depth: 2,
        messages: [
          {
            queue: 'stage-engine-facts-dlq',
            messageId: 'm-3',
            receiptHandle: 'handle-m-3',
            function: 'stageEngine',
            error: { type: 'NO_RESOURCE', message: 'Function not found' },
            attempts: 9,
            event: { id: 'ev-p-2', type: 'Interview.Recorded', processId: 'p-2', placeId: 'hede' },
            sentAt: '2026-03-02T09:06:00.000Z',
          },
        ],
      },
      {
        queue: 'stageEngine-failures',
        kind: 'function',
        function: 'stageEngine',
        rule: null,
        depth: 2,
        messages: [
          {
            queue: 'stageEngine-failures',
            messageId: 'm-1',
            receiptHandle: 'handle-m-1',
            function: 'stageEngine',
            error: { type: 'ConditionalCheckFailedException', message: 'The conditional request failed' },
            attempts: 3,
            event: { id: 'ev-p-1', type: 'Interview.Recorded', processId: 'p-1', placeId: 'hede' },
            sentAt: '2026-03-02T09:05:00.000Z',
          },
        ],
      },
    ]);
    expect(answer.text).not.toContain('p-9');

    const depthOnly = await call('GET /ops/failures', { claims: coordinator, query: { limit: '0' } });
    expect(depthOnly.json.queues.every((q: { messages: unknown[] }) => q.messages.length === 0)).toBe(true);
  });

  it('redrives to the one consumer: Invoke (Event) with the original event, then DeleteMessage', async () => {
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: url('stageEngine-failures') });
    sqs
      .on(ReceiveMessageCommand, { QueueUrl: url('stageEngine-failures') })
      .resolvesOnce({ Messages: [lambdaRecord('m-1', ORG, 'p-1'), lambdaRecord('m-2', 'org-other', 'p-9')] })
      .resolves({});
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const answer = await call('POST /ops/failures/{queue}/redrive', {
      claims: ops,
      path: { queue: 'stageEngine-failures' },
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({
      queue: 'stageEngine-failures',
      function: 'stageEngine',
      redriven: ['m-1'],
      failed: [],
    });
    expect(sqs.commandCalls(GetQueueUrlCommand)[0]?.args[0].input).toEqual({
      QueueName: `${PREFIX}stageEngine-failures`,
    });
    expect(sqs.commandCalls(ReceiveMessageCommand)[0]?.args[0].input.VisibilityTimeout).toBeGreaterThan(0);
    const invokes = lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input);
    expect(invokes).toHaveLength(1);
    expect(invokes[0]).toMatchObject({ FunctionName: `${PREFIX}stageEngine`, InvocationType: 'Event' });
    expect(JSON.parse(new TextDecoder().decode(invokes[0]?.Payload as Uint8Array))).toEqual(
      event(ORG, 'p-1'),
    );
    expect(sqs.commandCalls(DeleteMessageCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: url('stageEngine-failures'), ReceiptHandle: 'handle-m-1' },
    ]);
    // Another organisation's message is released, untouched.
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: url('stageEngine-failures'), ReceiptHandle: 'handle-m-2', VisibilityTimeout: 0 },
    ]);
  });

  it('a rule DLQ redrives the event itself; a failed Invoke or an unknown id stays and is reported', async () => {
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: url('stage-engine-facts-dlq') });
    sqs
      .on(ReceiveMessageCommand, { QueueUrl: url('stage-engine-facts-dlq') })
      .resolvesOnce({ Messages: [dlqMessage('m-3', 'p-2'), dlqMessage('m-4', 'p-3')] })
      .resolves({});
    lambda
      .on(InvokeCommand)
      .resolvesOnce({ StatusCode: 202 })
      .rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }));
    const answer = await call('POST /ops/failures/{queue}/redrive', {
      claims: ops,
      path: { queue: 'stage-engine-facts-dlq' },
      body: { messageIds: ['m-3', 'm-4', 'm-gone'] },
    });
    expect(answer.json).toEqual({
      queue: 'stage-engine-facts-dlq',
      function: 'stageEngine',
      redriven: ['m-3'],
      failed: [
        { id: 'm-4', error: 'ResourceNotFoundException: Function not found' },
        { id: 'm-gone', error: 'not in the queue (or not visible now)' },
      ],
    });
    const payload = lambda.commandCalls(InvokeCommand)[0]?.args[0].input.Payload as Uint8Array;
    expect(JSON.parse(new TextDecoder().decode(payload))).toEqual(event(ORG, 'p-2'));
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(1);
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand)[0]?.args[0].input.ReceiptHandle).toBe(
      'handle-m-4',
    );
  });

  it('404 for a queue that does not exist, 409 for one without a consumer, 403 for a facilitator', async () => {
    sqs.on(GetQueueUrlCommand).rejects(new QueueDoesNotExist({ message: 'no', $metadata: {} }));
    const missing = await call('POST /ops/failures/{queue}/redrive', {
      claims: ops,
      path: { queue: 'nothing-failures' },
    });
    expect(missing.status).toBe(404);
    sqs.on(GetQueueUrlCommand).resolves({ QueueUrl: url('outbox-dlq') });
    const other = await call('POST /ops/failures/{queue}/redrive', {
      claims: ops,
      path: { queue: 'outbox-dlq' },
    });
    expect(other.status).toBe(409);
    expect(lambda.calls()).toHaveLength(0);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);

    sqs.resetHistory();
    for (const [routeKey, options] of [
      ['GET /ops/failures', {}],
      ['POST /ops/failures/{queue}/redrive', { path: { queue: 'stageEngine-failures' } }],
    ] as const) {
      expect((await call(routeKey, { ...options, claims: facilitator })).status, routeKey).toBe(403);
    }
    expect(sqs.calls()).toHaveLength(0);
    expect(lambda.calls()).toHaveLength(0);
  });

  it("board: failed marks a process with a message in any failure queue (the caller's organisation only)", async () => {
    const row = (id: string) => ({
      pk: `ORG#${ORG}#PROC#${id}`,
      sk: 'STATE',
      state: {
        processId: id,
        placeId: 'hede',
        placeName: 'Hede',
        municipality: 'Härjedalen',
        method: 'smarta-orter',
        status: 'active',
        stageIndex: 0,
        stageStartedAt: new Date().toISOString(),
        lastEventAt: new Date().toISOString(),
      },
    });
    dynamo.on(QueryCommand, { IndexName: 'byOrg' }).resolves({
      Items: [row('p-1'), row('p-2'), row('p-9'), row('p-4')],
    });
    const answer = await call('GET /ops/board', { claims: ops });
    expect(
      answer.json.items.map((r: { processId: string; failed: boolean }) => [r.processId, r.failed]),
    ).toEqual([
      ['p-1', true],
      ['p-2', true],
      ['p-9', false],
      ['p-4', false],
    ]);
    const receives = sqs.commandCalls(ReceiveMessageCommand).map((c) => c.args[0].input);
    expect(receives).toHaveLength(3);
    for (const input of receives)
      expect(input).toMatchObject({ MaxNumberOfMessages: 10, VisibilityTimeout: 0 });
  });
});

describe('unsubscribe', () => {
  const participantRow = () => table.get(at(`ORG#${ORG}#PROC#${processId}`, 'PARTICIPANT#p-1')) as Item;

  it('the link sets unsubscribedAt once, when its nonce is the row’s, and answers in the participant’s language', async () => {
    dynamo.on(UpdateCommand).callsFake((input) => {
      const row = table.get(at(input.Key.pk, input.Key.sk));
      if (!row || row.unsubscribeNonce !== input.ExpressionAttributeValues[':nonce'])
        throw new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });
      row.unsubscribedAt ??= input.ExpressionAttributeValues[':now'];
      return { Attributes: clone(row) };
    });
    const token = unsubscribeToken(
      { orgId: ORG, processId, participantId: 'p-1' },
      String(participantRow().unsubscribeNonce),
    );
    const first = await call('GET /unsubscribe/{token}', { claims: null, path: { token } });
    expect(first.status).toBe(200);
    expect(first.type).toBe('text/html; charset=utf-8');
    expect(first.text).toContain('<html lang="fi">');
    expect(first.text).toContain('Tilauksesi on peruttu');
    const at1 = participantRow().unsubscribedAt;
    expect(at1).toEqual(expect.any(String));
    const again = await call('POST /unsubscribe/{token}', { claims: null, path: { token } });
    expect(again.status).toBe(200);
    expect(participantRow().unsubscribedAt).toBe(at1);
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: `ORG#${ORG}#PROC#${processId}`, sk: 'PARTICIPANT#p-1' },
      ConditionExpression: 'attribute_exists(pk) AND unsubscribeNonce = :nonce',
    });

    const forged = unsubscribeToken({ orgId: ORG, processId, participantId: 'p-1' }, 'guessed');
    const refused = await call('GET /unsubscribe/{token}', { claims: null, path: { token: forged } });
    expect(refused.status).toBe(404);
    expect(refused.text).toContain('Länken gäller inte');
    const garbage = await call('GET /unsubscribe/{token}', { claims: null, path: { token: 'not-a-token' } });
    expect(garbage.status).toBe(404);
  });
});

describe('report links', () => {
  const keys = E.ResultsCompiled.example.reportKeys;
  const storeLink = () => {
    const row = rows.reportLink(ORG, processId, { nonce: 'nonce-report', keys });
    table.set(at(row.pk, row.sk), row);
  };

  it('the link in the results email redirects to the report, presigned for five minutes on each visit', async () => {
    storeLink();
    const token = reportToken({ orgId: ORG, processId }, 'nonce-report');
    const answer = await call('GET /reports/{token}', { claims: null, path: { token } });
    expect(answer.status).toBe(302);
    expect(answer.text).toBe('');
    expect(answer.headers['cache-control']).toBe('no-store');
    const location = new URL(String(answer.headers.location));
    expect(location.pathname.endsWith(keys.html)).toBe(true);
    expect(location.searchParams.get('X-Amz-Expires')).toBe('300');
    expect(location.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(dynamo.commandCalls(GetCommand).at(-1)?.args[0].input).toMatchObject({
      Key: { pk: `ORG#${ORG}#PROC#${processId}`, sk: 'REPORTLINK' },
    });
    expect(writes()).toHaveLength(0);
  });

  it('is a 404 page in sv, fi and en for a wrong nonce, an unknown process, another organisation or no token of ours', async () => {
    storeLink();
    const notFound = async (token: string) => {
      const answer = await call('GET /reports/{token}', { claims: null, path: { token } });
      expect(answer.status, token).toBe(404);
      expect(answer.type).toBe('text/html; charset=utf-8');
      expect(answer.text).toContain('Länken gäller inte');
      expect(answer.headers).not.toHaveProperty('location');
    };
    await notFound(reportToken({ orgId: ORG, processId }, 'guessed'));
    await notFound(reportToken({ orgId: ORG, processId: 'proc-other' }, 'nonce-report'));
    await notFound(reportToken({ orgId: 'org-other', processId }, 'nonce-report'));
    await notFound(reportToken({ orgId: '../x', processId }, 'nonce-report'));
    await notFound('not-a-token');
    // Before the results are compiled there is no row at all.
    table.delete(at(`ORG#${ORG}#PROC#${processId}`, 'REPORTLINK'));
    await notFound(reportToken({ orgId: ORG, processId }, 'nonce-report'));
    expect(s3.calls()).toHaveLength(0);
  });
});

describe('logs', () => {
  it('carry routes, ids and statuses, never names, emails or bodies', async () => {
    const lines: string[] = [];
    const capture = (chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    };
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    try {
      const logged = httpApi({
        name: 'api',
        routes,
        table: apiRoutes,
        logger: new Logger({ serviceName: 'api', logLevel: 'DEBUG' }),
      });
      const person = {
        name: 'Greta Gustafsson',
        email: 'greta@example.org',
        sector: 'municipality',
        ageGroup: 'age65plus',
        consent: { recording: true, contact: true },
      };
      const path = { processId };
      const ok = await logged(
        event('POST /processes/{processId}/participants', { claims: facilitator, path, body: person }),
        context,
      );
      expect(ok.statusCode).toBe(201);
      const bad = await logged(
        event('POST /processes/{processId}/participants', {
          claims: facilitator,
          path,
          body: { ...person, email: 'greta@@example.org' },
        }),
        context,
      );
      expect(bad.statusCode).toBe(400);
      dynamo.on(TransactWriteCommand).rejects(new Error('throttled'));
      const failed = await logged(
        event('POST /processes/{processId}/participants', { claims: facilitator, path, body: person }),
        context,
      );
      expect(failed.statusCode).toBe(500);
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    const text = lines.join('');
    expect(text).toContain('request answered');
    expect(text).toContain('"status":201');
    expect(text).toContain('request refused');
    expect(text).toContain('request failed');
    expect(text).toContain('"routeKey":"POST /processes/{processId}/participants"');
    expect(text).not.toMatch(/Greta|greta@|Gustafsson/);
  });
});
