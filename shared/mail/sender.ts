/**
 * The SES sender. One email per recipient: Simple content when the message is just text and HTML,
 * Raw MIME (composed with nodemailer's MailComposer) when it carries headers such as List-Unsubscribe
 * or an attachment such as the workshop's .ics. Each email carries its tags (ids only, feedback.ts)
 * and the configuration set, when there is one, so SES's bounces and complaints come back as events
 * naming it. SES refusing a recipient is an outcome ('rejected'); anything else SES or the network
 * says is thrown, so Lambda retries.
 *
 * `oncePerRecipient` makes the send idempotent per (notification, recipient) with Powertools
 * idempotency, its records kept in the process's own partition of the single table (see the file's end).
 */

import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type SESv2Client, SendEmailCommand, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import type { Context } from 'aws-lambda';
import MailComposer from 'nodemailer/lib/mail-composer';
import { INBOX_TTL_SECONDS } from '../store/keys.ts';
import { shortText } from './feedback.ts';

export interface OutgoingEmail {
  from: string;
  to: { address: string; name?: string };
  subject: string;
  text: string;
  html: string;
  /** Extra header fields (printable ASCII), e.g. List-Unsubscribe. */
  headers?: Record<string, string>;
  attachments?: { filename: string; content: string; contentType: string }[];
  /** SES message tags (feedback.ts mailTags): ids only, published with every event about the email. */
  tags?: Record<string, string>;
}

export interface SendOptions {
  /** The SES configuration set (EMAIL_CONFIGURATION_SET); without one SES publishes no events. */
  configurationSet?: string | undefined;
}

export type SendOutcome = { outcome: 'sent'; messageId: string } | { outcome: 'rejected'; detail: string };

/** SES errors about this message or recipient: retrying cannot help, so they are reported, not thrown. */
export const REJECTIONS = new Set(['BadRequestException', 'MessageRejected']);

export async function composeRaw(email: OutgoingEmail): Promise<Buffer> {
  const composer = new MailComposer({
    from: email.from,
    to: email.to.name ? { name: email.to.name, address: email.to.address } : email.to.address,
    subject: email.subject,
    text: email.text,
    html: email.html,
    headers: email.headers ?? {},
    attachments: (email.attachments ?? []).map((a) => ({
      filename: a.filename,
      content: a.content,
      contentType: a.contentType,
    })),
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  return composer.compile().build();
}

export async function sendEmailInput(
  email: OutgoingEmail,
  options: SendOptions = {},
): Promise<SendEmailCommandInput> {
  const tags = Object.entries(email.tags ?? {}).map(([Name, Value]) => ({ Name, Value }));
  const base = {
    FromEmailAddress: email.from,
    Destination: { ToAddresses: [email.to.address] },
    ...(options.configurationSet ? { ConfigurationSetName: options.configurationSet } : {}),
    ...(tags.length > 0 ? { EmailTags: tags } : {}),
  };
  const raw = Object.keys(email.headers ?? {}).length > 0 || (email.attachments ?? []).length > 0;
  if (raw) return { ...base, Content: { Raw: { Data: await composeRaw(email) } } };
  return {
    ...base,
    Content: {
      Simple: {
        Subject: { Data: email.subject, Charset: 'UTF-8' },
        Body: { Text: { Data: email.text, Charset: 'UTF-8' }, Html: { Data: email.html, Charset: 'UTF-8' } },
      },
    },
  };
}

export async function sendEmail(
  ses: SESv2Client,
  email: OutgoingEmail,
  options: SendOptions = {},
): Promise<SendOutcome> {
  const input = await sendEmailInput(email, options);
  try {
    const { MessageId } = await ses.send(new SendEmailCommand(input));
    if (!MessageId) throw new Error('SES accepted the message without a MessageId');
    return { outcome: 'sent', messageId: MessageId };
  } catch (error) {
    const name = (error as { name?: string }).name ?? '';
    if (!REJECTIONS.has(name)) throw error;
    return { outcome: 'rejected', detail: rejectionDetail(name, (error as Error).message) };
  }
}

/** SES messages may quote the address; events and logs never carry one. */
export function rejectionDetail(name: string, message: string | undefined): string {
  return shortText(`${name}: ${message ?? 'no message'}`);
}

export interface SendRequest {
  notificationId: string;
  recipient: { kind: string; id: string };
  email: OutgoingEmail;
}

/**
 * One send per (notificationId, recipient kind, recipient id), however often the notification is
 * delivered or the function retried. Powertools idempotency writes an INPROGRESS record before the
 * send and the outcome after it, so a redelivery gets the stored outcome (and the same SES MessageId)
 * instead of a second email; a concurrent duplicate gets IdempotencyAlreadyInProgressError, which is
 * thrown so Lambda retries it later. A send that throws deletes its record, so a retry sends again.
 * One window remains, as for any side effect outside the table: a sandbox that dies between SES
 * accepting and the record being completed leaves an INPROGRESS record, and after `deadline` a retry
 * sends once more (at least once, never silently lost).
 *
 * Records live in the process's partition (`pk` = the process key, `sk` = `IDEMPOTENCY#notifier#<md5>`),
 * so every key still starts with the organisation, and expire with the table's TTL attribute after the
 * same 35 days as the inbox.
 */
export function oncePerRecipient(options: {
  ses: SESv2Client;
  /** The SES configuration set every email is sent with, if any. */
  configurationSet?: string | undefined;
  tableName: string;
  client: DynamoDBClient;
  /** The process partition key (shared/store/keys.ts processPk). */
  partition: string;
  /** When the invocation ends at the latest (epoch ms): the INPROGRESS lease. */
  deadline: number;
}): (request: SendRequest) => Promise<SendOutcome> {
  const persistenceStore = new DynamoDBPersistenceLayer({
    tableName: options.tableName,
    keyAttr: 'pk',
    sortKeyAttr: 'sk',
    staticPkValue: options.partition,
    expiryAttr: 'expiresAt',
    awsSdkV3Client: options.client,
  });
  const config = new IdempotencyConfig({
    eventKeyJmesPath: '[notificationId, recipient.kind, recipient.id]',
    expiresAfterSeconds: INBOX_TTL_SECONDS,
    throwOnNoIdempotencyKey: true,
  });
  config.registerLambdaContext({
    getRemainingTimeInMillis: () => Math.max(0, options.deadline - Date.now()),
  } as Context);
  const sendOptions = { configurationSet: options.configurationSet };
  return makeIdempotent((request: SendRequest) => sendEmail(options.ses, request.email, sendOptions), {
    persistenceStore,
    config,
    keyPrefix: 'IDEMPOTENCY#notifier',
  });
}

let dynamo: DynamoDBClient | undefined;
/** The low-level client Powertools' persistence layer wants, created once per sandbox. */
export function idempotencyClient(): DynamoDBClient {
  dynamo ??= new DynamoDBClient({});
  return dynamo;
}
