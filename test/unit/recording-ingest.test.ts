/** Recording ingest with mocked S3 and DynamoDB: the checks, the quarantine move, exactly once under redelivery. */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  NotFound,
  S3Client,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ZodError } from 'zod';
import {
  checkRecording,
  handler,
  MAX_RECORDING_BYTES,
  parseRecordingKey,
  quarantineKeyOf,
  UnroutableRecordingError,
} from '../../functions/recording-ingest.ts';
import type { ProcessState } from '../../shared/domain/process.ts';
import { command, participant, registerInterview, run, startCommand } from '../support/process.ts';

// Loggers are created when the handler module loads: quiet them before the imports run.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
});

const docs = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);
const context = {
  functionName: 'recordingIngest',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
} as Context;
const BUCKET = 'samskapa-files';
const KEY = 'recordings/org-jh/hede/proc-hede/i-0/intervju.m4a';

beforeAll(() => {
  Object.assign(process.env, { TABLE_NAME: 'samskapa-test', BUCKET_NAME: BUCKET });
});
beforeEach(() => {
  docs.reset();
  s3.reset();
});

/** Interview i-0 of p-0 (recording consent) is registered; p-1 agreed to contact only, p-2 was erased. */
const { state } = run([
  startCommand(),
  participant(0),
  participant(2),
  registerInterview(0),
  registerInterview(2),
  command({
    type: 'registerParticipant',
    participantId: 'p-1',
    sector: 'business',
    ageGroup: 'age18to29',
    locale: 'sv',
    consent: { recording: false, contact: true },
  }),
  command({ type: 'eraseParticipant', participantId: 'p-2', recordingsDeleted: 0 }),
]);

const objectCreated = (
  key = KEY,
  sequencer = '0062E99A88DC407460',
  id = 'b3c3a1d2-0f6e-4a3b-8d57-3e1e0c0c0a01',
) => ({
  version: '0',
  id,
  'detail-type': 'Object Created',
  source: 'aws.s3',
  account: '000000000000',
  time: '2026-03-05T10:00:00Z',
  region: 'eu-north-1',
  resources: [`arn:aws:s3:::${BUCKET}`],
  detail: {
    version: '0',
    bucket: { name: BUCKET },
    object: { key, size: 18_400_000, etag: 'abc', sequencer },
    'request-id': 'R1',
    requester: '000000000000',
    'source-ip-address': '127.0.0.1',
    reason: 'PutObject',
  },
});

function given(
  process: ProcessState | undefined,
  head: { ContentLength?: number; ContentType?: string } | 'gone',
  options: { failFirstDelete?: boolean } = {},
) {
  const recorded: string[] = [];
  docs.on(GetCommand).callsFake((input) => {
    if (input.Key.sk === 'STATE') return process ? { Item: { state: process, version: 4 } } : {};
    const detail = recorded.find((d) => input.Key.sk === `EVENT#${JSON.parse(d).metadata.id}`);
    return detail ? { Item: { detail } } : {};
  });
  docs.on(TransactWriteCommand).callsFake((input) => {
    for (const item of input.TransactItems ?? []) {
      if (item.Put?.Item?.itemType === 'event') recorded.push(item.Put.Item.detail);
    }
    return {};
  });
  let moved = false;
  s3.on(HeadObjectCommand).callsFake(() => {
    if (head === 'gone' || moved)
      throw new NotFound({ message: 'Not Found', $metadata: { httpStatusCode: 404 } });
    return head;
  });
  s3.on(CopyObjectCommand).resolves({});
  let failDelete = options.failFirstDelete ?? false;
  s3.on(DeleteObjectCommand).callsFake(() => {
    if (failDelete) {
      failDelete = false;
      throw Object.assign(new Error('Internal Error'), { name: 'InternalError' });
    }
    moved = true;
    return {};
  });
  return { recorded };
}

const reported = () =>
  docs
    .commandCalls(TransactWriteCommand)
    .flatMap((c) => c.args[0].input.TransactItems ?? [])
    .filter((i) => i.Put?.Item?.itemType === 'outbox')
    .map((i) => JSON.parse(i.Put?.Item?.detail as string));

describe('recording ingest', () => {
  it('records a consented interview recording, without an inbox item, in one transaction', async () => {
    given(state, { ContentLength: 18_400_000, ContentType: 'audio/mp4' });
    await handler(objectCreated(), context);
    const [fact] = reported();
    expect(fact.metadata).toMatchObject({
      type: 'Interview.Recorded',
      orgId: 'org-jh',
      placeId: 'hede',
      processId: 'proc-hede',
      causationId: objectCreated().id,
      actor: { kind: 'system', id: 'recordingIngest' },
    });
    expect(fact.data).toEqual({ interviewId: 'i-0', key: KEY, size: 18_400_000, contentType: 'audio/mp4' });
    expect(docs.commandCalls(TransactWriteCommand)).toHaveLength(1);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(0);
  });

  it('quarantines a file that is not audio, video or a transcript, after reporting why', async () => {
    given(state, { ContentLength: 1200, ContentType: 'application/x-msdownload' });
    await handler(objectCreated(), context);
    const [fact] = reported();
    expect(fact.metadata.type).toBe('Interview.Rejected');
    expect(fact.data).toEqual({
      interviewId: 'i-0',
      key: KEY,
      quarantineKey: 'quarantine/org-jh/hede/proc-hede/i-0/intervju.m4a',
      reason: 'contentTypeNotAllowed',
      detail: 'application/x-msdownload is not audio, video or a transcript (text/plain, text/vtt)',
    });
    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toEqual({
      Bucket: BUCKET,
      Key: 'quarantine/org-jh/hede/proc-hede/i-0/intervju.m4a',
      CopySource: `${BUCKET}/${KEY}`,
    });
    expect(s3.commandCalls(DeleteObjectCommand)[0]?.args[0].input).toEqual({ Bucket: BUCKET, Key: KEY });
  });

  it('does nothing twice when the notification is redelivered, and finishes a move left undone', async () => {
    given(state, { ContentLength: 1200, ContentType: 'image/png' }, { failFirstDelete: true });
    await expect(handler(objectCreated(), context)).rejects.toThrow('Internal Error');
    expect(reported()).toHaveLength(1);

    // The retry (or a redelivery) finds the fact by its derived id and only completes the move.
    await handler(objectCreated(undefined, undefined, 'a-redelivered-event-id'), context);
    expect(reported()).toHaveLength(1);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(2);
    // Once moved, a further delivery has nothing left to do.
    await handler(objectCreated(), context);
    expect(reported()).toHaveLength(1);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(2);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(2);
  });

  it('rethrows the refused transaction of a racing duplicate', async () => {
    given(state, { ContentLength: 100, ContentType: 'audio/mpeg' });
    docs.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
      }),
    );
    await expect(handler(objectCreated(), context)).rejects.toThrow(TransactionCanceledException);
  });

  it('treats another version of the same key as another upload', async () => {
    given(state, { ContentLength: 100, ContentType: 'audio/mpeg' });
    await handler(objectCreated(), context);
    await handler(objectCreated(KEY, '0062E99A88DC407461'), context);
    const ids = reported().map((f) => f.metadata.id);
    expect(new Set(ids).size).toBe(2);
  });

  it('quarantines an upload that names no process and fails loudly, naming ids only', async () => {
    given(undefined, { ContentLength: 100, ContentType: 'audio/mpeg' });
    const error = await handler(
      objectCreated('recordings/org-jh/hede/proc-nope/i-0/anna andersson.m4a'),
      context,
    ).catch((e) => e);
    expect(error).toBeInstanceOf(UnroutableRecordingError);
    expect(error.message).toContain('process proc-nope of organisation org-jh');
    expect(error.message).not.toContain('anna');
    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input).toMatchObject({
      Key: 'quarantine/org-jh/hede/proc-nope/i-0/anna andersson.m4a',
      CopySource: `${BUCKET}/recordings/org-jh/hede/proc-nope/i-0/anna%20andersson.m4a`,
    });
    expect(reported()).toHaveLength(0);

    s3.reset();
    given(state, { ContentLength: 100, ContentType: 'audio/mpeg' });
    await expect(handler(objectCreated('recordings/org-jh/just-a-file.m4a'), context)).rejects.toThrow(
      UnroutableRecordingError,
    );
    expect(s3.commandCalls(CopyObjectCommand)[0]?.args[0].input.Key).toBe(
      'quarantine/org-jh/just-a-file.m4a',
    );
  });

  it('records nothing for an object deleted before it could be ingested', async () => {
    given(state, 'gone');
    await handler(objectCreated(), context);
    expect(reported()).toHaveLength(0);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
  });

  it('copies an object above 5 GB to quarantine in parts', async () => {
    given(state, { ContentLength: MAX_RECORDING_BYTES + 2 * 1024 ** 3, ContentType: 'video/mp4' });
    s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u-1' });
    s3.on(UploadPartCopyCommand).callsFake((input) => ({
      CopyPartResult: { ETag: `"etag-${input.PartNumber}"` },
    }));
    s3.on(CompleteMultipartUploadCommand).resolves({});
    await handler(objectCreated(), context);
    expect(reported()[0].data.reason).toBe('tooLarge');
    const ranges = s3.commandCalls(UploadPartCopyCommand).map((c) => c.args[0].input.CopySourceRange);
    expect(ranges).toHaveLength(7);
    expect(ranges[0]).toBe(`bytes=0-${1024 ** 3 - 1}`);
    expect(
      s3.commandCalls(CompleteMultipartUploadCommand)[0]?.args[0].input.MultipartUpload?.Parts,
    ).toHaveLength(7);
    expect(s3.commandCalls(CopyObjectCommand)).toHaveLength(0);
    expect(s3.commandCalls(DeleteObjectCommand)).toHaveLength(1);
  });

  it('rethrows S3 errors other than a missing object', async () => {
    given(state, { ContentLength: 100, ContentType: 'audio/mpeg' });
    s3.on(HeadObjectCommand).rejects(
      Object.assign(new Error('Slow Down'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }),
    );
    await expect(handler(objectCreated(), context)).rejects.toThrow('Slow Down');
    expect(reported()).toHaveLength(0);
  });

  it('refuses an event that is not an S3 Object Created notification', async () => {
    given(state, { ContentLength: 100, ContentType: 'audio/mpeg' });
    await expect(handler({ ...objectCreated(), source: 'samskapa.pipeline' }, context)).rejects.toThrow(
      ZodError,
    );
  });
});

describe('checkRecording', () => {
  const key = parseRecordingKey(KEY);
  if (!key) throw new Error('the test key parses');
  const ok = { size: 100, contentType: 'audio/mp4' };

  it.each([
    [{ ...key, interviewId: 'i-9' }, ok, 'unknownInterview'],
    [{ ...key, placeId: 'vemdalen' }, ok, 'unknownInterview'],
    [{ ...key, interviewId: 'i-2' }, ok, 'noConsent'],
    [key, { ...ok, size: 0 }, 'empty'],
    [key, { ...ok, size: MAX_RECORDING_BYTES + 1 }, 'tooLarge'],
    [key, { ...ok, contentType: undefined }, 'contentTypeNotAllowed'],
    [key, { ...ok, contentType: 'text/html' }, 'contentTypeNotAllowed'],
  ])('rejects %j with %j as %s', (recording, object, reason) => {
    expect(checkRecording(state, recording, object)).toMatchObject({ accepted: false, reason });
  });

  it('refuses a participant without recording consent, and late uploads after the summary', () => {
    const noConsent = structuredClone(state);
    noConsent.interviews['i-1'] = { status: 'registered', participantId: 'p-1' };
    expect(checkRecording(noConsent, { ...key, interviewId: 'i-1' }, ok)).toMatchObject({
      reason: 'noConsent',
    });
    const summarised = structuredClone(state);
    summarised.interviews['i-0'] = { status: 'summarised', participantId: 'p-0' };
    expect(checkRecording(summarised, key, ok)).toMatchObject({ reason: 'alreadyRecorded' });
  });

  it.each([
    'audio/mp4',
    'audio/mpeg',
    'video/mp4',
    'video/quicktime',
    'text/plain',
    'text/vtt',
    'Text/VTT; charset=utf-8',
  ])('accepts %s, within 5 GB', (contentType) => {
    expect(checkRecording(state, key, { size: MAX_RECORDING_BYTES, contentType })).toMatchObject({
      accepted: true,
    });
  });

  it('parses keys of registered interviews only in the recordings layout', () => {
    expect(parseRecordingKey('recordings/org-jh/hede/proc-hede/i-0/sub/dir/file.vtt')).toEqual({
      orgId: 'org-jh',
      placeId: 'hede',
      processId: 'proc-hede',
      interviewId: 'i-0',
      file: 'sub/dir/file.vtt',
    });
    expect(parseRecordingKey('recordings/org-jh/hede/proc-hede/i-0/')).toBeUndefined();
    expect(parseRecordingKey('recordings/org jh/hede/proc-hede/i-0/a.m4a')).toBeUndefined();
    expect(parseRecordingKey('reports/org-jh/hede/proc-hede/i-0/a.m4a')).toBeUndefined();
    expect(quarantineKeyOf('recordings/a/b')).toBe('quarantine/a/b');
  });
});
