/**
 * The operations routes on the local runtime with the real topology: a process started through the
 * HTTP API shows up in GET /ops/events in id order (and `next` polls on from there), as a row of
 * GET /ops/board, and as a causal graph in GET /ops/processes/{id}/trace with Process.Started as a
 * root and the functions that handled its events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { type Api, apiClient, eventually } from '../support/api-client.ts';

const ORG = 'org-ops';
let cloud: LocalCloud;
let coordinator: Api;
let ops: Api;
let processId: string;

interface Envelope {
  metadata: { id: string; type: string; processId: string; placeId: string; causationId: string };
  data: Record<string, unknown>;
}
interface EventsPage {
  items: Envelope[];
  next: string;
}

beforeAll(async () => {
  cloud = await startLocalCloud();
  coordinator = apiClient(
    cloud.endpoints.api,
    await cloud.issueToken({ orgId: ORG, role: 'coordinator', sub: 'u-coordinator' }),
  );
  ops = apiClient(cloud.endpoints.api, await cloud.issueToken({ orgId: ORG, role: 'ops', sub: 'u-ops' }));
  await coordinator.post('/users', {
    userId: 'u-frida',
    name: 'Frida Processledare',
    email: 'frida@region.example',
    locale: 'sv',
    role: 'facilitator',
  });
  await coordinator.post('/places', { name: 'Hede', municipality: 'Härjedalen', region: 'Jämtland' });
  ({ processId } = await coordinator.post<{ processId: string }>('/processes', {
    placeId: 'hede',
    facilitators: ['u-frida'],
  }));
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
});

describe('the operations routes on the local runtime', () => {
  it('events: the process’s events in id order; `next` polls on and sees only what came after', async () => {
    // The notifier sends the emails a moment later; wait until each requested one was sent.
    const count = (page: EventsPage, type: string) =>
      page.items.filter((e) => e.metadata.type === type).length;
    const first = await eventually(
      () => ops.get<EventsPage>('/ops/events'),
      (page) =>
        count(page, 'Notification.Sent') > 0 &&
        count(page, 'Notification.Sent') === count(page, 'Notification.Requested'),
      'the emails in the flow',
      20_000,
    );
    const ids = first.items.map((e) => e.metadata.id);
    expect(ids).toEqual([...ids].sort());
    expect(first.items[0]?.metadata).toMatchObject({ type: 'Process.Started', processId, placeId: 'hede' });
    expect(first.next).toBe(ids.at(-1));
    expect(JSON.stringify(first)).not.toContain('frida@');

    const filtered = await ops.get<EventsPage>(`/ops/events?type=Stage.Started&processId=${processId}`);
    expect(filtered.items.map((e) => e.metadata.type)).toEqual(['Stage.Started']);
    expect(filtered.next).toBe(first.next);
    const limited = await ops.get<EventsPage>('/ops/events?limit=1');
    expect(limited.items.map((e) => e.metadata.id)).toEqual([ids[0]]);

    const quiet = await ops.get<EventsPage>(`/ops/events?since=${first.next}`);
    expect(quiet).toEqual({ items: [], next: first.next });

    await coordinator.post(`/processes/${processId}/participants`, {
      participantId: 'p-1',
      name: 'Anna Andersson',
      email: 'anna@example.org',
      sector: 'association',
      ageGroup: 'age30to49',
      locale: 'sv',
      consent: { recording: true, contact: true },
    });
    const after = await ops.get<EventsPage>(`/ops/events?since=${first.next.toLowerCase()}`);
    expect(after.items.map((e) => e.metadata.type)).toContain('Participant.Registered');
    expect(after.items.every((e) => e.metadata.id > first.next)).toBe(true);
    expect(JSON.stringify(after)).not.toContain('Anna');

    const facilitator = apiClient(
      cloud.endpoints.api,
      await cloud.issueToken({ orgId: ORG, role: 'facilitator', sub: 'u-frida' }),
    );
    expect((await facilitator.raw('GET', '/ops/events')).status).toBe(403);
  });

  it('board: the process as a row in its stage, with its open tasks', async () => {
    const board = await ops.get<{ items: Record<string, unknown>[] }>('/ops/board?stuckAfterHours=1');
    expect(board.items).toHaveLength(1);
    expect(board.items[0]).toMatchObject({
      processId,
      placeId: 'hede',
      placeName: 'Hede',
      municipality: 'Härjedalen',
      method: 'smarta-orter',
      status: 'active',
      stage: { key: 'interviews', index: 0, name: { sv: expect.any(String), en: 'Interviews' } },
      openTasks: expect.any(Number),
      overdueTasks: 0,
      stuck: false,
    });
    expect(Number(board.items[0]?.openTasks)).toBeGreaterThan(0);
    const stuck = await ops.get<{ items: unknown[] }>('/ops/board?state=stuck');
    expect(stuck.items).toEqual([]);
    const elsewhere = await ops.get<{ items: unknown[] }>('/ops/board?municipality=Berg');
    expect(elsewhere.items).toEqual([]);
    const here = await ops.get<{ items: unknown[] }>(
      '/ops/board?method=smarta-orter&stage=interviews&municipality=H%C3%A4rjedalen&state=active',
    );
    expect(here.items).toHaveLength(1);
  });

  it('trace: Process.Started is a root under the request; edges lead to what its handlers emitted', async () => {
    interface Trace {
      nodes: { id: string; type: string; root: boolean; handledBy: string[] }[];
      edges: { from: string; to: string; durationMs: number }[];
      causes: { id: string; actor: { kind: string; id: string }; events: string[] }[];
    }
    const trace = await ops.get<Trace>(`/ops/processes/${processId}/trace`);
    const started = trace.nodes.find((n) => n.type === 'Process.Started');
    expect(started?.root).toBe(true);
    expect(trace.causes.find((c) => c.events.includes(started?.id ?? ''))?.actor).toEqual({
      kind: 'user',
      id: 'u-coordinator',
    });
    const sent = trace.nodes.find((n) => n.type === 'Notification.Sent');
    const edge = trace.edges.find((e) => e.to === sent?.id);
    const requested = trace.nodes.find((n) => n.id === edge?.from);
    expect(requested?.type).toBe('Notification.Requested');
    expect(requested?.handledBy).toContain('notifier');
    expect(edge?.durationMs).toBeGreaterThanOrEqual(0);
    const ids = new Set(trace.nodes.map((n) => n.id));
    expect(trace.edges.every((e) => ids.has(e.from) && ids.has(e.to))).toBe(true);

    expect((await ops.raw('GET', '/ops/processes/p-none/trace')).status).toBe(404);
  });
});
