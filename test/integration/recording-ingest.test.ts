/**
 * Recording ingest against the local runtime with the real SDK: uploads land in the local S3; a
 * consented recording is recorded, a bad upload is moved to quarantine and rejected (once, however
 * often the notification comes), and an upload that names no process is quarantined and fails loudly.
 */
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isEvent } from '../../events/catalog.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { handle, type Input } from '../../shared/domain/process.ts';
import { changeProcess } from '../../shared/store/process-store.ts';
import { participant, registerInterview, startCommand } from '../support/process.ts';

let cloud: LocalCloud;
const ids = { orgId: 'org-jh', processId: 'proc-hede' };
const context = {
  functionName: 'recordingIngest',
  awsRequestId: 'it-1',
  getRemainingTimeInMillis: () => 30_000,
} as Context;

beforeAll(async () => {
  cloud = await startLocalCloud({ topology: [] });
  Object.assign(process.env, cloud.environment, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
});
afterAll(() => cloud?.stop());

// Imported after the environment is set: the clients read their endpoints when first created.
const runtime = async () => ({
  ...(await import('../../functions/recording-ingest.ts')),
  ...(await import('../../shared/runtime/clients.ts')),
});

async function apply(inputs: Input[]) {
  const { processes } = await runtime();
  for (const input of inputs) {
    await changeProcess(processes(), ids, (current) => {
      const next = handle(current?.state, input);
      return { state: next.state, emitted: next.events };
    });
  }
}

let uploads = 0;
/** Uploads through the real SDK and returns the "Object Created" event S3 sends for it. */
async function upload(key: string, body: string, contentType: string) {
  const { s3Client } = await runtime();
  await s3Client().send(
    new PutObjectCommand({ Bucket: cloud.endpoints.bucket, Key: key, Body: body, ContentType: contentType }),
  );
  uploads++;
  return {
    version: '0',
    id: `00000000-0000-4000-8000-${String(uploads).padStart(12, '0')}`,
    'detail-type': 'Object Created',
    source: 'aws.s3',
    account: '000000000000',
    time: new Date().toISOString(),
    region: cloud.endpoints.region,
    resources: [`arn:aws:s3:::${cloud.endpoints.bucket}`],
    detail: {
      version: '0',
      bucket: { name: cloud.endpoints.bucket },
      object: {
        key,
        size: Buffer.byteLength(body),
        sequencer: `00${Date.now().toString(16).toUpperCase()}${uploads}`,
      },
      'request-id': `R${uploads}`,
      requester: '000000000000',
      'source-ip-address': '127.0.0.1',
      reason: 'PutObject',
    },
  };
}

const exists = async (key: string) => {
  const { s3Client } = await runtime();
  return s3Client()
    .send(new HeadObjectCommand({ Bucket: cloud.endpoints.bucket, Key: key }))
    .then(() => true)
    .catch((error: { $metadata?: { httpStatusCode?: number } }) => {
      if (error.$metadata?.httpStatusCode === 404) return false;
      throw error;
    });
};

describe('recording ingest on the local runtime', () => {
  it('records a consented recording and quarantines a bad upload, once each', async () => {
    await apply([startCommand(), participant(0), participant(1), registerInterview(0), registerInterview(1)]);
    const { handler, processes, s3Client } = await runtime();

    const good = await upload(
      'recordings/org-jh/hede/proc-hede/i-0/intervju.m4a',
      'not really audio',
      'audio/mp4',
    );
    await handler(good, context);
    await handler(good, context);

    const bad = await upload(
      'recordings/org-jh/hede/proc-hede/i-1/film.exe',
      'MZ...',
      'application/x-msdownload',
    );
    await handler(bad, context);
    await handler(bad, context);

    expect(await exists('recordings/org-jh/hede/proc-hede/i-0/intervju.m4a')).toBe(true);
    expect(await exists('recordings/org-jh/hede/proc-hede/i-1/film.exe')).toBe(false);
    const quarantined = await s3Client().send(
      new GetObjectCommand({
        Bucket: cloud.endpoints.bucket,
        Key: 'quarantine/org-jh/hede/proc-hede/i-1/film.exe',
      }),
    );
    expect(await quarantined.Body?.transformToString()).toBe('MZ...');
    expect(quarantined.ContentType).toBe('application/x-msdownload');

    const timeline = await processes().timeline(ids.orgId, ids.processId);
    const recorded = timeline.filter((e) => isEvent(e, 'Interview.Recorded'));
    const rejected = timeline.filter((e) => isEvent(e, 'Interview.Rejected'));
    expect(recorded.map((e) => e.data)).toEqual([
      {
        interviewId: 'i-0',
        key: 'recordings/org-jh/hede/proc-hede/i-0/intervju.m4a',
        size: 16,
        contentType: 'audio/mp4',
      },
    ]);
    expect(rejected.map((e) => e.data)).toEqual([
      {
        interviewId: 'i-1',
        key: 'recordings/org-jh/hede/proc-hede/i-1/film.exe',
        quarantineKey: 'quarantine/org-jh/hede/proc-hede/i-1/film.exe',
        reason: 'contentTypeNotAllowed',
        detail: 'application/x-msdownload is not audio, video or a transcript (text/plain, text/vtt)',
      },
    ]);
  });

  it('quarantines an upload for a process that does not exist and fails, for the failure queue', async () => {
    const { handler, UnroutableRecordingError } = await runtime();
    const stray = await upload('recordings/org-jh/hede/proc-gone/i-0/intervju.m4a', 'audio', 'audio/mp4');
    await expect(handler(stray, context)).rejects.toThrow(UnroutableRecordingError);
    expect(await exists('recordings/org-jh/hede/proc-gone/i-0/intervju.m4a')).toBe(false);
    expect(await exists('quarantine/org-jh/hede/proc-gone/i-0/intervju.m4a')).toBe(true);
  });
});
