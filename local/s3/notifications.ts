/**
 * S3 event notifications in the shape S3 sends them to EventBridge (source `aws.s3`, detail-types
 * "Object Created" and "Object Deleted"; see "EventBridge event message structure" in the S3 user
 * guide). The bus adds `id`, `account` and `region`; everything else is here.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';

export type ObjectCreatedReason = 'PutObject' | 'PostObject' | 'CopyObject' | 'CompleteMultipartUpload';

/** What S3 knows about the request that caused a notification. */
export interface S3Request {
  requestId: string;
  /** account ID of the caller */
  requester: string;
  sourceIpAddress: string;
}

export interface ObjectCreatedDetail {
  version: '0';
  bucket: { name: string };
  object: { key: string; size: number; etag?: string; sequencer: string };
  'request-id': string;
  requester: string;
  'source-ip-address': string;
  reason: ObjectCreatedReason;
}

export interface ObjectDeletedDetail {
  version: '0';
  bucket: { name: string };
  object: { key: string; sequencer: string };
  'request-id': string;
  requester: string;
  'source-ip-address': string;
  reason: 'DeleteObject' | 'DeleteObjects';
  'deletion-type': 'Permanently Deleted';
}

/** What the local S3 hands to `publish`: a PutEvents entry for the default bus. */
export type S3Notification = Required<
  Pick<PutEventsRequestEntry, 'Source' | 'DetailType' | 'Detail' | 'Resources'>
> & {
  Time: Date;
};

const entry = (bucket: string, detailType: string, detail: object, time: Date): S3Notification => ({
  Source: 'aws.s3',
  DetailType: detailType,
  Detail: JSON.stringify(detail),
  Resources: [`arn:aws:s3:::${bucket}`],
  Time: time,
});

export function objectCreated(input: {
  bucket: string;
  key: string;
  size: number;
  etag: string | undefined;
  sequencer: string;
  reason: ObjectCreatedReason;
  request: S3Request;
  time: Date;
}): S3Notification {
  const detail: ObjectCreatedDetail = {
    version: '0',
    bucket: { name: input.bucket },
    object: {
      key: input.key,
      size: input.size,
      ...(input.etag === undefined ? {} : { etag: input.etag }),
      sequencer: input.sequencer,
    },
    'request-id': input.request.requestId,
    requester: input.request.requester,
    'source-ip-address': input.request.sourceIpAddress,
    reason: input.reason,
  };
  return entry(input.bucket, 'Object Created', detail, input.time);
}

export function objectDeleted(input: {
  bucket: string;
  key: string;
  sequencer: string;
  reason: 'DeleteObject' | 'DeleteObjects';
  request: S3Request;
  time: Date;
}): S3Notification {
  const detail: ObjectDeletedDetail = {
    version: '0',
    bucket: { name: input.bucket },
    object: { key: input.key, sequencer: input.sequencer },
    'request-id': input.request.requestId,
    requester: input.request.requester,
    'source-ip-address': input.request.sourceIpAddress,
    reason: input.reason,
    'deletion-type': 'Permanently Deleted',
  };
  return entry(input.bucket, 'Object Deleted', detail, input.time);
}

/**
 * S3's `sequencer`: hex, and for one key a later event has a greater value (compared as equal-length
 * strings). Milliseconds shifted left with a counter, so two events in one millisecond still order.
 */
export function createSequencer(now: () => number): () => string {
  let last = 0n;
  return () => {
    const fromClock = BigInt(Math.trunc(now())) << 16n;
    last = fromClock > last ? fromClock : last + 1n;
    return last.toString(16).toUpperCase().padStart(18, '0');
  };
}
