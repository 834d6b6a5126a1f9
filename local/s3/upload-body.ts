/**
 * Upload bodies as S3 receives them. s3rver stores the raw request body, which is wrong in two
 * cases the AWS SDK v3 produces every day:
 * - streaming bodies are sent `Content-Encoding: aws-chunked` with a trailing checksum, so the
 *   chunk framing would end up inside the object;
 * - S3 rejects a body whose `Content-MD5` or `x-amz-checksum-*` does not match (BadDigest), and the
 *   local S3 must reject the same uploads.
 * Such bodies are decoded and verified into a spool file first; only a verified body reaches s3rver.
 */
import { createWriteStream } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CHECKSUM_ALGORITHMS, type Checksum, createChecksum, isChecksumAlgorithm } from './checksums.ts';
import { S3Error } from './errors.ts';

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

const isAwsChunked = (headers: IncomingHttpHeaders): boolean =>
  /(^|,)\s*aws-chunked\s*(,|$)/i.test(header(headers, 'content-encoding') ?? '') ||
  (header(headers, 'x-amz-content-sha256') ?? '').startsWith('STREAMING-');

/** Whether the body must be decoded or verified before it can be stored. */
export const needsVerification = (headers: IncomingHttpHeaders): boolean =>
  isAwsChunked(headers) ||
  headers['content-md5'] !== undefined ||
  CHECKSUM_ALGORITHMS.some((algorithm) => headers[`x-amz-checksum-${algorithm}`] !== undefined);

/**
 * Decodes `aws-chunked` (both the unsigned-trailer and the signed variants):
 * `<hex size>[;chunk-signature=...]\r\n<data>\r\n ... 0\r\n[<trailer>:<value>\r\n...]\r\n`.
 */
export class AwsChunkedDecoder extends Transform {
  readonly trailers: Record<string, string> = {};
  #pending: Buffer = Buffer.alloc(0);
  #remaining = 0;
  #state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    try {
      this.#drain();
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    // A client may stop right after the last-chunk line when it sends no trailer.
    const finished = this.#state === 'done' || (this.#state === 'trailer' && this.#pending.length === 0);
    callback(finished ? null : incompleteBody());
  }

  #drain(): void {
    for (;;) {
      if (this.#state === 'data') {
        if (this.#pending.length === 0) return;
        const take = Math.min(this.#remaining, this.#pending.length);
        this.push(this.#pending.subarray(0, take));
        this.#pending = this.#pending.subarray(take);
        this.#remaining -= take;
        if (this.#remaining === 0) this.#state = 'data-end';
        continue;
      }
      if (this.#state === 'data-end') {
        if (this.#pending.length < 2) return;
        if (this.#pending[0] !== 0x0d || this.#pending[1] !== 0x0a) throw incompleteBody();
        this.#pending = this.#pending.subarray(2);
        this.#state = 'size';
        continue;
      }
      if (this.#state === 'done') {
        this.#pending = Buffer.alloc(0);
        return;
      }
      const end = this.#pending.indexOf('\r\n');
      if (end < 0) {
        if (this.#pending.length > 8192) throw incompleteBody();
        return;
      }
      const line = this.#pending.subarray(0, end).toString('latin1');
      this.#pending = this.#pending.subarray(end + 2);
      if (this.#state === 'size') {
        const sizeField = line.split(';')[0]?.trim() ?? '';
        if (!/^[0-9a-fA-F]+$/.test(sizeField)) throw incompleteBody();
        this.#remaining = Number.parseInt(sizeField, 16);
        this.#state = this.#remaining === 0 ? 'trailer' : 'data';
      } else if (line === '') {
        this.#state = 'done';
      } else {
        const colon = line.indexOf(':');
        if (colon <= 0) throw incompleteBody();
        this.trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
    }
  }
}

const incompleteBody = () =>
  new S3Error(
    'IncompleteBody',
    400,
    'The request body terminated unexpectedly or was not valid aws-chunked encoding.',
  );

const badDigest = (what: string) =>
  new S3Error('BadDigest', 400, `The ${what} you specified did not match the calculated checksum.`);

/**
 * Streams the request body into `file`, decoding aws-chunked and checking Content-MD5, the
 * `x-amz-checksum-*` header or trailer and the decoded length. Returns the headers s3rver must
 * see for the decoded body.
 */
export async function spoolVerifiedBody(
  req: IncomingMessage,
  file: string,
): Promise<{ size: number; headers: IncomingHttpHeaders }> {
  const headers = req.headers;
  const chunked = isAwsChunked(headers);
  const trailerNames = (header(headers, 'x-amz-trailer') ?? '')
    .split(',')
    .map((name) => name.trim().toLowerCase())
    .filter(Boolean);
  const announced = [
    ...CHECKSUM_ALGORITHMS.filter((algorithm) => headers[`x-amz-checksum-${algorithm}`] !== undefined),
    ...trailerNames.map((name) => name.replace(/^x-amz-checksum-/, '')),
  ];
  if (announced.length > 1) {
    throw new S3Error(
      'InvalidRequest',
      400,
      'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
    );
  }
  const algorithm = announced[0];
  if (algorithm !== undefined && !isChecksumAlgorithm(algorithm)) {
    throw new S3Error('InvalidRequest', 400, `Unsupported checksum trailer: x-amz-checksum-${algorithm}.`);
  }

  const contentMd5 = header(headers, 'content-md5');
  if (contentMd5 !== undefined && Buffer.from(contentMd5, 'base64').length !== 16) {
    throw new S3Error('InvalidDigest', 400, 'The Content-MD5 you specified was not valid.');
  }

  const checksum: Checksum | undefined = algorithm ? createChecksum(algorithm) : undefined;
  const md5 = contentMd5 ? createChecksum('md5') : undefined;
  let size = 0;
  const measure = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      size += chunk.length;
      checksum?.update(chunk);
      md5?.update(chunk);
      callback(null, chunk);
    },
  });
  const decoder = chunked ? new AwsChunkedDecoder() : undefined;
  if (decoder) await pipeline(req, decoder, measure, createWriteStream(file));
  else await pipeline(req, measure, createWriteStream(file));

  const decodedLength = header(headers, 'x-amz-decoded-content-length');
  if (chunked && decodedLength !== undefined && Number(decodedLength) !== size) throw incompleteBody();
  if (md5 && md5.digest() !== contentMd5) {
    throw new S3Error('BadDigest', 400, 'The Content-MD5 you specified did not match what we received.');
  }
  if (algorithm && checksum) {
    const name = `x-amz-checksum-${algorithm}`;
    const expected = header(headers, name) ?? decoder?.trailers[name];
    if (expected === undefined)
      throw new S3Error('InvalidRequest', 400, `The trailer ${name} was announced but not sent.`);
    if (checksum.digest() !== expected) throw badDigest(algorithm.toUpperCase());
  }

  const decodedHeaders: IncomingHttpHeaders = { ...headers, 'content-length': String(size) };
  delete decodedHeaders['transfer-encoding'];
  delete decodedHeaders['x-amz-trailer'];
  delete decodedHeaders['x-amz-decoded-content-length'];
  const encodings = (header(headers, 'content-encoding') ?? '')
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e && e.toLowerCase() !== 'aws-chunked');
  if (encodings.length > 0) decodedHeaders['content-encoding'] = encodings.join(', ');
  else delete decodedHeaders['content-encoding'];
  return { size, headers: decodedHeaders };
}

/**
 * A request s3rver (Koa) can handle in place of `original` but whose body is `body`: Koa reads
 * method, url, headers and the socket from the request and pipes the body from it.
 */
export function withBody(
  original: IncomingMessage,
  body: Readable,
  headers: IncomingHttpHeaders,
): IncomingMessage {
  return Object.assign(body, {
    headers,
    rawHeaders: [],
    trailers: {},
    rawTrailers: [],
    method: original.method,
    url: original.url,
    httpVersion: original.httpVersion,
    httpVersionMajor: original.httpVersionMajor,
    httpVersionMinor: original.httpVersionMinor,
    socket: original.socket,
    connection: original.socket,
    complete: true,
    aborted: false,
  }) as unknown as IncomingMessage;
}

/** Reads a small request body (XML requests such as CompleteMultipartUpload) into memory. */
export async function readSmallBody(req: IncomingMessage, limit = 2 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > limit) throw new S3Error('MaxMessageLengthExceeded', 400, 'Your request was too big.');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export const bodyOf = (buffer: Buffer): Readable => Readable.from([buffer]);
