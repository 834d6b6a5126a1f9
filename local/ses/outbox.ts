/**
 * The outbox the local SES writes (`<dataDir>/outbox/<MessageId>.eml`), read back for the console:
 * a light RFC 5322 / MIME reader (headers with RFC 2047 encoded words, multipart bodies,
 * base64 and quoted-printable) that is enough for messages composed by SES or MailComposer.
 */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { unfold } from './send-email.ts';

export const outboxDirectory = (dataDir: string) => path.join(dataDir, 'outbox');
/** Where a message's EmailTags are kept, beside its .eml. */
export const tagsFile = (outbox: string, messageId: string) => path.join(outbox, `${messageId}.tags.json`);

async function readTags(directory: string, id: string): Promise<Record<string, string>> {
  const text = await readFile(tagsFile(directory, id), 'utf8').catch(() => undefined);
  if (!text) return {};
  const tags = JSON.parse(text) as { Name: string; Value: string }[];
  return Object.fromEntries(tags.map((tag) => [tag.Name, tag.Value]));
}

/** SES message IDs as the local SES issues them: `0100<time>-<uuid>-000000`. */
const MESSAGE_ID = /^[0-9a-f]{16}-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-0{6}$/;

export interface OutboxEntry {
  /** The SES MessageId (also the file name without .eml). */
  id: string;
  from: string;
  to: string;
  cc?: string;
  subject: string;
  date: string;
  messageId: string;
  listUnsubscribe?: string;
  sizeBytes: number;
  /** The SendEmail request's EmailTags (orgId, processId, template, …); empty when it had none. */
  tags: Record<string, string>;
}

export interface OutboxAttachment {
  filename?: string;
  contentType: string;
  sizeBytes: number;
}

export interface OutboxMessage extends OutboxEntry {
  /** Every header field, names as written, values unfolded and decoded. */
  headers: [string, string][];
  text?: string;
  html?: string;
  attachments: OutboxAttachment[];
  /** The message as stored. */
  raw: string;
}

/** Messages in the outbox, newest first (message IDs start with the send time). */
export async function listOutbox(dataDir: string): Promise<OutboxEntry[]> {
  const directory = outboxDirectory(dataDir);
  const names = await readdir(directory).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  const ids = names
    .filter((name) => name.endsWith('.eml') && MESSAGE_ID.test(name.slice(0, -4)))
    .map((name) => name.slice(0, -4))
    .sort()
    .reverse();
  const entries = await Promise.all(ids.map((id) => readEntry(directory, id)));
  return entries.filter((entry): entry is OutboxEntry => entry !== undefined);
}

/** One message with its headers, text and html parts and attachment list; undefined when unknown. */
export async function readMessage(dataDir: string, id: string): Promise<OutboxMessage | undefined> {
  if (!MESSAGE_ID.test(id)) return undefined;
  const raw = await readFile(path.join(outboxDirectory(dataDir), `${id}.eml`)).catch(() => undefined);
  if (!raw) return undefined;
  const { headers, body } = splitPart(raw);
  const message: OutboxMessage = {
    ...summarize(id, headers, raw.length, await readTags(outboxDirectory(dataDir), id)),
    headers,
    attachments: [],
    raw: raw.toString('utf8'),
  };
  collectParts(headers, body, message);
  return message;
}

async function readEntry(directory: string, id: string): Promise<OutboxEntry | undefined> {
  const file = path.join(directory, `${id}.eml`);
  // Only the header block is needed; attachments can make the rest large.
  const handle = await open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const { size } = await stat(file);
    let buffer = Buffer.alloc(0);
    const chunk = Buffer.alloc(16 * 1024);
    for (;;) {
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, buffer.length);
      buffer = Buffer.concat([buffer, chunk.subarray(0, bytesRead)]);
      if (bytesRead === 0 || headerEnd(buffer) >= 0) break;
    }
    return summarize(id, splitPart(buffer).headers, size, await readTags(directory, id));
  } finally {
    await handle.close();
  }
}

function summarize(
  id: string,
  headers: [string, string][],
  sizeBytes: number,
  tags: Record<string, string>,
): OutboxEntry {
  const get = (name: string) => headers.find(([n]) => n.toLowerCase() === name)?.[1];
  const cc = get('cc');
  const listUnsubscribe = get('list-unsubscribe');
  return {
    id,
    from: get('from') ?? '',
    to: get('to') ?? '',
    ...(cc ? { cc } : {}),
    subject: get('subject') ?? '',
    date: get('date') ?? '',
    messageId: get('message-id') ?? '',
    ...(listUnsubscribe ? { listUnsubscribe } : {}),
    sizeBytes,
    tags,
  };
}

function headerEnd(buffer: Buffer): number {
  const crlf = buffer.indexOf('\r\n\r\n');
  const lf = buffer.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf;
  return lf;
}

function splitPart(buffer: Buffer): { headers: [string, string][]; body: Buffer } {
  const end = headerEnd(buffer);
  const headerText = (end >= 0 ? buffer.subarray(0, end) : buffer).toString('latin1');
  const separator = end >= 0 && buffer[end] === 0x0d ? 4 : 2;
  const body = end >= 0 ? buffer.subarray(end + separator) : Buffer.alloc(0);
  const headers = unfold(headerText.split(/\r?\n/)).map(([name, value]): [string, string] => [
    name,
    decodeWords(value),
  ]);
  return { headers, body };
}

/** RFC 2047 encoded words (`=?UTF-8?Q?...?=`, `=?UTF-8?B?...?=`); header bytes arrive as latin1. */
export function decodeWords(value: string): string {
  const raw = Buffer.from(value, 'latin1');
  const text = /[\x80-\xff]/.test(value) ? raw.toString('utf8') : value;
  return text
    .replace(/(=\?[^?]+\?[bBqQ]\?[^?]*\?=)\s+(?==\?)/g, '$1')
    .replace(/=\?([^?]+)\?([bBqQ])\?([^?]*)\?=/g, (_, charset: string, encoding: string, data: string) => {
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(data, 'base64')
          : Buffer.from(
              data
                .replace(/_/g, ' ')
                .replace(/=([0-9A-Fa-f]{2})/g, (_m, hex: string) =>
                  String.fromCharCode(Number.parseInt(hex, 16)),
                ),
              'latin1',
            );
      return decodeCharset(bytes, charset);
    });
}

function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  try {
    return new TextDecoder(charset?.replace(/\*.*$/, '') || 'utf-8').decode(bytes);
  } catch {
    return bytes.toString('utf8');
  }
}

interface ContentType {
  type: string;
  params: Record<string, string>;
}

function parseContentType(value: string | undefined, fallback: string): ContentType {
  if (!value) return { type: fallback, params: {} };
  const [type = fallback, ...rest] = value.split(';');
  const params: Record<string, string> = {};
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    params[param.slice(0, eq).trim().toLowerCase()] = param
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  return { type: type.trim().toLowerCase(), params };
}

function decodeTransfer(body: Buffer, encoding: string | undefined): Buffer {
  switch (encoding?.toLowerCase()) {
    case 'base64':
      return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), 'base64');
    case 'quoted-printable':
      return Buffer.from(
        body
          .toString('latin1')
          .replace(/=\r?\n/g, '')
          .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))),
        'latin1',
      );
    default:
      return body;
  }
}

function collectParts(
  headers: [string, string][],
  body: Buffer,
  message: OutboxMessage,
  defaultType = 'text/plain',
): void {
  const get = (name: string) => headers.find(([n]) => n.toLowerCase() === name)?.[1];
  const contentType = parseContentType(get('content-type'), defaultType);
  if (contentType.type.startsWith('multipart/') && contentType.params.boundary) {
    const childDefault = contentType.type === 'multipart/digest' ? 'message/rfc822' : 'text/plain';
    for (const part of splitMultipart(body, contentType.params.boundary)) {
      const child = splitPart(part);
      collectParts(child.headers, child.body, message, childDefault);
    }
    return;
  }
  const disposition = parseContentType(get('content-disposition'), '');
  const decoded = decodeTransfer(body, get('content-transfer-encoding'));
  const filename = disposition.params.filename ?? contentType.params.name;
  const isAttachment = disposition.type === 'attachment' || filename !== undefined;
  if (!isAttachment && contentType.type === 'text/plain' && message.text === undefined) {
    message.text = decodeCharset(decoded, contentType.params.charset);
  } else if (!isAttachment && contentType.type === 'text/html' && message.html === undefined) {
    message.html = decodeCharset(decoded, contentType.params.charset);
  } else {
    message.attachments.push({
      ...(filename ? { filename: decodeWords(filename) } : {}),
      contentType: contentType.type,
      sizeBytes: decoded.length,
    });
  }
}

function splitMultipart(body: Buffer, boundary: string): Buffer[] {
  const text = body.toString('latin1');
  const delimiter = `--${boundary}`;
  const parts: Buffer[] = [];
  let index = text.indexOf(delimiter);
  while (index >= 0) {
    const start = text.indexOf('\n', index);
    if (start < 0 || text.startsWith(`${delimiter}--`, index)) break;
    const next = text.indexOf(`\n${delimiter}`, start);
    const end = next < 0 ? text.length : next;
    parts.push(Buffer.from(text.slice(start + 1, end).replace(/\r$/, ''), 'latin1'));
    index = next < 0 ? -1 : next + 1;
  }
  return parts;
}
