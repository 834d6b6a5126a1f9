/**
 * Live events of the organisation, the same to every view whichever way they arrive:
 * - 'stream' (local runtime): GET /ops/stream, server-sent events read with fetch (EventSource cannot
 *   send the Authorization header). A dropped stream reconnects and fills the gap from GET /ops/events.
 * - 'poll' (AWS): GET /ops/events every second, each poll reading the last few seconds again and
 *   skipping ids already seen, so an event committed after a later-numbered one is not lost (as
 *   `samskapa tail` does).
 */
import { decodeTime, encodeTime } from 'ulid';
import type { Api } from './api.ts';
import type { EventEnvelope } from './types.ts';

export interface LiveEvent {
  event: EventEnvelope;
  /** Rules the bus matched (stream only); 0 for facts nobody consumes, too. */
  matchedRules?: number;
  /** No rule matched although one should have (stream only): an alert. */
  unmatched?: boolean;
  replay?: string;
  /** Date.now() when the page received it. */
  receivedAt: number;
}

export type LiveStatus = 'connecting' | 'live' | 'retrying';

export interface LiveOptions {
  onEvent(event: LiveEvent): void;
  onStatus?(status: LiveStatus): void;
}

const POLL_MS = 1_000;
/** What a page shows when it opens: the events of the last few minutes, at most a few pages. */
const BACKFILL_MS = 5 * 60_000;
const BACKFILL_PAGES = 4;
const OVERLAP_MS = 5_000;
const RETRY_MS = 1_000;
const SEEN_LIMIT = 5_000;

/** The lowest ULID of a moment: every event made at or after it sorts above. */
export const ulidLowerBound = (ms: number) =>
  `${encodeTime(Math.max(0, Math.floor(ms)), 10)}${'0'.repeat(16)}`;

/** Starts following; returns the function that stops it. */
export function followEvents(api: Api, options: LiveOptions): () => void {
  const controller = new AbortController();
  const seen = new Set<string>();
  const deliver = (live: Omit<LiveEvent, 'receivedAt'>) => {
    const id = live.event.metadata.id;
    if (seen.has(id)) return;
    seen.add(id);
    if (seen.size > SEEN_LIMIT) seen.delete(seen.values().next().value as string);
    options.onEvent({ ...live, receivedAt: Date.now() });
  };
  const status = (value: LiveStatus) => options.onStatus?.(value);
  const run = api.config.live === 'stream' ? stream : poll;
  void run(api, controller.signal, deliver, status);
  return () => controller.abort();
}

type Deliver = (live: Omit<LiveEvent, 'receivedAt'>) => void;
type Status = (status: LiveStatus) => void;

interface EventsPage {
  items: EventEnvelope[];
  next: string;
}

/** Events after `since` from GET /ops/events, page by page; the id to continue from. */
async function catchUp(
  api: Api,
  since: string,
  deliver: Deliver,
  signal: AbortSignal,
  maxPages = 20,
): Promise<string> {
  let next = since;
  for (let pages = 0; pages < maxPages && !signal.aborted; pages++) {
    const page = await api.get<EventsPage>('/ops/events', { since: next, limit: 500 });
    for (const event of page.items) deliver({ event });
    if (page.next === next || page.items.length === 0) return page.next;
    next = page.next;
  }
  return next;
}

async function poll(api: Api, signal: AbortSignal, deliver: Deliver, status: Status): Promise<void> {
  status('connecting');
  await catchUp(api, ulidLowerBound(Date.now() - BACKFILL_MS), deliver, signal, BACKFILL_PAGES).catch(
    () => {},
  );
  let newest = Date.now();
  while (!signal.aborted) {
    try {
      let newestId = '';
      await catchUp(
        api,
        ulidLowerBound(newest - OVERLAP_MS),
        (live) => {
          deliver(live);
          if (live.event.metadata.id > newestId) newestId = live.event.metadata.id;
        },
        signal,
      );
      if (newestId) newest = Math.max(newest, Date.parse(timeOfUlid(newestId)));
      status('live');
    } catch {
      status('retrying');
    }
    await sleep(POLL_MS, signal);
  }
}

async function stream(api: Api, signal: AbortSignal, deliver: Deliver, status: Status): Promise<void> {
  let lastId: string | undefined;
  while (!signal.aborted) {
    status('connecting');
    try {
      const response = await api.fetch('/ops/stream', { signal, headers: { accept: 'text/event-stream' } });
      if (!response.ok || !response.body) throw new Error(`stream: HTTP ${response.status}`);
      status('live');
      // What happened while the stream was down; on the first connection, the last few minutes.
      const since = lastId ?? ulidLowerBound(Date.now() - BACKFILL_MS);
      const filling = catchUp(api, since, deliver, signal, lastId ? 20 : BACKFILL_PAGES).catch(() => since);
      for await (const message of serverSentEvents(response.body, signal)) {
        if (message.event !== 'pipeline-event') continue;
        const payload = JSON.parse(message.data) as Omit<LiveEvent, 'receivedAt'>;
        lastId = payload.event.metadata.id;
        deliver(payload);
      }
      await filling;
    } catch {
      if (signal.aborted) return;
    }
    status('retrying');
    lastId ??= ulidLowerBound(Date.now() - OVERLAP_MS);
    await sleep(RETRY_MS, signal);
  }
}

interface ServerSentEvent {
  event: string;
  data: string;
  id?: string;
}

/** The text/event-stream format (WHATWG HTML, "Server-sent events"): fields, blank-line dispatch. */
export async function* serverSentEvents(
  body: ReadableStream<Uint8Array>,
  signal: AbortSignal,
): AsyncGenerator<ServerSentEvent> {
  const reader = body
    .pipeThrough(new TextDecoderStream() as ReadableWritablePair<string, Uint8Array>)
    .getReader();
  signal.addEventListener('abort', () => void reader.cancel().catch(() => {}), { once: true });
  let buffer = '';
  let current: { event: string; data: string[]; id?: string } = { event: 'message', data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (current.data.length > 0)
          yield {
            event: current.event,
            data: current.data.join('\n'),
            ...(current.id ? { id: current.id } : {}),
          };
        current = { event: 'message', data: [] };
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const raw = colon < 0 ? '' : line.slice(colon + 1);
      const text = raw.startsWith(' ') ? raw.slice(1) : raw;
      if (field === 'event') current.event = text;
      else if (field === 'data') current.data.push(text);
      else if (field === 'id') current.id = text;
    }
  }
}

/** The ISO time a ULID was made at. */
export const timeOfUlid = (id: string) => new Date(decodeTime(id.toUpperCase())).toISOString();

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}
