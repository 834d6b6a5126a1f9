/**
 * S3 for the local runtime: s3rver (objects on the filesystem) behind a thin HTTP front that makes
 * it behave like S3 where the pipeline depends on it, and that turns its object notifications into
 * the EventBridge events S3 puts on the default bus ("Object Created", "Object Deleted").
 *
 * The front handles, before s3rver sees a request: aws-chunked bodies and checksums
 * (upload-body.ts), multipart rules and AbortMultipartUpload (multipart.ts), ListObjectsV2
 * (list-objects-v2.ts). Only path-style requests are supported; the SDK uses path style by itself
 * for an IP endpoint such as http://127.0.0.1:port.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import S3rver from 's3rver';
import AWSAccount from 's3rver/lib/models/account.js';
import { type Clock, systemClock } from '../clock.ts';
import { eventPublisher } from '../event-publisher.ts';
import { serveOnLoopback } from '../loopback-server.ts';
import { escapeXml, S3Error, sendS3Error } from './errors.ts';
import { listObjectsV2 } from './list-objects-v2.ts';
import { abortUpload, checkCompletion, checkPartNumber, uploadDirectory } from './multipart.ts';
import {
  createSequencer,
  type ObjectCreatedReason,
  objectCreated,
  objectDeleted,
  type S3Notification,
  type S3Request,
} from './notifications.ts';
import { bodyOf, needsVerification, readSmallBody, spoolVerifiedBody, withBody } from './upload-body.ts';

export interface StartS3Options {
  /** Buckets that exist from the start (names as on AWS: 3-63 of a-z, 0-9, '.', '-'). */
  buckets: string[];
  /**
   * Receives every S3 notification as a PutEvents entry for the default bus. It is called before
   * the S3 response is sent (for DeleteObjects: right after); it may return a promise, and must
   * throw (or reject) when the entry was not accepted.
   */
  publish: (entry: S3Notification) => unknown;
  /** Objects live in `<dataDir>/s3`; in a temp dir, removed on stop, when absent. */
  dataDir?: string;
  /** A fixed port; an OS-chosen free port when absent or 0. */
  port?: number;
  /** The account ID notifications name as requester. */
  accountId?: string;
  /**
   * Origins browsers may upload from (the console, presigned uploads); ['*'] when absent. Applied
   * as each bucket's CORS configuration, which also exposes ETag for browser multipart uploads.
   */
  corsAllowedOrigins?: string[];
  /** Event time comes from here. */
  clock?: Clock;
  /** Operational notes (publish failures). Never object keys or contents. */
  log?: (message: string) => void;
}

export interface S3Metrics {
  objectCreated: number;
  objectDeleted: number;
  publishFailed: number;
}

export interface LocalS3 {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  port: number;
  /** Where the objects live. */
  directory: string;
  buckets: readonly string[];
  metrics(): S3Metrics;
  /** Notifications `publish` refused, with the error; kept so nothing is lost silently. */
  undelivered(): { entry: S3Notification; error: string }[];
  /** Resolves once every notification handed to an async `publish` has settled. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const BUCKET_NAME = /^(?!\d+\.\d+\.\d+\.\d+$)(?!xn--)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

// s3rver only admits the access key "S3RVER", but callers sign with whatever dummy credentials the
// runtime hands out. It does not verify SigV4 signatures anyway, so every key maps to its account.
function acceptAnyAccessKey(): void {
  const registry = AWSAccount.registry;
  if (registry.constructor !== Map) return;
  const fallback = registry.get('S3RVER');
  AWSAccount.registry = new (class extends Map<string, AWSAccount> {
    override get(accessKeyId: string) {
      return super.get(accessKeyId) ?? fallback;
    }
  })(registry);
}

/** The S3 operation a request performs, as far as notifications care. */
function operationOf(
  method: string,
  key: string | undefined,
  query: URLSearchParams,
  req: IncomingMessage,
): ObjectCreatedReason | 'DeleteObject' | 'DeleteObjects' | undefined {
  if (key === undefined) {
    if (method === 'POST' && query.has('delete')) return 'DeleteObjects';
    if (method === 'POST' && query.size === 0) return 'PostObject';
    return undefined;
  }
  if (method === 'PUT' && !query.has('uploadId') && !query.has('tagging') && !query.has('acl')) {
    return req.headers['x-amz-copy-source'] === undefined ? 'PutObject' : 'CopyObject';
  }
  if (method === 'POST' && query.has('uploadId')) return 'CompleteMultipartUpload';
  if (method === 'DELETE' && !query.has('uploadId')) return 'DeleteObject';
  return undefined;
}

const corsConfiguration = (origins: string[]) =>
  '<CORSConfiguration><CORSRule>' +
  origins.map((origin) => `<AllowedOrigin>${escapeXml(origin)}</AllowedOrigin>`).join('') +
  ['GET', 'HEAD', 'PUT', 'POST'].map((method) => `<AllowedMethod>${method}</AllowedMethod>`).join('') +
  '<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>' +
  '</CORSRule></CORSConfiguration>';

function parsePath(pathname: string): { bucket?: string; key?: string } {
  const match = /^\/([^/]+)(?:\/(.*))?$/.exec(pathname);
  if (!match?.[1]) return {};
  const key = match[2] ? decodeURIComponent(match[2]) : undefined;
  return { bucket: decodeURIComponent(match[1]), ...(key ? { key } : {}) };
}

export async function startS3(options: StartS3Options): Promise<LocalS3> {
  for (const bucket of options.buckets) {
    if (!BUCKET_NAME.test(bucket))
      throw new Error(`Invalid bucket name "${bucket}" (3-63 of a-z, 0-9, '.', '-')`);
  }
  const clock = options.clock ?? systemClock;
  const log = options.log ?? ((message: string) => console.error(`[s3] ${message}`));
  const accountId = options.accountId ?? '000000000000';
  const ownsDirectory = options.dataDir === undefined;
  const directory = ownsDirectory
    ? await mkdtemp(path.join(tmpdir(), 'samskapa-s3-'))
    : path.resolve(options.dataDir as string, 's3');
  await mkdir(directory, { recursive: true });
  // Verified upload bodies wait here; outside `directory`, where s3rver would list it as a bucket.
  const spool = await mkdtemp(path.join(tmpdir(), 'samskapa-s3-spool-'));

  acceptAnyAccessKey();
  const s3rver = new S3rver({
    directory,
    silent: true,
    vhostBuckets: false,
    configureBuckets: options.buckets.map((name) => ({
      name,
      configs: [corsConfiguration(options.corsAllowedOrigins ?? ['*'])],
    })),
  });
  await s3rver.configureBuckets();
  const handleWithS3rver = s3rver.callback();
  const store = s3rver.store;

  const metrics: S3Metrics = { objectCreated: 0, objectDeleted: 0, publishFailed: 0 };
  const nextSequencer = createSequencer(() => clock.now());
  const requestContext = new AsyncLocalStorage<S3Request & { operation?: string }>();

  const publisher = eventPublisher<S3Notification>(
    (entry) => options.publish(entry),
    (entry, message) => {
      metrics.publishFailed++;
      log(`${entry.DetailType} notification for bucket ${entry.Resources[0]} was not published: ${message}`);
    },
  );
  const publish = (entry: S3Notification) => {
    if (entry.DetailType === 'Object Created') metrics.objectCreated++;
    else metrics.objectDeleted++;
    publisher.publish(entry);
  };

  // s3rver emits its notification synchronously right after storing the object, inside the
  // request's async context, so the request (and the operation S3 would name) is known here.
  s3rver.on('event', (event: { Records: S3rver.S3rverEventRecord[] }) => {
    for (const record of event.Records) {
      const context = requestContext.getStore();
      const request: S3Request = context ?? {
        requestId: record.responseElements['x-amz-request-id'],
        requester: accountId,
        sourceIpAddress: record.requestParameters.sourceIPAddress,
      };
      const bucket = record.s3.bucket.name;
      const { key } = record.s3.object;
      const time = new Date(clock.now());
      if (record.eventName.startsWith('ObjectCreated:')) {
        const fallback: Record<string, ObjectCreatedReason> = {
          'ObjectCreated:Put': 'PutObject',
          'ObjectCreated:Post': 'PostObject',
          'ObjectCreated:Copy': 'CopyObject',
        };
        const operation = context?.operation;
        const reason =
          operation === 'PutObject' ||
          operation === 'PostObject' ||
          operation === 'CopyObject' ||
          operation === 'CompleteMultipartUpload'
            ? operation
            : (fallback[record.eventName] ?? 'PutObject');
        publish(
          objectCreated({
            bucket,
            key,
            size: record.s3.object.size ?? 0,
            etag: record.s3.object.eTag ?? storedEtag(bucket, key),
            sequencer: nextSequencer(),
            reason,
            request,
            time,
          }),
        );
      } else if (record.eventName === 'ObjectRemoved:Delete') {
        publish(
          objectDeleted({ bucket, key, sequencer: nextSequencer(), reason: 'DeleteObject', request, time }),
        );
      }
    }
  });

  // s3rver leaves the ETag out of copy notifications; the copy's MD5 is already on disk when it emits.
  const storedEtag = (bucket: string, key: string): string | undefined => {
    try {
      return readFileSync(store.getResourcePath(bucket, key, 'object.md5'), 'utf8');
    } catch {
      return undefined;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    res.setHeader('x-amz-request-id', requestId);
    res.setHeader('x-amz-id-2', randomBytes(24).toString('base64'));
    const url = new URL(req.url ?? '/', 'http://s3.local');
    const method = req.method ?? 'GET';
    const query = url.searchParams;
    let target: { bucket?: string; key?: string };
    try {
      target = parsePath(url.pathname);
    } catch {
      sendS3Error(
        res,
        new S3Error('InvalidURI', 400, "Couldn't parse the specified URI."),
        requestId,
        url.pathname,
      );
      return;
    }
    const { bucket, key } = target;
    const operation = operationOf(method, key, query, req);
    const context = {
      requestId,
      requester: accountId,
      sourceIpAddress: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
      ...(operation ? { operation } : {}),
    };
    const cleanup: string[] = [];
    // Answers the front gives itself carry the CORS headers S3 would add, so a browser sees them.
    const origin = req.headers.origin;
    const allowed = options.corsAllowedOrigins ?? ['*'];
    if (origin && (allowed.includes('*') || allowed.includes(origin))) {
      res.setHeader('Access-Control-Allow-Origin', allowed.includes('*') ? '*' : origin);
      res.setHeader('Access-Control-Expose-Headers', 'ETag');
    }
    if (method === 'OPTIONS') {
      await handleWithS3rver(req, res);
      return;
    }
    try {
      let forwarded = req;
      const uploadId = query.get('uploadId');
      let deletedKeys: string[] = [];
      if (bucket !== undefined && key === undefined && method === 'GET' && query.get('list-type') === '2') {
        const xml = await listObjectsV2(store, bucket, query);
        res.setHeader('Content-Type', 'application/xml');
        res.end(xml);
        return;
      }
      if (bucket !== undefined && key !== undefined && uploadId !== null) {
        if (!(await store.getBucket(bucket))) {
          throw new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist', {
            BucketName: bucket,
          });
        }
        const directory = await uploadDirectory(store, bucket, key, uploadId);
        if (method === 'DELETE') {
          await abortUpload(directory);
          res.statusCode = 204;
          res.end();
          return;
        }
        if (method === 'PUT') checkPartNumber(query.get('partNumber'));
        if (method === 'POST') {
          const body = await readSmallBody(req);
          await checkCompletion(directory, uploadId, body.toString('utf8'));
          forwarded = withBody(req, bodyOf(body), req.headers);
        }
      }
      if (operation === 'DeleteObjects' && bucket !== undefined) {
        // s3rver deletes these without notifications; S3 sends one "Object Deleted" per removed key.
        const body = await readSmallBody(req);
        const keys = [...body.toString('utf8').matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map(([, k = '']) =>
          k.replace(
            /&(lt|gt|quot|apos|amp);/g,
            (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e] ?? '',
          ),
        );
        const exists = await Promise.all(keys.map((k) => store.existsObject(bucket, k).catch(() => false)));
        deletedKeys = keys.filter((_, i) => exists[i]);
        forwarded = withBody(req, bodyOf(body), req.headers);
      }
      if (
        method === 'PUT' &&
        key !== undefined &&
        operation !== 'CopyObject' &&
        needsVerification(req.headers)
      ) {
        const file = path.join(spool, randomBytes(12).toString('hex'));
        cleanup.push(file);
        const { headers } = await spoolVerifiedBody(req, file);
        forwarded = withBody(req, createReadStream(file), headers);
      }
      await requestContext.run(context, () => handleWithS3rver(forwarded, res));
      if (deletedKeys.length > 0 && bucket !== undefined && res.statusCode === 200) {
        const time = new Date(clock.now());
        for (const deleted of deletedKeys) {
          publish(
            objectDeleted({
              bucket,
              key: deleted,
              sequencer: nextSequencer(),
              reason: 'DeleteObjects',
              request: context,
              time,
            }),
          );
        }
      }
    } catch (error) {
      const s3Error =
        error instanceof S3Error
          ? error
          : new S3Error('InternalError', 500, 'We encountered an internal error. Please try again.');
      if (!(error instanceof S3Error)) log(`${method} request failed: ${(error as Error).message}`);
      if (!res.headersSent && !res.writableEnded) sendS3Error(res, s3Error, requestId, url.pathname);
      else res.destroy();
    } finally {
      if (cleanup.length > 0) {
        // The spooled body is read by s3rver while it answers; remove it once the answer is out.
        const remove = () => Promise.all(cleanup.map((file) => rm(file, { force: true })));
        if (res.writableFinished || res.destroyed) await remove();
        else res.once('close', () => void remove());
      }
    }
  };

  const { server, port } = await serveOnLoopback(handle, {
    ...(options.port ? { port: options.port } : {}),
    log,
  });

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    directory,
    buckets: [...options.buckets],
    metrics: () => ({ ...metrics }),
    undelivered: publisher.undelivered,
    idle: async () => {
      await publisher.idle();
    },
    stop: () => {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await publisher.idle();
        s3rver.removeAllListeners('event');
        s3rver.logger.close();
        await rm(spool, { recursive: true, force: true });
        if (ownsDirectory) await rm(directory, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
