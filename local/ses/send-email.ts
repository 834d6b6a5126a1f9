/**
 * SES v2 SendEmail: checks a request as SES does and builds the RFC 5322 message SES would send.
 * Simple content is composed with nodemailer's MailComposer (multipart/alternative, encodings,
 * attachments); Raw content is kept as sent, with the Message-ID SES assigns.
 */
import MailComposer from 'nodemailer/lib/mail-composer';
import { addressesInHeader, checkAddress } from './addresses.ts';
import { SesError } from './errors.ts';

/** SES v2 accepts messages up to 40 MB. */
export const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;
export const MAX_RECIPIENTS = 50;

export interface MessageContext {
  messageId: string;
  date: Date;
  region: string;
}

export interface BuiltMessage {
  eml: Buffer;
  recipients: number;
  /** The sender as given (FromEmailAddress, else the From header), for the events SES publishes. */
  from: string;
  /** Every recipient's bare address (To, Cc, Bcc, or the raw message's destination). */
  destination: string[];
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const badRequest = (message: string) => new SesError('BadRequestException', message);

function stringList(value: unknown, name: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string')) {
    throw badRequest(`${name} must be a list of email addresses.`);
  }
  return value as string[];
}

function optionalString(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badRequest(`${name} must be a string.`);
  return value;
}

function blob(value: unknown, name: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(value.replace(/\s+/g, ''))) {
    throw badRequest(`${name} must be base64-encoded data.`);
  }
  return Buffer.from(value, 'base64');
}

/** The SES Message-ID header for a message ID. */
export const messageIdHeader = (context: MessageContext) =>
  `<${context.messageId}@${context.region}.amazonses.com>`;

/** RFC 5322 date-time with a numeric zone. */
export const rfc5322Date = (date: Date) => date.toUTCString().replace(/GMT$/, '+0000');

function checkRecipientCount(count: number): void {
  if (count === 0) throw badRequest('Recipient count must be at least 1.');
  if (count > MAX_RECIPIENTS) throw badRequest('Recipient count exceeds 50.');
}

/** Checks a SendEmail request body; returns the message to deliver. Throws SesError as SES answers. */
export async function buildMessage(request: unknown, context: MessageContext): Promise<BuiltMessage> {
  if (!isObject(request)) throw badRequest('The request body must be a JSON object.');
  const content = request.Content;
  if (!isObject(content)) throw badRequest('Content is required.');
  const kinds = (['Simple', 'Raw', 'Template'] as const).filter((kind) => content[kind] !== undefined);
  if (kinds.length !== 1) throw badRequest('Content must contain exactly one of Simple, Raw or Template.');

  const tags = request.EmailTags;
  if (tags !== undefined) {
    if (!Array.isArray(tags)) throw badRequest('EmailTags must be a list.');
    for (const tag of tags) {
      const ok =
        isObject(tag) &&
        [tag.Name, tag.Value].every((v) => typeof v === 'string' && /^[A-Za-z0-9_-]{1,256}$/.test(v));
      if (!ok)
        throw badRequest("Email tag names and values may contain only ASCII letters, digits, '_' and '-'.");
    }
  }
  const listManagement = request.ListManagementOptions;
  if (isObject(listManagement)) {
    // Contact lists do not exist locally, exactly as an account that never created one.
    throw new SesError(
      'NotFoundException',
      `List with name ${String(listManagement.ContactListName)} does not exist.`,
    );
  }

  const destination = request.Destination;
  if (destination !== undefined && destination !== null && !isObject(destination)) {
    throw badRequest('Destination must be an object.');
  }
  const to = stringList(destination?.ToAddresses, 'Destination.ToAddresses');
  const cc = stringList(destination?.CcAddresses, 'Destination.CcAddresses');
  const bcc = stringList(destination?.BccAddresses, 'Destination.BccAddresses');
  const replyTo = stringList(request.ReplyToAddresses, 'ReplyToAddresses');
  const from = optionalString(request.FromEmailAddress, 'FromEmailAddress');
  for (const address of [...to, ...cc, ...bcc, ...replyTo]) checkAddress(address);
  if (from !== undefined) checkAddress(from);

  if (content.Template !== undefined) {
    const template = isObject(content.Template) ? content.Template : {};
    const name = template.TemplateName ?? template.TemplateArn;
    if (name !== undefined)
      throw new SesError('NotFoundException', `Template ${String(name)} does not exist.`);
    throw badRequest(
      'Inline template content is not supported by the local SES endpoint; send Simple or Raw content.',
    );
  }
  if (content.Raw !== undefined) {
    return buildRaw(
      content.Raw,
      { from, destination: destination ? [...to, ...cc, ...bcc] : undefined },
      context,
    );
  }
  if (from === undefined) throw badRequest('FromEmailAddress is required for Simple content.');
  checkRecipientCount(to.length + cc.length + bcc.length);
  const built = await buildSimple(content.Simple, { from, to, cc, bcc, replyTo }, context);
  return { ...built, from, destination: [...to, ...cc, ...bcc].map(checkAddress) };
}

const RESERVED_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
  'return-path',
  'sender',
]);

function checkHeaders(value: unknown): { key: string; value: { prepared: true; value: string } }[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest('Headers must be a list.');
  return value.map((header) => {
    if (!isObject(header) || typeof header.Name !== 'string' || typeof header.Value !== 'string') {
      throw badRequest('Each header needs a Name and a Value.');
    }
    const { Name: name, Value: text } = header;
    if (!/^[\x21-\x39\x3b-\x7e]{1,126}$/.test(name)) {
      throw badRequest(
        `Invalid header name ${JSON.stringify(name)}: 1-126 printable ASCII characters, no ':'.`,
      );
    }
    if (!/^[\x20-\x7e]{0,995}$/.test(text) || name.length + text.length > 996) {
      throw badRequest(`Invalid value for header ${name}: printable ASCII, at most 995 characters.`);
    }
    if (RESERVED_HEADERS.has(name.toLowerCase()))
      throw badRequest(`Header ${name} cannot be set through Headers.`);
    return { key: name, value: { prepared: true as const, value: text } };
  });
}

const TRANSFER_ENCODINGS: Record<string, string> = {
  BASE64: 'base64',
  QUOTED_PRINTABLE: 'quoted-printable',
  SEVEN_BIT: '7bit',
};

function checkAttachments(value: unknown) {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest('Attachments must be a list.');
  return value.map((attachment, i) => {
    if (!isObject(attachment)) throw badRequest(`Attachments[${i}] must be an object.`);
    const filename = attachment.FileName;
    if (typeof filename !== 'string' || filename.length === 0)
      throw badRequest(`Attachments[${i}].FileName is required.`);
    const disposition = attachment.ContentDisposition ?? 'ATTACHMENT';
    if (disposition !== 'ATTACHMENT' && disposition !== 'INLINE') {
      throw badRequest(`Attachments[${i}].ContentDisposition must be ATTACHMENT or INLINE.`);
    }
    const encoding = attachment.ContentTransferEncoding ?? 'BASE64';
    const transferEncoding = TRANSFER_ENCODINGS[String(encoding)];
    if (!transferEncoding) {
      throw badRequest(
        `Attachments[${i}].ContentTransferEncoding must be BASE64, QUOTED_PRINTABLE or SEVEN_BIT.`,
      );
    }
    const description = optionalString(attachment.ContentDescription, `Attachments[${i}].ContentDescription`);
    const contentType = optionalString(attachment.ContentType, `Attachments[${i}].ContentType`);
    const cid = optionalString(attachment.ContentId, `Attachments[${i}].ContentId`);
    return {
      filename,
      content: blob(attachment.RawContent, `Attachments[${i}].RawContent`),
      contentDisposition: disposition.toLowerCase(),
      contentTransferEncoding: transferEncoding,
      ...(contentType ? { contentType } : {}),
      ...(cid ? { cid } : {}),
      ...(description ? { headers: { 'Content-Description': description } } : {}),
    };
  });
}

async function buildSimple(
  simple: unknown,
  addresses: { from: string; to: string[]; cc: string[]; bcc: string[]; replyTo: string[] },
  context: MessageContext,
): Promise<Pick<BuiltMessage, 'eml' | 'recipients'>> {
  if (!isObject(simple)) throw badRequest('Content.Simple must be an object.');
  const subject = isObject(simple.Subject) ? simple.Subject.Data : undefined;
  if (typeof subject !== 'string') throw badRequest('Content.Simple.Subject.Data is required.');
  const body = isObject(simple.Body) ? simple.Body : {};
  const text = isObject(body.Text) ? body.Text.Data : undefined;
  const html = isObject(body.Html) ? body.Html.Data : undefined;
  if ((typeof text !== 'string' || text === '') && (typeof html !== 'string' || html === '')) {
    throw badRequest('Content.Simple.Body needs Text or Html data; the message body is empty.');
  }
  const composer = new MailComposer({
    from: addresses.from,
    to: addresses.to,
    cc: addresses.cc,
    bcc: addresses.bcc,
    replyTo: addresses.replyTo,
    subject,
    ...(typeof text === 'string' && text !== '' ? { text } : {}),
    ...(typeof html === 'string' && html !== '' ? { html } : {}),
    headers: checkHeaders(simple.Headers),
    attachments: checkAttachments(simple.Attachments),
    messageId: messageIdHeader(context),
    date: context.date,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const node = composer.compile();
  // The outbox is the sender's copy: Bcc stays visible there, as in a mail client's sent folder.
  node.keepBcc = true;
  const eml = await node.build();
  if (eml.length > MAX_MESSAGE_BYTES)
    throw new SesError('MessageRejected', 'Message length is more than 40 MB.');
  return { eml, recipients: addresses.to.length + addresses.cc.length + addresses.bcc.length };
}

function buildRaw(
  raw: unknown,
  envelope: { from: string | undefined; destination: string[] | undefined },
  context: MessageContext,
): BuiltMessage {
  if (!isObject(raw)) throw badRequest('Content.Raw must be an object.');
  const data = blob(raw.Data, 'Content.Raw.Data');
  if (data.length > MAX_MESSAGE_BYTES)
    throw new SesError('MessageRejected', 'Message length is more than 40 MB.');
  const text = data.toString('latin1').replace(/\r?\n/g, '\r\n');
  const split = text.indexOf('\r\n\r\n');
  if (split <= 0) throw badRequest('The raw message needs a header and a body, separated by a blank line.');
  const headerLines = text.slice(0, split).split('\r\n');
  const fields = unfold(headerLines);
  const field = (name: string) => fields.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v);

  const fromHeader = field('from')[0];
  if (fromHeader === undefined && envelope.from === undefined)
    throw badRequest("Missing required header 'From'.");
  if (fromHeader !== undefined) addressesInHeader(fromHeader);
  const recipients = (
    envelope.destination ??
    ['to', 'cc', 'bcc'].flatMap((name) => field(name).flatMap((v) => addressesInHeader(v)))
  ).map(checkAddress);
  checkRecipientCount(recipients.length);

  // SES gives every message its own Message-ID; a Date is added when the sender left it out.
  const kept: string[] = [];
  for (let i = 0; i < headerLines.length; i++) {
    const line = headerLines[i] ?? '';
    if (/^message-id\s*:/i.test(line)) {
      while (/^[ \t]/.test(headerLines[i + 1] ?? '')) i++;
      continue;
    }
    kept.push(line);
  }
  const added = [`Message-ID: ${messageIdHeader(context)}`];
  if (field('date').length === 0) added.push(`Date: ${rfc5322Date(context.date)}`);
  if (fromHeader === undefined && envelope.from !== undefined) added.push(`From: ${envelope.from}`);
  const eml = Buffer.from(`${[...added, ...kept].join('\r\n')}${text.slice(split)}`, 'latin1');
  return {
    eml,
    recipients: recipients.length,
    from: envelope.from ?? fromHeader ?? '',
    destination: recipients,
  };
}

/** Header fields of a header block, continuation lines joined. */
export function unfold(lines: string[]): [string, string][] {
  const fields: [string, string][] = [];
  for (const line of lines) {
    const last = fields.at(-1);
    if (/^[ \t]/.test(line) && last) {
      last[1] = last[1] ? `${last[1]} ${line.trim()}` : line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon > 0) fields.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return fields;
}
