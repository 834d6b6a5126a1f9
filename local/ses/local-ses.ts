/**
 * SES v2 for the local runtime: an HTTP endpoint speaking the SES v2 REST-JSON protocol for
 * SendEmail. Every accepted message becomes `<dataDir>/outbox/<MessageId>.eml`, which the console
 * lists (outbox.ts); nothing leaves the machine. Mail sent with a configuration set to the SES mailbox
 * simulator's bounce and complaint addresses is answered with the events SES publishes (feedback.ts),
 * handed to `publish` once the SendEmail response is sent.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Clock, systemClock } from '../clock.ts';
import { eventPublisher } from '../event-publisher.ts';
import { serveOnLoopback } from '../loopback-server.ts';
import { SesError, sendJson } from './errors.ts';
import { type SesEventEntry, simulatorEvents } from './feedback.ts';
import { outboxDirectory, tagsFile } from './outbox.ts';
import { buildMessage, MAX_MESSAGE_BYTES } from './send-email.ts';

export interface StartSesOptions {
  /** Messages go to `<dataDir>/outbox`; a temp dir, removed on stop, when absent. */
  dataDir?: string;
  /** A fixed port; an OS-chosen free port when absent or 0. */
  port?: number;
  /** Region named in Message-ID headers (`<id>@<region>.amazonses.com`). */
  region?: string;
  /** Date headers and message IDs come from here. */
  clock?: Clock;
  /** Operational notes (unexpected failures). Never addresses, subjects or bodies. */
  log?: (message: string) => void;
  /**
   * Where the events SES publishes through a configuration set go (the default bus): bounces and
   * complaints of the mailbox simulator's addresses. Called after the SendEmail response is sent; it
   * may return a promise, and must throw (or reject) when the entry was not accepted. Without it no
   * events are published.
   */
  publish?: (entry: SesEventEntry) => unknown;
  /** The configuration sets that exist; any name is accepted when absent. */
  configurationSets?: readonly string[];
  /** The account the events name. */
  accountId?: string;
}

export interface SesMetrics {
  /** SendEmail calls accepted and written to the outbox. */
  sent: number;
  /** SendEmail calls answered with an error (rejected input or a failure to write). */
  failed: number;
  /** Events handed to `publish` (bounces, complaints). */
  eventsPublished: number;
  /** Events `publish` refused. */
  publishFailed: number;
}

export interface LocalSes {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  port: number;
  /** The data dir to hand to listOutbox/readMessage. */
  dataDir: string;
  /** Where the .eml files are. */
  outbox: string;
  metrics(): SesMetrics;
  /** Events `publish` refused, with the error; kept so nothing is lost silently. */
  undelivered(): { entry: SesEventEntry; error: string }[];
  /** Resolves once every event handed to an async `publish` has settled. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** SES message IDs start with the send time in hex, so file names sort by time. */
const newMessageId = (now: number) => `0100${now.toString(16).padStart(12, '0')}-${randomUUID()}-000000`;

// Base64 inflates the 40 MB message limit by a third, plus the JSON around it.
const MAX_REQUEST_BYTES = Math.ceil((MAX_MESSAGE_BYTES * 4) / 3) + 1024 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    length += chunk.length;
    if (length > MAX_REQUEST_BYTES)
      throw new SesError('MessageRejected', 'Message length is more than 40 MB.');
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new SesError('BadRequestException', 'The request body is not valid JSON.');
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The request's configuration set, if it names one that exists. */
function configurationSetOf(request: unknown, known: readonly string[] | undefined): string | undefined {
  const name = isObject(request) ? request.ConfigurationSetName : undefined;
  if (name === undefined || name === null) return undefined;
  if (typeof name !== 'string' || name === '')
    throw new SesError('BadRequestException', 'ConfigurationSetName must be a non-empty string.');
  if (known && !known.includes(name))
    throw new SesError('NotFoundException', `Configuration set <${name}> does not exist.`);
  return name;
}

const tagsOf = (request: unknown) =>
  isObject(request) && Array.isArray(request.EmailTags)
    ? (request.EmailTags as { Name: string; Value: string }[])
    : [];

export async function startSes(options: StartSesOptions = {}): Promise<LocalSes> {
  const clock = options.clock ?? systemClock;
  const region = options.region ?? 'eu-north-1';
  const log = options.log ?? ((message: string) => console.error(`[ses] ${message}`));
  const ownsDataDir = options.dataDir === undefined;
  const dataDir = ownsDataDir
    ? await mkdtemp(path.join(tmpdir(), 'samskapa-ses-'))
    : path.resolve(options.dataDir as string);
  const outbox = outboxDirectory(dataDir);
  await mkdir(outbox, { recursive: true });
  const metrics: SesMetrics = { sent: 0, failed: 0, eventsPublished: 0, publishFailed: 0 };
  const accountId = options.accountId ?? '000000000000';

  const publisher = eventPublisher<SesEventEntry>(
    (entry) => options.publish?.(entry),
    (entry, message) => {
      metrics.publishFailed++;
      log(`${entry.DetailType} event was not published: ${message}`);
    },
  );
  const publish = (entry: SesEventEntry) => {
    if (!options.publish) return;
    metrics.eventsPublished++;
    publisher.publish(entry);
  };

  const sendEmail = async (
    req: IncomingMessage,
  ): Promise<{ result: { MessageId: string }; events: SesEventEntry[] }> => {
    const request = await readJson(req);
    const configurationSet = configurationSetOf(request, options.configurationSets);
    const now = clock.now();
    const messageId = newMessageId(now);
    const sentAt = new Date(now);
    const built = await buildMessage(request, { messageId, date: sentAt, region });
    // Written under a temporary name and renamed, so a reader never sees half a message.
    const file = path.join(outbox, `${messageId}.eml`);
    const partial = path.join(outbox, `.${messageId}.partial`);
    const tags = tagsOf(request);
    // The tags (organisation, process, template) beside the message: what the console's outbox
    // filters by. They are not part of what the recipient gets, so they stay out of the .eml.
    if (tags.length > 0) await writeFile(tagsFile(outbox, messageId), JSON.stringify(tags));
    await writeFile(partial, built.eml);
    await rename(partial, file);
    // SES publishes events only through a configuration set.
    const events =
      configurationSet && options.publish
        ? simulatorEvents(
            {
              messageId,
              sentAt,
              from: built.from,
              destination: built.destination,
              configurationSet,
              tags,
              region,
              accountId,
            },
            new Date(clock.now()),
          )
        : [];
    return { result: { MessageId: messageId }, events };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const pathname = new URL(req.url ?? '/', 'http://ses.local').pathname;
    if (req.method !== 'POST' || pathname !== '/v2/email/outbound-emails') {
      req.resume();
      const message = `The local SES endpoint implements SendEmail only (${req.method} ${pathname}).`;
      sendJson(res, 404, { message }, requestId, 'UnknownOperationException');
      return;
    }
    try {
      const { result, events } = await sendEmail(req);
      metrics.sent++;
      sendJson(res, 200, result, requestId);
      for (const entry of events) publish(entry);
    } catch (error) {
      metrics.failed++;
      if (error instanceof SesError) {
        sendJson(res, error.status, { message: error.message }, requestId, error.type);
      } else {
        log(`SendEmail failed: ${(error as Error).message}`);
        sendJson(res, 500, { message: 'Internal failure.' }, requestId, 'InternalFailure');
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
    dataDir,
    outbox,
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
        if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
