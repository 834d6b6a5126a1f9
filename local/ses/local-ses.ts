/**
 * SES v2 for the local runtime: an HTTP endpoint speaking the SES v2 REST-JSON protocol for
 * SendEmail. Every accepted message becomes `<dataDir>/outbox/<MessageId>.eml`, which the console
 * lists (outbox.ts); nothing leaves the machine.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Clock, systemClock } from '../clock.ts';
import { serveOnLoopback } from '../loopback-server.ts';
import { SesError, sendJson } from './errors.ts';
import { outboxDirectory } from './outbox.ts';
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
}

export interface SesMetrics {
  /** SendEmail calls accepted and written to the outbox. */
  sent: number;
  /** SendEmail calls answered with an error (rejected input or a failure to write). */
  failed: number;
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
  const metrics: SesMetrics = { sent: 0, failed: 0 };

  const sendEmail = async (req: IncomingMessage): Promise<{ MessageId: string }> => {
    const request = await readJson(req);
    const now = clock.now();
    const messageId = newMessageId(now);
    const { eml } = await buildMessage(request, { messageId, date: new Date(now), region });
    // Written under a temporary name and renamed, so a reader never sees half a message.
    const file = path.join(outbox, `${messageId}.eml`);
    const partial = path.join(outbox, `.${messageId}.partial`);
    await writeFile(partial, eml);
    await rename(partial, file);
    return { MessageId: messageId };
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
      const result = await sendEmail(req);
      metrics.sent++;
      sendJson(res, 200, result, requestId);
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
    stop: () => {
      stopped ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        if (ownsDataDir) await rm(dataDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
