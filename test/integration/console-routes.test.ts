/**
 * The local runtime's routes for the console (local/console-routes.ts) on a running runtime with the
 * real SDK clients: the config, the development sign-in, the event stream (only the caller's
 * organisation, filters, the unmatched mark), the unmatched events and the email outbox, each behind
 * the same authorizer and roles as the API's /ops routes.
 */
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIPELINE_BUS, PIPELINE_SOURCE } from '../../functions/topology.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { eventually } from '../fixtures/functions/harness.ts';

let cloud: LocalCloud;
let tokens: Record<'ops' | 'stranger' | 'facilitator', string>;

beforeAll(async () => {
  cloud = await startLocalCloud({ topology: [] });
  tokens = {
    ops: await cloud.issueToken({ orgId: 'org-a', role: 'ops', sub: 'u-ops' }),
    stranger: await cloud.issueToken({ orgId: 'org-b', role: 'ops', sub: 'u-b' }),
    facilitator: await cloud.issueToken({ orgId: 'org-a', role: 'facilitator', sub: 'u-f' }),
  };
}, 60_000);

afterAll(async () => {
  await cloud?.stop();
});

const get = (path: string, token?: string) =>
  fetch(`${cloud.endpoints.api}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});

/** A pipeline event as the outbox pipe publishes it. */
async function publish(orgId: string, type: string, processId = 'p-1', version = 1) {
  const id = ulid();
  const result = await cloud.eventBridge.putEvents([
    {
      EventBusName: PIPELINE_BUS,
      Source: PIPELINE_SOURCE,
      DetailType: type,
      Detail: JSON.stringify({
        metadata: {
          id,
          type,
          version,
          orgId,
          placeId: 'hede',
          processId,
          occurredAt: new Date().toISOString(),
        },
        data: {},
      }),
    },
  ]);
  expect(result.FailedEntryCount).toBe(0);
  return id;
}

/** Reads server-sent events until `count` arrived. */
async function readStream(path: string, token: string, count: number, act: () => Promise<unknown>) {
  const controller = new AbortController();
  const response = await fetch(`${cloud.endpoints.api}${path}`, {
    headers: { authorization: `Bearer ${token}` },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/event-stream');
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  await eventually(() => cloud.console.streams() > 0);
  await act();
  const messages: {
    id: string;
    event: string;
    data: { event: { metadata: { id: string } }; matchedRules: number };
  }[] = [];
  const timeout = setTimeout(() => controller.abort(), 5_000);
  try {
    while (messages.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      const blocks = text.split('\n\n');
      text = blocks.pop() ?? '';
      for (const block of blocks) {
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((line) => !line.startsWith(':') && line.includes(': '))
            .map((line) => [line.slice(0, line.indexOf(': ')), line.slice(line.indexOf(': ') + 2)]),
        );
        if (fields.data)
          messages.push({
            id: String(fields.id),
            event: String(fields.event),
            data: JSON.parse(fields.data),
          });
      }
    }
  } finally {
    clearTimeout(timeout);
    controller.abort();
  }
  return messages;
}

describe('the console routes of the local runtime', () => {
  it('config.json says the API is on this origin, the flow streams and sign-in is for development', async () => {
    const response = await get('/config.json');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      stage: 'local',
      apiUrl: '',
      live: 'stream',
      features: { emails: true, unmatched: true },
      auth: { development: true },
    });
  });

  it('the development sign-in gives an ops token the API accepts, and refuses a bad organisation id', async () => {
    const signIn = (body: unknown) =>
      fetch(`${cloud.endpoints.api}/console/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const ok = await signIn({ orgId: 'org-a' });
    expect(ok.status).toBe(200);
    const { token, role } = (await ok.json()) as { token: string; role: string };
    expect(role).toBe('ops');
    expect((await get('/ops/unmatched', token)).status).toBe(200);
    const bad = await signIn({ orgId: '../etc' });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    expect(await bad.json()).toMatchObject({ errors: [{ path: 'orgId' }] });
  });

  it('the /ops routes need a token and the ops or coordinator role', async () => {
    for (const path of ['/ops/stream', '/ops/unmatched', '/ops/emails']) {
      expect((await get(path)).status).toBe(401);
      const forbidden = await get(path, tokens.facilitator);
      expect(forbidden.status).toBe(403);
      expect(forbidden.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it("the stream carries the organisation's events as they are routed, with their matched-rule count, and nobody else's", async () => {
    let mine = '';
    const messages = await readStream('/ops/stream', tokens.ops, 1, async () => {
      await publish('org-b', 'Stage.Started');
      mine = await publish('org-a', 'Stage.Started');
    });
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ id: mine, event: 'pipeline-event', data: { matchedRules: 0 } });
    expect(messages[0]?.data.event.metadata.id).toBe(mine);
    await eventually(() => cloud.console.streams() === 0);
  });

  it('the stream filters by type and process', async () => {
    let wanted = '';
    const messages = await readStream(
      '/ops/stream?type=Workshop.Closed&processId=p-2',
      tokens.ops,
      1,
      async () => {
        await publish('org-a', 'Stage.Started', 'p-2');
        await publish('org-a', 'Workshop.Closed', 'p-1');
        wanted = await publish('org-a', 'Workshop.Closed', 'p-2');
      },
    );
    expect(messages.map((m) => m.id)).toEqual([wanted]);
  });

  it('lists the events no rule matched though one should have, newest first, for the caller only', async () => {
    // Plan.Approved v1 has no consumer in this runtime: a fact for the timeline, no alert.
    const fact = await publish('org-a', 'Plan.Approved', 'p-fact');
    // A version the catalog does not know: whatever sent it expected someone to react.
    const id = await publish('org-a', 'Plan.Approved', 'p-unmatched', 7);
    const response = await get('/ops/unmatched', tokens.ops);
    const { items } = (await response.json()) as {
      items: { event: { metadata: { id: string; orgId: string } } }[];
    };
    expect(items[0]?.event.metadata.id).toBe(id);
    expect(items.map((item) => item.event.metadata.id)).not.toContain(fact);
    expect(items.every((item) => item.event.metadata.orgId === 'org-a')).toBe(true);
    const theirs = (await (await get('/ops/unmatched', tokens.stranger)).json()) as { items: unknown[] };
    expect(JSON.stringify(theirs.items)).not.toContain(id);
    expect(JSON.stringify(theirs.items)).not.toContain('org-a');
  });

  it("shows the organisation's emails from the outbox, each as sent, and hides other organisations'", async () => {
    const ses = new SESv2Client({
      endpoint: cloud.endpoints.ses,
      region: cloud.endpoints.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const send = (orgId: string, subject: string) =>
      ses.send(
        new SendEmailCommand({
          FromEmailAddress: 'samskapa@samskapa.local',
          Destination: { ToAddresses: ['deltagare@example.se'] },
          Content: {
            Simple: {
              Subject: { Data: subject },
              Body: { Html: { Data: `<p>${subject}</p>` }, Text: { Data: subject } },
            },
          },
          EmailTags: [
            { Name: 'orgId', Value: orgId },
            { Name: 'template', Value: 'resultsReady' },
          ],
        }),
      );
    const mine = await send('org-a', 'Resultaten för Hede');
    await send('org-b', 'Resultaten för Sveg');
    ses.destroy();

    const list = (await (await get('/ops/emails', tokens.ops)).json()) as {
      items: { id: string; subject: string; tags: Record<string, string> }[];
    };
    expect(list.items.map((item) => item.subject)).toEqual(['Resultaten för Hede']);
    expect(list.items[0]?.tags).toEqual({ orgId: 'org-a', template: 'resultsReady' });
    const message = (await (await get(`/ops/emails/${mine.MessageId}`, tokens.ops)).json()) as {
      html: string;
      raw?: string;
    };
    expect(message.html).toContain('<p>Resultaten för Hede</p>');
    expect(message.raw).toBeUndefined();
    expect((await get(`/ops/emails/${mine.MessageId}`, tokens.stranger)).status).toBe(404);
  });
});
