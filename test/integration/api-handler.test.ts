/**
 * The API function against the local runtime's real DynamoDB Local and S3, with the real SDK: a
 * place gets a process, participants and interviews; recordings go up through the presigned URLs
 * the API hands out (one PUT, and a multipart upload part by part); eight summaries move the process
 * to the workshop stage; erasing a participant deletes their recording. The handler is called
 * directly with payload 2.0 events (the local HTTP gateway is tested on its own).
 */
import { GetObjectCommand, HeadObjectCommand, NotFound, S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../events/catalog.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import type { HttpEvent, httpApi } from '../../shared/runtime/http.ts';

const ORG = 'org-jh';
const MiB = 1024 * 1024;
const saved = { ...process.env };
let cloud: LocalCloud;
let handler: ReturnType<typeof httpApi>;
let s3: S3Client;

beforeAll(async () => {
  cloud = await startLocalCloud({ topology: [] });
  Object.assign(process.env, cloud.environment, { POWERTOOLS_LOG_LEVEL: 'SILENT' });
  // Imported after the environment is set, as Lambda loads a function: its clients find the runtime.
  ({ handler } = await import('../../functions/api/handler.ts'));
  s3 = new S3Client({});
}, 120_000);

afterAll(async () => {
  s3?.destroy();
  await cloud?.stop();
  for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
  Object.assign(process.env, saved);
});

let requests = 0;
async function call(
  routeKey: string,
  options: {
    path?: Record<string, string>;
    query?: Record<string, string>;
    body?: unknown;
    role?: string;
    sub?: string;
  } = {},
) {
  const [method = 'GET', template = '/'] = routeKey.split(' ');
  const rawPath = template.replace(/\{(\w+)\}/g, (_, name: string) => options.path?.[name] ?? '');
  const role = options.role ?? 'facilitator';
  const event: HttpEvent = {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString: new URLSearchParams(options.query ?? {}).toString(),
    headers: options.body === undefined ? {} : { 'content-type': 'application/json' },
    ...(options.path ? { pathParameters: options.path } : {}),
    ...(options.query ? { queryStringParameters: options.query } : {}),
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: '127.0.0.1',
      domainPrefix: '127',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'vitest' },
      requestId: `req-${++requests}`,
      routeKey,
      stage: '$default',
      time: '',
      timeEpoch: Date.now(),
      authorizer: {
        jwt: {
          claims: { 'custom:orgId': ORG, 'custom:role': role, sub: options.sub ?? `u-${role}` },
          scopes: null,
        },
      },
    },
  };
  const result = await handler(event, { functionName: 'api' } as Context);
  // biome-ignore lint/suspicious/noExplicitAny: answers are read field by field.
  return { status: result.statusCode, json: (result.body ? JSON.parse(result.body) : undefined) as any };
}

async function exists(key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: cloud.endpoints.bucket, Key: key }));
    return true;
  } catch (error) {
    if (error instanceof NotFound) return false;
    throw error;
  }
}

describe('a place through the interviews stage, through the API', () => {
  let processId = '';
  const recording = Buffer.from('RIFF....an interview recording, small for the test');

  it('creates a place and a facilitator, and starts a process', async () => {
    const user = await call('POST /users', {
      role: 'coordinator',
      body: { userId: 'u-frida', name: 'Frida', email: 'frida@example.org', role: 'facilitator' },
    });
    expect(user.status).toBe(201);
    const place = await call('POST /places', {
      role: 'coordinator',
      body: { name: 'Hede', municipality: 'Härjedalen', region: 'Jämtland Härjedalen', population: 500 },
    });
    expect(place.status).toBe(201);
    expect(place.json.placeId).toBe('hede');
    const started = await call('POST /processes', {
      role: 'coordinator',
      body: { placeId: 'hede', facilitators: ['u-frida'], locale: 'sv' },
    });
    expect(started.status).toBe(201);
    processId = started.json.processId;
    expect(started.json.stage).toEqual({ key: 'interviews', index: 0 });

    const board = await call('GET /processes', { role: 'ops' });
    expect(board.json.items.map((p: { processId: string }) => p.processId)).toContain(processId);
  });

  it('registers eight participants with consent and their interviews', async () => {
    const sectors = ['association', 'business', 'municipality'];
    for (let i = 1; i <= 8; i++) {
      const participant = await call('POST /processes/{processId}/participants', {
        path: { processId },
        body: {
          participantId: `p-${i}`,
          name: `Deltagare ${i}`,
          email: `p${i}@example.org`,
          sector: sectors[i % 3],
          ageGroup: 'age30to49',
          consent: { recording: true, contact: i % 2 === 0 },
        },
      });
      expect(participant.status).toBe(201);
      const interview = await call('POST /processes/{processId}/interviews', {
        path: { processId },
        body: { interviewId: `i-${i}`, participantId: `p-${i}` },
      });
      expect(interview.status).toBe(201);
    }
    const refused = await call('POST /processes/{processId}/participants', {
      path: { processId },
      body: {
        participantId: 'p-9',
        name: 'Utan samtycke',
        email: 'p9@example.org',
        sector: 'resident',
        ageGroup: 'age65plus',
        consent: { recording: false, contact: false },
      },
    });
    expect(refused.status).toBe(201);
    const noConsent = await call('POST /processes/{processId}/interviews', {
      path: { processId },
      body: { interviewId: 'i-9', participantId: 'p-9' },
    });
    expect(noConsent.status).toBe(422);
  });

  it('a presigned PUT from the API lands the recording in S3', async () => {
    const upload = await call('POST /processes/{processId}/interviews/{interviewId}/upload', {
      path: { processId, interviewId: 'i-1' },
      body: { fileName: 'Intervju 1.m4a', contentType: 'audio/mp4', size: recording.length },
    });
    expect(upload.status).toBe(200);
    expect(upload.json.kind).toBe('single');
    const key = `recordings/${ORG}/hede/${processId}/i-1/Intervju-1.m4a`;
    expect(upload.json.key).toBe(key);
    const put = await fetch(upload.json.url, {
      method: 'PUT',
      headers: upload.json.headers,
      body: recording,
    });
    expect(put.status).toBe(200);
    const object = await s3.send(new GetObjectCommand({ Bucket: cloud.endpoints.bucket, Key: key }));
    expect(object.ContentType).toBe('audio/mp4');
    expect(Buffer.from(await (object.Body?.transformToByteArray() ?? new Uint8Array()))).toEqual(recording);
  });

  it('a multipart upload through the presigned part URLs, completed through the API', async () => {
    const upload = await call('POST /processes/{processId}/interviews/{interviewId}/upload', {
      path: { processId, interviewId: 'i-2' },
      body: {
        fileName: 'workshop-film.mp4',
        contentType: 'video/mp4',
        size: 100 * MiB + 1,
        partSize: 5 * MiB,
      },
    });
    expect(upload.status).toBe(200);
    expect(upload.json.kind).toBe('multipart');
    expect(upload.json.parts).toHaveLength(21);
    // The test sends a short recording: a full first part and a small last one.
    const bodies = [Buffer.alloc(5 * MiB, 1), Buffer.from('the end')];
    const parts: { partNumber: number; etag: string }[] = [];
    for (const [i, body] of bodies.entries()) {
      const response = await fetch(upload.json.parts[i].url, { method: 'PUT', body });
      expect(response.status).toBe(200);
      parts.push({ partNumber: i + 1, etag: response.headers.get('etag') ?? '' });
    }
    const done = await call('POST /processes/{processId}/interviews/{interviewId}/upload/complete', {
      path: { processId, interviewId: 'i-2' },
      body: { key: upload.json.key, uploadId: upload.json.uploadId, parts },
    });
    expect(done.status).toBe(200);
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: cloud.endpoints.bucket, Key: upload.json.key }),
    );
    expect(head.ContentLength).toBe(5 * MiB + 7);
    expect(head.ContentType).toBe('video/mp4');

    const again = await call('POST /processes/{processId}/interviews/{interviewId}/upload/complete', {
      path: { processId, interviewId: 'i-2' },
      body: { key: upload.json.key, uploadId: upload.json.uploadId, parts },
    });
    expect(again.status).toBe(404);
  });

  it('eight summaries complete the interviews stage and start the workshop', async () => {
    for (let i = 1; i <= 8; i++) {
      const summary = await call('PUT /processes/{processId}/interviews/{interviewId}/summary', {
        path: { processId, interviewId: `i-${i}` },
        body: {
          needs: ['En mötesplats för unga'],
          wishes: ['Rusta upp badplatsen'],
          challenges: ['Bussen går för sällan'],
          quotes: ['Vi har allt här utom en plats att ses.'],
          themes: ['mötesplatser', i % 2 ? 'kommunikationer' : 'friluftsliv'],
        },
      });
      expect(summary.status).toBe(200);
      expect(summary.json.stage.key).toBe(i < 8 ? 'interviews' : 'workshop');
    }
    const process = await call('GET /processes/{processId}', { path: { processId }, role: 'ops' });
    expect(process.json.stage).toMatchObject({ key: 'workshop', index: 1, name: { sv: 'Workshop' } });
    expect(process.json.stages[0]).toMatchObject({ key: 'interviews', state: 'completed', manual: false });
    expect(process.json.openTasks.map((t: { key: string }) => t.key)).toEqual(
      expect.arrayContaining(['schedule-workshop', 'record-workshop']),
    );

    const timeline = await call('GET /processes/{processId}/timeline', { path: { processId } });
    const types: string[] = timeline.json.items.map((e: PipelineEvent) => e.metadata.type);
    expect(types[0]).toBe('Process.Started');
    expect(types.filter((t) => t === 'Interview.Summarised')).toHaveLength(8);
    expect(types.indexOf('Stage.Completed')).toBeGreaterThan(types.lastIndexOf('Interview.Summarised'));
    expect(JSON.stringify(timeline.json)).not.toContain('example.org');

    const mine = await call('GET /tasks/mine', { sub: 'u-frida' });
    expect(mine.json.items.map((t: { key: string }) => t.key)).toEqual(
      expect.arrayContaining(['schedule-workshop', 'record-workshop']),
    );
    // The interviews stage is over: its tasks nobody ticked off are closed, and nobody's to-do any more.
    expect(mine.json.items.map((t: { stage: string }) => t.stage)).not.toContain('interviews');
    const closed = await call('GET /processes/{processId}/tasks', {
      path: { processId },
      query: { status: 'closed' },
    });
    expect(closed.json.items.map((t: { key: string }) => t.key)).toEqual(
      expect.arrayContaining(['plan-interviews', 'summarise-interviews']),
    );
    const board = await call('GET /processes', { role: 'ops' });
    expect(board.json.items.find((p: { processId: string }) => p.processId === processId)?.stage.key).toBe(
      'workshop',
    );
  });

  it('erasing a participant deletes their recording and their personal data', async () => {
    const key = `recordings/${ORG}/hede/${processId}/i-1/Intervju-1.m4a`;
    expect(await exists(key)).toBe(true);
    const erased = await call('DELETE /processes/{processId}/participants/{participantId}', {
      path: { processId, participantId: 'p-1' },
    });
    expect(erased.status).toBe(200);
    expect(erased.json.recordingsDeleted).toBe(1);
    expect(await exists(key)).toBe(false);
    const timeline = await call('GET /processes/{processId}/timeline', { path: { processId } });
    const last = timeline.json.items.find((e: PipelineEvent) => e.metadata.type === 'Participant.Erased');
    expect(last?.data).toEqual({ participantId: 'p-1', recordingsDeleted: 1 });
  });
});
