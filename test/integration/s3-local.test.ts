/**
 * The local S3 with the real SDK: presigned and multipart uploads as facilitators' browsers do
 * them, the quarantine move, and the "Object Created" events S3 puts on the default bus.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/clock.ts';
import { type LocalS3, startS3 } from '../../local/s3/index.ts';
import type { S3Notification } from '../../local/s3/notifications.ts';

const BUCKET = 'samskapa-files';
const MiB = 1024 * 1024;

let s3: LocalS3;
let client: S3Client;
const published: S3Notification[] = [];
const clock = new ManualClock('2026-03-02T09:00:00Z');

const md5 = (data: Buffer | string) => createHash('md5').update(data).digest('hex');
const details = () => published.map((entry) => ({ ...entry, Detail: JSON.parse(entry.Detail) }));
const created = () => details().filter((entry) => entry.DetailType === 'Object Created');

beforeAll(async () => {
  s3 = await startS3({ buckets: [BUCKET], publish: (entry) => void published.push(entry), clock });
  // What every function does: a plain client; the endpoint comes from AWS_ENDPOINT_URL_S3.
  process.env.AWS_ENDPOINT_URL_S3 = s3.endpoint;
  client = new S3Client({
    region: 'eu-north-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client.destroy();
  delete process.env.AWS_ENDPOINT_URL_S3;
  await s3.stop();
});

beforeEach(() => {
  published.length = 0;
});

describe('uploads', () => {
  it('a presigned PUT stores the object and publishes exactly one Object Created event of S3 shape', async () => {
    const key = 'recordings/org-1/place-1/process-1/interview-1/audio.m4a';
    const body = Buffer.from('an interview recording');
    const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: key }), {
      expiresIn: 300,
    });
    expect(new URL(url).pathname).toBe(`/${BUCKET}/${key}`);

    const response = await fetch(url, { method: 'PUT', body });
    expect(response.status).toBe(200);

    const stored = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Buffer.from(await (stored.Body as Readable).toArray().then(Buffer.concat))).toEqual(body);
    expect(published).toHaveLength(1);
    expect(details()[0]).toEqual({
      Source: 'aws.s3',
      DetailType: 'Object Created',
      Resources: [`arn:aws:s3:::${BUCKET}`],
      Time: new Date('2026-03-02T09:00:00Z'),
      Detail: {
        version: '0',
        bucket: { name: BUCKET },
        object: {
          key,
          size: body.length,
          etag: md5(body),
          sequencer: expect.stringMatching(/^[0-9A-F]{18}$/),
        },
        'request-id': response.headers.get('x-amz-request-id'),
        requester: '000000000000',
        'source-ip-address': '127.0.0.1',
        reason: 'PutObject',
      },
    });
  });

  it('multipart upload through presigned part URLs publishes one event with reason CompleteMultipartUpload', async () => {
    const key = 'recordings/org-1/place-1/process-1/interview-2/long.m4a';
    const parts = [Buffer.alloc(5 * MiB, 1), Buffer.alloc(5 * MiB, 2), Buffer.alloc(MiB + 17, 3)];
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ContentType: 'audio/mp4' }),
    );
    const uploaded = [];
    for (const [i, part] of parts.entries()) {
      const url = await getSignedUrl(
        client,
        new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: i + 1 }),
        { expiresIn: 300 },
      );
      const response = await fetch(url, { method: 'PUT', body: part });
      expect(response.status).toBe(200);
      uploaded.push({ PartNumber: i + 1, ETag: response.headers.get('etag') ?? '' });
    }
    expect(published).toHaveLength(0);

    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: uploaded },
      }),
    );

    const all = Buffer.concat(parts);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentLength).toBe(all.length);
    expect(head.ContentType).toBe('audio/mp4');
    expect(created()).toHaveLength(1);
    expect(created()[0]?.Detail).toMatchObject({
      object: { key, size: all.length, etag: md5(all) },
      reason: 'CompleteMultipartUpload',
    });
  });

  it('lets a browser on another origin upload: CORS preflight passes and ETag is readable', async () => {
    const key = 'recordings/org-1/place-1/process-1/interview-4/browser.webm';
    const url = await getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: key }), {
      expiresIn: 300,
    });
    const origin = 'http://127.0.0.1:5173';
    const preflight = await fetch(url, {
      method: 'OPTIONS',
      headers: {
        Origin: origin,
        'Access-Control-Request-Method': 'PUT',
        'Access-Control-Request-Headers': 'content-type',
      },
    });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('PUT');

    const upload = await fetch(url, {
      method: 'PUT',
      body: 'webm',
      headers: { Origin: origin, 'Content-Type': 'video/webm' },
    });
    expect(upload.status).toBe(200);
    expect(upload.headers.get('access-control-expose-headers')).toContain('ETag');
    expect(upload.headers.get('etag')).toBe(`"${md5('webm')}"`);
  });

  it('SDK streaming uploads (aws-chunked with a checksum trailer) store exactly the bytes sent', async () => {
    const body = Buffer.from('ranked themes: mobility, housing, broadband\n'.repeat(1000));
    await client.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'reports/results.txt',
        Body: Readable.from([body.subarray(0, 1000), body.subarray(1000)]),
        ContentLength: body.length,
      }),
    );
    const stored = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'reports/results.txt' }));
    expect(Buffer.concat(await (stored.Body as Readable).toArray())).toEqual(body);
    expect(created()[0]?.Detail.object).toMatchObject({ size: body.length, etag: md5(body) });
  });

  it('a body that does not match its checksum is rejected with BadDigest, stores nothing and publishes nothing', async () => {
    await expect(
      client.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 'reports/corrupt.txt',
          Body: 'data',
          ChecksumCRC32: 'AAAAAA==',
        }),
      ),
    ).rejects.toMatchObject({ name: 'BadDigest' });
    await expect(
      client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'reports/corrupt.txt' })),
    ).rejects.toMatchObject({ name: 'NotFound' });
    expect(published).toHaveLength(0);
  });
});

describe('multipart rules S3 enforces', () => {
  it('rejects a completion whose non-final part is under 5 MiB, and an aborted upload is gone', async () => {
    const key = 'recordings/small-parts.bin';
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const one = await client.send(
      new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: Buffer.alloc(1024) }),
    );
    const two = await client.send(
      new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 2, Body: Buffer.alloc(1024) }),
    );
    const parts = [
      { PartNumber: 1, ETag: one.ETag },
      { PartNumber: 2, ETag: two.ETag },
    ];
    await expect(
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: parts },
        }),
      ),
    ).rejects.toMatchObject({ name: 'EntityTooSmall' });
    await expect(
      client.send(
        new CompleteMultipartUploadCommand({
          Bucket: BUCKET,
          Key: key,
          UploadId,
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: '"0123456789abcdef0123456789abcdef"' }] },
        }),
      ),
    ).rejects.toMatchObject({ name: 'InvalidPart' });

    await client.send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId }));
    await expect(
      client.send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 3, Body: 'x' })),
    ).rejects.toMatchObject({ name: 'NoSuchUpload' });
    expect(published).toHaveLength(0);
  });
});

describe('object operations', () => {
  it('a quarantine move (copy, then delete) publishes the copy as CopyObject and the removal as Object Deleted', async () => {
    const source = 'recordings/org-1/place-1/process-1/interview-3/audio.m4a';
    const target = 'quarantine/org-1/place-1/process-1/interview-3/audio.m4a';
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: source, Body: 'suspicious' }));
    published.length = 0;

    await client.send(
      new CopyObjectCommand({ Bucket: BUCKET, Key: target, CopySource: `${BUCKET}/${source}` }),
    );
    await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: source }));

    expect(details().map((e) => [e.DetailType, e.Detail.object.key, e.Detail.reason])).toEqual([
      ['Object Created', target, 'CopyObject'],
      ['Object Deleted', source, 'DeleteObject'],
    ]);
    expect(created()[0]?.Detail.object.etag).toBe(md5('suspicious'));
    await expect(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: source }))).rejects.toMatchObject({
      name: 'NotFound',
    });
    expect((await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: target }))).ContentLength).toBe(
      10,
    );
  });

  it('ListObjectsV2 pages in key order with continuation tokens and groups common prefixes', async () => {
    const keys = ['guides/b.md', 'guides/a.md', 'guides/a-b.md', 'guides/a/z.md', 'guides/c.md'];
    for (const key of keys) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: key }));

    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'guides/', MaxKeys: 2, ContinuationToken: token }),
      );
      expect(page.KeyCount).toBeLessThanOrEqual(2);
      seen.push(...(page.Contents ?? []).map((object) => object.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token);
    expect(seen).toEqual(['guides/a-b.md', 'guides/a.md', 'guides/a/z.md', 'guides/b.md', 'guides/c.md']);

    const grouped = await client.send(
      new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'guides/', Delimiter: '/' }),
    );
    expect(grouped.CommonPrefixes).toEqual([{ Prefix: 'guides/a/' }]);
    expect(grouped.Contents?.map((object) => [object.Key, object.Size, object.ETag])).toContainEqual([
      'guides/b.md',
      'guides/b.md'.length,
      `"${md5('guides/b.md')}"`,
    ]);
  });

  it('answers unknown keys and buckets with the errors the SDK names', async () => {
    await expect(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'missing' }))).rejects.toMatchObject(
      {
        name: 'NoSuchKey',
      },
    );
    await expect(
      client.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'x' })),
    ).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
  });
});

describe('lifecycle', () => {
  it('keeps objects in <dataDir>/s3 across restarts, and removes its temp dir when it had none', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'samskapa-s3-test-'));
    try {
      const first = await startS3({ buckets: ['persisted'], dataDir, publish: () => undefined });
      const local = new S3Client({
        region: 'eu-north-1',
        endpoint: first.endpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      await local.send(new PutObjectCommand({ Bucket: 'persisted', Key: 'guide.md', Body: 'how we did it' }));
      local.destroy();
      await first.stop();
      await expect(fetch(first.endpoint)).rejects.toThrow();

      const second = await startS3({ buckets: ['persisted'], dataDir, publish: () => undefined });
      const again = new S3Client({
        region: 'eu-north-1',
        endpoint: second.endpoint,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });
      const object = await again.send(new GetObjectCommand({ Bucket: 'persisted', Key: 'guide.md' }));
      expect(await object.Body?.transformToString()).toBe('how we did it');
      again.destroy();
      await second.stop();
      expect(existsSync(path.join(dataDir, 's3', 'persisted'))).toBe(true);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }

    const temporary = await startS3({ buckets: ['scratch'], publish: () => undefined });
    expect(existsSync(temporary.directory)).toBe(true);
    await temporary.stop();
    expect(existsSync(temporary.directory)).toBe(false);
  });

  it('keeps a notification the bus refused, counts it, and still stores the object', async () => {
    const refusing = await startS3({
      buckets: ['refusing'],
      publish: async () => {
        throw new Error('bus unavailable');
      },
      log: () => undefined,
    });
    const local = new S3Client({
      region: 'eu-north-1',
      endpoint: refusing.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await local.send(new PutObjectCommand({ Bucket: 'refusing', Key: 'k', Body: 'v' }));
    await refusing.idle();
    expect(refusing.metrics()).toEqual({ objectCreated: 1, objectDeleted: 0, publishFailed: 1 });
    expect(refusing.undelivered()).toMatchObject([
      { entry: { DetailType: 'Object Created' }, error: 'bus unavailable' },
    ]);
    local.destroy();
    await refusing.stop();
  });

  it('rejects bucket names AWS would reject', async () => {
    await expect(startS3({ buckets: ['Not_Valid'], publish: () => undefined })).rejects.toThrow(
      /Invalid bucket name/,
    );
  });
});
