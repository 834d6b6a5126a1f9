import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  type HeadObjectCommandOutput,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod';
import * as E from '../events/catalog.ts';
import { type EventOfType, isEvent, type PipelineEvent } from '../events/catalog.ts';
import { deterministicEventId, Id } from '../events/envelope.ts';
import type { ProcessState } from '../shared/domain/process.ts';
import { processes, s3Client } from '../shared/runtime/clients.ts';
import { type BusEvent, loggerFor } from '../shared/runtime/event-handler.ts';

const NAME = 'recordingIngest';
const ACTOR = { kind: 'system', id: NAME } as const;
export const RECORDINGS_PREFIX = 'recordings/';
export const QUARANTINE_PREFIX = 'quarantine/';
/** The largest recording the API issues an upload for (multipart). */
export const MAX_RECORDING_BYTES = 5 * 1024 ** 3;
/** CopyObject copies up to 5 GB in one request; larger objects are copied in parts. */
const MAX_SINGLE_COPY_BYTES = 5 * 1024 ** 3;
const COPY_PART_BYTES = 1024 ** 3;

/** The EventBridge event S3 sends for a new object (only the fields ingest uses). */
export const ObjectCreated = z.object({
  id: z.string().min(1),
  source: z.literal('aws.s3'),
  'detail-type': z.literal('Object Created'),
  time: z.iso.datetime(),
  detail: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().min(0).optional(),
      sequencer: z.string().min(1),
    }),
  }),
});
export type ObjectCreated = z.infer<typeof ObjectCreated>;

export interface RecordingKey {
  orgId: string;
  placeId: string;
  processId: string;
  interviewId: string;
  file: string;
}

/** recordings/{org}/{place}/{process}/{interview}/{file...}, every id a valid Id; else undefined. */
export function parseRecordingKey(key: string): RecordingKey | undefined {
  const [prefix, orgId, placeId, processId, interviewId, ...rest] = key.split('/');
  const file = rest.join('/');
  if (`${prefix}/` !== RECORDINGS_PREFIX || !file) return undefined;
  const ids = [orgId, placeId, processId, interviewId];
  if (!ids.every((id) => Id.safeParse(id).success)) return undefined;
  return {
    orgId: orgId as string,
    placeId: placeId as string,
    processId: processId as string,
    interviewId: interviewId as string,
    file,
  };
}

export function quarantineKeyOf(key: string): string {
  const rest = key.startsWith(RECORDINGS_PREFIX) ? key.slice(RECORDINGS_PREFIX.length) : key;
  return `${QUARANTINE_PREFIX}${rest}`;
}

type Rejection = EventOfType<'Interview.Rejected'>['data']['reason'];
export type Verdict =
  | { accepted: true; contentType: string }
  | { accepted: false; reason: Rejection; detail: string };

/** audio/* and video/* recordings, and transcripts as plain text or WebVTT. */
export function allowedContentType(contentType: string): boolean {
  return (
    /^(audio|video)\/[a-z0-9.+-]+$/.test(contentType) || ['text/plain', 'text/vtt'].includes(contentType)
  );
}

/** The rules an upload must meet (pure): the interview, its consent, then the object itself. */
export function checkRecording(
  state: ProcessState,
  key: RecordingKey,
  object: { size: number; contentType: string | undefined },
): Verdict {
  const reject = (reason: Rejection, detail: string): Verdict => ({ accepted: false, reason, detail });
  if (key.placeId !== state.placeId) {
    return reject(
      'unknownInterview',
      `the key names place ${key.placeId}; the process is for ${state.placeId}`,
    );
  }
  const interview = state.interviews[key.interviewId];
  if (!interview) {
    return reject('unknownInterview', `interview ${key.interviewId} is not registered in this process`);
  }
  const participant = interview.participantId ? state.participants[interview.participantId] : undefined;
  if (!participant?.recordingConsent) {
    return reject(
      'noConsent',
      `the participant of interview ${key.interviewId} has not consented to a recording`,
    );
  }
  if (participant.erased) {
    return reject('noConsent', `the participant of interview ${key.interviewId} has been erased`);
  }
  if (interview.status === 'summarised') {
    return reject(
      'alreadyRecorded',
      `interview ${key.interviewId} is already summarised; late uploads are not added`,
    );
  }
  if (object.size === 0) return reject('empty', 'the object is empty');
  if (object.size > MAX_RECORDING_BYTES) {
    return reject('tooLarge', `${object.size} bytes is more than the 5 GB a recording may be`);
  }
  const contentType = (object.contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!allowedContentType(contentType)) {
    const shown = contentType ? contentType.slice(0, 100) : 'no content type';
    return reject(
      'contentTypeNotAllowed',
      `${shown} is not audio, video or a transcript (text/plain, text/vtt)`,
    );
  }
  return { accepted: true, contentType };
}

/** An upload that names no process: moved to quarantine, and the invocation fails so operators see it. */
export class UnroutableRecordingError extends Error {
  override readonly name = 'UnroutableRecordingError';
}

const logger = loggerFor(NAME);

export const handler = middy<BusEvent, void, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .handler(async (raw) => {
    const event = ObjectCreated.parse(raw);
    const bucket = event.detail.bucket.name;
    const { key, sequencer } = event.detail.object;
    // Ids only: the file name is the uploader's and may name a person.
    logger.appendKeys({ eventId: event.id, eventType: 'Object Created', sequencer });

    const recording = parseRecordingKey(key);
    if (!recording) {
      await quarantine(bucket, key);
      throw new UnroutableRecordingError(
        `an upload under ${RECORDINGS_PREFIX} does not name {org}/{place}/{process}/{interview}/{file} ` +
          `(S3 event ${event.id}, sequencer ${sequencer}); it was moved to ${QUARANTINE_PREFIX}`,
      );
    }
    const { orgId, processId, interviewId } = recording;
    logger.appendKeys({ processId, interviewId });
    const store = processes();
    const stored = await store.load(orgId, processId);
    if (!stored) {
      await quarantine(bucket, key);
      throw new UnroutableRecordingError(
        `an upload for interview ${interviewId} names process ${processId} of organisation ${orgId}, ` +
          `which does not exist (S3 event ${event.id}); it was moved to ${QUARANTINE_PREFIX}`,
      );
    }
    const { state } = stored;

    const id = factId(`${bucket}/${key}#${sequencer}`, Date.parse(event.time));
    const earlier = await recordedFact(orgId, processId, id);
    if (earlier) {
      if (isEvent(earlier, 'Interview.Rejected')) await quarantine(bucket, key);
      logger.info('upload already ingested', { outcome: earlier.metadata.type });
      return;
    }

    const head = await headObject(bucket, key);
    if (!head) {
      // Removed before it could be ingested (an erasure deletes a participant's recordings): nothing to record.
      logger.warn('upload no longer exists; nothing to ingest');
      return;
    }
    const size = head.ContentLength ?? event.detail.object.size ?? 0;
    const verdict = checkRecording(state, recording, { size, contentType: head.ContentType });
    const metadata = {
      id,
      orgId,
      placeId: state.placeId,
      processId,
      correlationId: state.correlationId,
      causationId: event.id,
      actor: ACTOR,
      depth: 1,
    };
    const sha256 = fullObjectSha256(head);
    const fact: PipelineEvent = verdict.accepted
      ? E.InterviewRecorded.create({
          metadata,
          data: { interviewId, key, size, contentType: verdict.contentType, ...(sha256 ? { sha256 } : {}) },
        })
      : E.InterviewRejected.create({
          metadata,
          data: {
            interviewId,
            key,
            quarantineKey: quarantineKeyOf(key),
            reason: verdict.reason,
            detail: verdict.detail,
          },
        });
    await store.report({ orgId, processId, emitted: [fact] });
    if (!verdict.accepted) await quarantine(bucket, key);
    logger.info('upload ingested', {
      outcome: fact.metadata.type,
      ...(verdict.accepted ? { size } : { reason: verdict.reason }),
    });
  });

async function headObject(bucket: string, key: string): Promise<HeadObjectCommandOutput | undefined> {
  try {
    return await s3Client().send(
      new HeadObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: 'ENABLED' }),
    );
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if ((error as Error).name === 'NotFound' || status === 404) return undefined;
    throw error;
  }
}

/** S3's SHA-256 of the whole object, when the uploader sent one (not a checksum of parts). */
function fullObjectSha256(head: HeadObjectCommandOutput): string | undefined {
  const value = head.ChecksumSHA256;
  if (!value || value.includes('-') || (head.ChecksumType && head.ChecksumType !== 'FULL_OBJECT'))
    return undefined;
  const hex = Buffer.from(value, 'base64').toString('hex');
  return /^[a-f0-9]{64}$/.test(hex) ? hex : undefined;
}

/**
 * Moves an object to quarantine: copy (in parts above 5 GB), then delete. Safe to repeat: once the
 * source is gone there is nothing left to move.
 */
async function quarantine(bucket: string, key: string): Promise<void> {
  const head = await headObject(bucket, key);
  if (!head) return;
  const s3 = s3Client();
  const target = quarantineKeyOf(key);
  const source = `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  const size = head.ContentLength ?? 0;
  if (size <= MAX_SINGLE_COPY_BYTES) {
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: source }));
  } else {
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({
        Bucket: bucket,
        Key: target,
        ...(head.ContentType ? { ContentType: head.ContentType } : {}),
      }),
    );
    const parts: { ETag: string; PartNumber: number }[] = [];
    for (let start = 0, part = 1; start < size; start += COPY_PART_BYTES, part++) {
      const end = Math.min(start + COPY_PART_BYTES, size) - 1;
      const { CopyPartResult } = await s3.send(
        new UploadPartCopyCommand({
          Bucket: bucket,
          Key: target,
          UploadId,
          PartNumber: part,
          CopySource: source,
          CopySourceRange: `bytes=${start}-${end}`,
        }),
      );
      parts.push({ ETag: CopyPartResult?.ETag ?? '', PartNumber: part });
    }
    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: target,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    );
  }
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
}

const factId = deterministicEventId;

/** The event with this id from the process timeline, if it was recorded. */
const recordedFact = (orgId: string, processId: string, eventId: string) =>
  processes().event(orgId, processId, eventId);
