/**
 * The console's live feed (console/src/live.ts) run in Node against the real pipeline on the local
 * runtime, both ways it reads events: the server-sent stream (local) and polling GET /ops/events
 * with overlap (how it runs on AWS). Either way every event of the organisation arrives once, in
 * spite of the overlapping reads.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ConsoleConfig, createApi, sessionOf } from '../../console/src/api.ts';
import {
  followEvents,
  type LiveEvent,
  serverSentEvents,
  timeOfUlid,
  ulidLowerBound,
} from '../../console/src/live.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { eventually } from '../fixtures/functions/harness.ts';
import { type Api, apiClient } from '../support/api-client.ts';

const ORG = 'org-live';
let cloud: LocalCloud;
let coordinator: Api;
let opsToken: string;

beforeAll(async () => {
  cloud = await startLocalCloud();
  coordinator = apiClient(
    cloud.endpoints.api,
    await cloud.issueToken({ orgId: ORG, role: 'coordinator', sub: 'u-c' }),
  );
  opsToken = await cloud.issueToken({ orgId: ORG, role: 'ops', sub: 'u-ops' });
  await coordinator.post('/users', {
    userId: 'u-frida',
    name: 'Frida Processledare',
    email: 'frida@region.example',
    locale: 'sv',
    role: 'facilitator',
  });
}, 60_000);

afterAll(async () => {
  await cloud?.stop();
});

function consoleApi(live: ConsoleConfig['live']) {
  const session = sessionOf(opsToken);
  if (!session) throw new Error('the token has no organisation');
  const config: ConsoleConfig = {
    stage: 'test',
    region: cloud.endpoints.region,
    apiUrl: cloud.endpoints.api,
    live,
    features: { emails: true, unmatched: true },
    auth: { issuer: '' },
  };
  return createApi(config, session, () => {
    throw new Error('the API answered 401');
  });
}

async function startProcess(name: string): Promise<string> {
  const place = await coordinator.post<{ placeId: string }>('/places', {
    name,
    municipality: 'Härjedalen',
    region: 'Jämtland',
  });
  const { processId } = await coordinator.post<{ processId: string }>('/processes', {
    placeId: place.placeId,
    method: 'smarta-orter',
    locale: 'sv',
    facilitators: ['u-frida'],
  });
  return processId;
}

describe.each(['stream', 'poll'] as const)('the live feed, %s', (mode) => {
  it('delivers each event of a started process once, with how the bus routed it from the stream', async () => {
    const received: LiveEvent[] = [];
    const statuses: string[] = [];
    const stop = followEvents(consoleApi(mode), {
      onEvent: (event) => received.push(event),
      onStatus: (status) => statuses.push(status),
    });
    try {
      await eventually(() => statuses.includes('live'), 10_000);
      if (mode === 'stream') await eventually(() => cloud.console.streams() > 0);
      const processId = await startProcess(`Ort ${mode}`);
      const timeline = () =>
        coordinator.get<{ items: { metadata: { id: string } }[] }>(`/processes/${processId}/timeline`);
      // Everything the process has emitted so far reaches the feed; polls overlap by seconds.
      await eventually(async () => {
        const ids = new Set((await timeline()).items.map((e) => e.metadata.id));
        const seen = received
          .filter((e) => e.event.metadata.processId === processId)
          .map((e) => e.event.metadata.id);
        return ids.size > 2 && [...ids].every((id) => seen.includes(id));
      }, 15_000);
      // Let a few more polls (each re-reading the last 5 s) run.
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      const ids = received.map((e) => e.event.metadata.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(received.every((e) => e.event.metadata.orgId === ORG)).toBe(true);
      const mine = received.filter((e) => e.event.metadata.processId === processId);
      expect(mine.map((e) => e.event.metadata.type)).toEqual(
        expect.arrayContaining(['Process.Started', 'Stage.Started', 'Task.Created']),
      );
      // The stream says how the bus routed each event; a fact nobody consumes is no alert.
      const requested = mine.find((e) => e.event.metadata.type === 'Notification.Requested');
      const started = mine.find((e) => e.event.metadata.type === 'Process.Started');
      if (mode === 'stream') {
        expect(requested?.matchedRules).toBeGreaterThan(0);
        expect(started?.matchedRules).toBe(0);
      } else expect(requested?.matchedRules).toBeUndefined();
      expect(mine.some((e) => e.unmatched)).toBe(false);
    } finally {
      stop();
    }
  }, 30_000);
});

describe('the live feed helpers', () => {
  it('parses server-sent events across chunk boundaries, comments, CRLF and multi-line data', async () => {
    const chunks = [
      ': hello\r\nretry: 1000\r\n\r\nid: 1\nevent: pipe',
      'line-event\ndata: {"a":',
      '1}\n\nda',
      'ta: x\ndata: y\n\n',
    ];
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const chunk of chunks) controller.enqueue(new TextEncoder().encode(chunk));
        controller.close();
      },
    });
    const messages = [];
    for await (const message of serverSentEvents(body, new AbortController().signal)) messages.push(message);
    expect(messages).toEqual([
      { event: 'pipeline-event', data: '{"a":1}', id: '1' },
      { event: 'message', data: 'x\ny' },
    ]);
  });

  it('a moment as the lowest ULID of it, and back', () => {
    const at = Date.parse('2026-11-22T08:00:00.123Z');
    expect(ulidLowerBound(at)).toMatch(/^[0-9A-HJKMNP-TV-Z]{10}0{16}$/);
    expect(timeOfUlid(ulidLowerBound(at))).toBe('2026-11-22T08:00:00.123Z');
    expect(ulidLowerBound(at) < ulidLowerBound(at + 1)).toBe(true);
  });
});
