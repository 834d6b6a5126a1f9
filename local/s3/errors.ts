/**
 * S3's REST-XML error responses, for the checks the local S3 makes in front of s3rver (multipart
 * rules, checksums, aws-chunked bodies, ListObjectsV2). The SDK turns `<Code>` into the exception name.
 */
import type { ServerResponse } from 'node:http';

export class S3Error extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, string>;

  constructor(code: string, status: number, message: string, details: Record<string, string> = {}) {
    super(message);
    this.name = code;
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

export const escapeXml = (value: string): string =>
  value.replace(/[<>&'"]/g, (c) => `&${{ '<': 'lt', '>': 'gt', '&': 'amp', "'": 'apos', '"': 'quot' }[c]};`);

export function sendS3Error(res: ServerResponse, error: S3Error, requestId: string, resource: string): void {
  const details = Object.entries(error.details)
    .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
    .join('');
  const body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message>${details}` +
    `<Resource>${escapeXml(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`;
  res.statusCode = error.status;
  res.setHeader('Content-Type', 'application/xml');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
