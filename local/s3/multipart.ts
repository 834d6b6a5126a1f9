/**
 * The multipart-upload rules S3 enforces and s3rver does not: an upload must exist for UploadPart
 * and CompleteMultipartUpload (NoSuchUpload), the completion must list uploaded parts in ascending
 * order with matching ETags (InvalidPart, InvalidPartOrder), every part but the last must be at
 * least 5 MiB (EntityTooSmall), and AbortMultipartUpload discards the parts.
 */
import { readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FilesystemStore } from 's3rver';
import { S3Error } from './errors.ts';

export const MIN_PART_SIZE = 5 * 1024 * 1024;

const noSuchUpload = (uploadId: string) =>
  new S3Error(
    'NoSuchUpload',
    404,
    'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.',
    { UploadId: uploadId },
  );

/** The folder where s3rver keeps an upload's parts; throws NoSuchUpload unless it belongs to this key. */
export async function uploadDirectory(store: FilesystemStore, bucket: string, key: string, uploadId: string) {
  // s3rver's upload IDs are 32 hex digits; anything else could also walk out of the folder.
  if (!/^[0-9a-f]{32}$/.test(uploadId)) throw noSuchUpload(uploadId);
  const directory = path.join(store.getResourcePath(bucket, undefined, 'uploads'), uploadId);
  const uploadKey = await readFile(path.join(directory, 'key'), 'utf8').catch(() => undefined);
  if (uploadKey !== key) throw noSuchUpload(uploadId);
  return directory;
}

export function checkPartNumber(value: string | null): void {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) {
    throw new S3Error(
      'InvalidArgument',
      400,
      'Part number must be an integer between 1 and 10000, inclusive',
      {
        ArgumentName: 'partNumber',
        ArgumentValue: value ?? '',
      },
    );
  }
}

const unescapeXml = (value: string) =>
  value
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** Checks a CompleteMultipartUpload request body against the uploaded parts, as S3 does. */
export async function checkCompletion(directory: string, uploadId: string, xml: string): Promise<void> {
  const parts = [...xml.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map(([, body = '']) => ({
    number: Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(body)?.[1]),
    etag: unescapeXml(/<ETag>([\s\S]*?)<\/ETag>/.exec(body)?.[1] ?? '').replace(/"/g, ''),
  }));
  if (parts.length === 0 || parts.some((p) => !Number.isInteger(p.number))) {
    throw new S3Error(
      'MalformedXML',
      400,
      'The XML you provided was not well-formed or did not validate against our published schema',
    );
  }
  for (let i = 1; i < parts.length; i++) {
    if ((parts[i]?.number ?? 0) <= (parts[i - 1]?.number ?? 0)) {
      throw new S3Error(
        'InvalidPartOrder',
        400,
        'The list of parts was not in ascending order. The parts list must be specified in order by part number.',
        { UploadId: uploadId },
      );
    }
  }
  for (const [i, part] of parts.entries()) {
    const file = path.join(directory, String(part.number));
    const [md5, info] = await Promise.all([
      readFile(`${file}.md5`, 'utf8').catch(() => undefined),
      stat(file).catch(() => undefined),
    ]);
    if (md5 === undefined || info === undefined || md5 !== part.etag) {
      throw new S3Error(
        'InvalidPart',
        400,
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
        { UploadId: uploadId, PartNumber: String(part.number), ETag: part.etag },
      );
    }
    if (i < parts.length - 1 && info.size < MIN_PART_SIZE) {
      throw new S3Error(
        'EntityTooSmall',
        400,
        'Your proposed upload is smaller than the minimum allowed size',
        {
          ProposedSize: String(info.size),
          MinSizeAllowed: String(MIN_PART_SIZE),
          PartNumber: String(part.number),
          ETag: part.etag,
        },
      );
    }
  }
}

export async function abortUpload(directory: string): Promise<void> {
  await rm(directory, { recursive: true, force: true });
}
