/**
 * ListObjectsV2, answered here rather than by s3rver: s3rver walks the folder tree in directory
 * order (not key order) and builds its continuation tokens with DES, which OpenSSL 3 (Node >= 17)
 * no longer offers, so any truncated listing failed with InternalError. Keys are read from
 * s3rver's store layout (`<bucket>/<key>._S3rver_object`).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { FilesystemStore } from 's3rver';
import { escapeXml, S3Error } from './errors.ts';

const OBJECT_SUFFIX = '._S3rver_object';

/** S3 lists keys in UTF-8 binary order. */
const compareKeys = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

async function listKeys(store: FilesystemStore, bucket: string): Promise<string[]> {
  const root = path.join(store.rootDirectory, bucket);
  const entries = await readdir(root, { recursive: true });
  return entries
    .filter((entry) => entry.endsWith(OBJECT_SUFFIX))
    .map((entry) => entry.slice(0, -OBJECT_SUFFIX.length).split(path.sep).join('/'))
    .sort(compareKeys);
}

interface Position {
  bucket: string;
  /** the last key or common prefix returned */
  after: string;
  /** whether `after` was a common prefix, whose keys must all be skipped */
  prefix: boolean;
}

const encodeToken = (position: Position) => Buffer.from(JSON.stringify(position)).toString('base64');

function decodeToken(token: string, bucket: string): Position {
  try {
    const position = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as Position;
    if (position.bucket === bucket && typeof position.after === 'string') return position;
  } catch {
    // falls through to S3's answer for a token it did not issue
  }
  throw new S3Error('InvalidArgument', 400, 'The continuation token provided is incorrect', {
    ArgumentName: 'continuation-token',
  });
}

/** Answers `GET /<bucket>?list-type=2&...` with S3's ListBucketResult XML. */
export async function listObjectsV2(
  store: FilesystemStore,
  bucket: string,
  query: URLSearchParams,
): Promise<string> {
  if (!(await store.getBucket(bucket))) {
    throw new S3Error('NoSuchBucket', 404, 'The specified bucket does not exist', { BucketName: bucket });
  }
  const prefix = query.get('prefix') ?? '';
  const delimiter = query.get('delimiter') ?? '';
  const encodingType = query.get('encoding-type');
  if (encodingType !== null && encodingType !== 'url') {
    throw new S3Error('InvalidArgument', 400, 'Invalid Encoding Method specified in Request', {
      ArgumentName: 'encoding-type',
      ArgumentValue: encodingType,
    });
  }
  const maxKeysParam = query.get('max-keys');
  const requestedMaxKeys = maxKeysParam === null ? 1000 : Number(maxKeysParam);
  if (!Number.isInteger(requestedMaxKeys) || requestedMaxKeys < 0 || requestedMaxKeys > 2_147_483_647) {
    throw new S3Error('InvalidArgument', 400, 'Provided max-keys not an integer or within integer range', {
      ArgumentName: 'max-keys',
      ArgumentValue: maxKeysParam ?? '',
    });
  }
  const maxKeys = Math.min(1000, requestedMaxKeys);
  const token = query.get('continuation-token');
  const startAfter = query.get('start-after') ?? '';
  const position: Position = token
    ? decodeToken(token, bucket)
    : { bucket, after: startAfter, prefix: false };

  const contents: string[] = [];
  const commonPrefixes: string[] = [];
  let last: Position | undefined;
  let truncated = false;
  for (const key of await listKeys(store, bucket)) {
    if (!key.startsWith(prefix) || compareKeys(key, position.after) <= 0) continue;
    if (position.prefix && key.startsWith(position.after)) continue;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    const commonPrefix = cut >= 0 ? key.slice(0, cut + delimiter.length) : undefined;
    if (commonPrefix !== undefined && commonPrefix === commonPrefixes.at(-1)) continue;
    if (contents.length + commonPrefixes.length >= maxKeys) {
      truncated = maxKeys > 0;
      break;
    }
    if (commonPrefix !== undefined) {
      commonPrefixes.push(commonPrefix);
      last = { bucket, after: commonPrefix, prefix: true };
    } else {
      contents.push(key);
      last = { bucket, after: key, prefix: false };
    }
  }

  const encode = (value: string) => escapeXml(encodingType === 'url' ? encodeURIComponent(value) : value);
  const fetchOwner = query.get('fetch-owner') === 'true';
  const entries = await Promise.all(
    contents.map(async (key) => {
      // An object deleted while the page is built is simply no longer listed, as on S3.
      const metadata = await store.getMetadata(bucket, key).catch(() => undefined);
      if (!metadata) return '';
      const owner = fetchOwner ? '<Owner><ID>local</ID><DisplayName>local</DisplayName></Owner>' : '';
      return (
        `<Contents><Key>${encode(key)}</Key>` +
        `<LastModified>${new Date(String(metadata['last-modified'])).toISOString()}</LastModified>` +
        `<ETag>${escapeXml(String(metadata.etag))}</ETag><Size>${metadata['content-length']}</Size>` +
        `${owner}<StorageClass>STANDARD</StorageClass></Contents>`
      );
    }),
  );
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
    `<Name>${escapeXml(bucket)}</Name><Prefix>${encode(prefix)}</Prefix>` +
    (delimiter ? `<Delimiter>${encode(delimiter)}</Delimiter>` : '') +
    `<MaxKeys>${requestedMaxKeys}</MaxKeys>` +
    (encodingType ? '<EncodingType>url</EncodingType>' : '') +
    `<KeyCount>${contents.length + commonPrefixes.length}</KeyCount><IsTruncated>${truncated}</IsTruncated>` +
    (token ? `<ContinuationToken>${escapeXml(token)}</ContinuationToken>` : '') +
    (truncated && last ? `<NextContinuationToken>${encodeToken(last)}</NextContinuationToken>` : '') +
    (startAfter && !token ? `<StartAfter>${encode(startAfter)}</StartAfter>` : '') +
    entries.join('') +
    commonPrefixes.map((p) => `<CommonPrefixes><Prefix>${encode(p)}</Prefix></CommonPrefixes>`).join('') +
    '</ListBucketResult>'
  );
}
