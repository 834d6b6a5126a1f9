/**
 * Files in S3. Recordings: keys, presigned uploads (one PUT up to 100 MiB; multipart with presigned parts
 * up to 5 GiB), completing a multipart upload, and deleting a participant's recordings. Uploads go
 * straight from the facilitator's browser to S3; the API only signs. Reports and guides: presigned GETs.
 */
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3Client } from '../../shared/runtime/clients.ts';
import { resources } from '../../shared/runtime/environment.ts';
import { safeFileName } from './names.ts';

const MiB = 1024 * 1024;
/** A single presigned PUT carries at most this much; larger recordings go multipart. */
export const MAX_SINGLE_UPLOAD_BYTES = 100 * MiB;
export const MAX_RECORDING_BYTES = 5 * 1024 * MiB;
/** S3's minimum for every part but the last. */
export const MIN_PART_BYTES = 5 * MiB;
export const MAX_PART_BYTES = 512 * MiB;
export const DEFAULT_PART_BYTES = 16 * MiB;
/** Audio and video recordings, and transcripts. */
export const RECORDING_CONTENT_TYPE =
  /^(?:(?:audio|video)\/[a-z0-9][a-z0-9.+-]{0,99}|text\/plain|text\/vtt)$/;
/** Long enough for a large upload on a slow line; short enough that a leaked link soon dies. */
export const SINGLE_UPLOAD_TTL_SECONDS = 3600;
export const MULTIPART_UPLOAD_TTL_SECONDS = 4 * 3600;

export interface InterviewRef {
  orgId: string;
  placeId: string;
  processId: string;
  interviewId: string;
}

export const interviewPrefix = (ref: InterviewRef, top: 'recordings' | 'quarantine' = 'recordings') =>
  `${top}/${ref.orgId}/${ref.placeId}/${ref.processId}/${ref.interviewId}/`;

export const recordingKey = (ref: InterviewRef, fileName: string) =>
  interviewPrefix(ref) + safeFileName(fileName);

export type UploadPlan =
  | {
      kind: 'single';
      key: string;
      method: 'PUT';
      url: string;
      headers: Record<string, string>;
      expiresAt: string;
    }
  | {
      kind: 'multipart';
      key: string;
      uploadId: string;
      partSize: number;
      parts: { partNumber: number; url: string }[];
      expiresAt: string;
    };

export async function planUpload(
  ref: InterviewRef,
  file: { fileName: string; contentType: string; size: number; partSize?: number | undefined },
  now: Date = new Date(),
): Promise<UploadPlan> {
  const key = recordingKey(ref, file.fileName);
  const Bucket = resources.bucketName;
  if (file.size <= MAX_SINGLE_UPLOAD_BYTES) {
    // The content type is signed: the object gets exactly the type the ingest checks.
    const url = await getSignedUrl(
      s3Client(),
      new PutObjectCommand({ Bucket, Key: key, ContentType: file.contentType }),
      { expiresIn: SINGLE_UPLOAD_TTL_SECONDS, signableHeaders: new Set(['content-type']) },
    );
    return {
      kind: 'single',
      key,
      method: 'PUT',
      url,
      headers: { 'content-type': file.contentType },
      expiresAt: new Date(now.getTime() + SINGLE_UPLOAD_TTL_SECONDS * 1000).toISOString(),
    };
  }
  const partSize = file.partSize ?? DEFAULT_PART_BYTES;
  const count = Math.ceil(file.size / partSize);
  const { UploadId } = await s3Client().send(
    new CreateMultipartUploadCommand({ Bucket, Key: key, ContentType: file.contentType }),
  );
  if (!UploadId) throw new Error('S3 answered CreateMultipartUpload without an UploadId');
  const parts = await Promise.all(
    Array.from({ length: count }, async (_, i) => ({
      partNumber: i + 1,
      url: await getSignedUrl(
        s3Client(),
        new UploadPartCommand({ Bucket, Key: key, UploadId, PartNumber: i + 1 }),
        { expiresIn: MULTIPART_UPLOAD_TTL_SECONDS },
      ),
    })),
  );
  return {
    kind: 'multipart',
    key,
    uploadId: UploadId,
    partSize,
    parts,
    expiresAt: new Date(now.getTime() + MULTIPART_UPLOAD_TTL_SECONDS * 1000).toISOString(),
  };
}

export async function completeUpload(
  key: string,
  uploadId: string,
  parts: { partNumber: number; etag: string }[],
): Promise<{ key: string; etag?: string }> {
  const result = await s3Client().send(
    new CompleteMultipartUploadCommand({
      Bucket: resources.bucketName,
      Key: key,
      UploadId: uploadId,
      MultipartUpload: { Parts: parts.map((p) => ({ PartNumber: p.partNumber, ETag: p.etag })) },
    }),
  );
  return { key, ...(result.ETag ? { etag: result.ETag } : {}) };
}

/** Deletes every object under the prefixes; returns how many there were. */
export async function deleteUnder(prefixes: readonly string[]): Promise<number> {
  let deleted = 0;
  for (const Prefix of prefixes) {
    let ContinuationToken: string | undefined;
    do {
      const page = await s3Client().send(
        new ListObjectsV2Command({ Bucket: resources.bucketName, Prefix, ContinuationToken }),
      );
      for (const object of page.Contents ?? []) {
        if (!object.Key) continue;
        await s3Client().send(new DeleteObjectCommand({ Bucket: resources.bucketName, Key: object.Key }));
        deleted++;
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }
  return deleted;
}

/** A presigned GET, for report and guide links. */
export async function presignedGet(key: string, expiresIn = 3600): Promise<string> {
  return getSignedUrl(s3Client(), new GetObjectCommand({ Bucket: resources.bucketName, Key: key }), {
    expiresIn,
  });
}
