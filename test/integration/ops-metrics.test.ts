/**
 * GET /ops/metrics on the local runtime with the real topology: a process started through the HTTP
 * API shows up as the organisation's events per minute by type (the same events GET /ops/events
 * lists) and its emails sent per minute, next to every function's invocations and durations, which the
 * API reads from CloudWatch: the local CloudWatch endpoint fed by the Lambda host.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { type Api, apiClient, eventually } from '../support/api-client.ts';

const ORG = 'org-metrics';
let cloud: LocalCloud;
let coordinator: Api;
let ops: Api;

interface Metrics {
  window: { start: string; end: string; minutes: number };
  events: {
    minutes: string[];
    series: { type: string; counts: number[] }[];
    total: number;
    truncated: boolean;
  };
  emails: { sent: number[]; failed: number[] };
  functions: {
    name: string;
    invocations: number;
    errors: number;
    p50DurationMs: number | null;
    p99DurationMs: number | null;
  }[];
}
interface EventsPage {
  items: { metadata: { type: string } }[];
}

const sum = (counts: number[]) => counts.reduce((a, b) => a + b, 0);
const countOf = (metrics: Metrics, type: string) =>
  sum(metrics.events.series.find((s) => s.type === type)?.counts ?? []);

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
  await coordinator.post('/processes', { placeId: 'hede', facilitators: ['u-frida'] });
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
});

describe('GET /ops/metrics on the local runtime', () => {
  it("counts the organisation's events by type and minute, and its emails, as /ops/events lists them", async () => {
    const metrics = await eventually(
      () => ops.get<Metrics>('/ops/metrics?minutes=5'),
      (m) =>
        countOf(m, 'Notification.Sent') > 0 &&
        countOf(m, 'Notification.Sent') === countOf(m, 'Notification.Requested'),
      'the emails in the metrics',
      20_000,
    );
    expect(metrics.window.minutes).toBe(5);
    expect(metrics.events.minutes).toHaveLength(5);
    expect(Date.parse(metrics.window.end) - Date.parse(metrics.window.start)).toBe(5 * 60_000);
    expect(metrics.events.minutes[0]).toBe(metrics.window.start);
    expect(metrics.events.minutes.every((m) => m.endsWith(':00.000Z'))).toBe(true);
    expect(metrics.events.truncated).toBe(false);
    for (const series of metrics.events.series) expect(series.counts).toHaveLength(5);

    // The same events as GET /ops/events over the same hour, counted by type.
    const listed = await ops.get<EventsPage>('/ops/events?limit=500');
    const expected = new Map<string, number>();
    for (const { metadata } of listed.items)
      expected.set(metadata.type, (expected.get(metadata.type) ?? 0) + 1);
    expect(new Map(metrics.events.series.map((s) => [s.type, sum(s.counts)]))).toEqual(expected);
    expect(metrics.events.total).toBe(listed.items.length);
    expect(countOf(metrics, 'Process.Started')).toBe(1);
    expect(countOf(metrics, 'Stage.Started')).toBe(1);
    expect(metrics.events.series.map((s) => s.type)).toEqual(metrics.events.series.map((s) => s.type).sort());

    expect(sum(metrics.emails.sent)).toBe(expected.get('Notification.Sent'));
    expect(metrics.emails.sent).toEqual(
      metrics.events.series.find((s) => s.type === 'Notification.Sent')?.counts,
    );
    expect(metrics.emails.failed).toEqual([0, 0, 0, 0, 0]);
  });

  it("reads every function's invocations and durations from CloudWatch, account-wide", async () => {
    expect(cloud.endpoints.cloudwatch).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(cloud.lambda.environmentOf('api').AWS_ENDPOINT_URL_CLOUDWATCH).toBe(cloud.endpoints.cloudwatch);
    const metrics = await ops.get<Metrics>('/ops/metrics');
    expect(metrics.events.minutes).toHaveLength(60);
    const byName = new Map(metrics.functions.map((f) => [f.name, f]));
    expect([...byName.keys()].sort()).toEqual(
      [
        'api',
        'emailFeedback',
        'guideBuilder',
        'notifier',
        'recordingIngest',
        'resultsCompiler',
        'stageEngine',
        'taskReminders',
      ].sort(),
    );
    const api = byName.get('api');
    // users, places, processes and the metrics calls of the test before: each one invocation.
    expect(api?.invocations).toBeGreaterThanOrEqual(4);
    expect(api?.errors).toBe(0);
    expect(api?.p50DurationMs).toBeGreaterThan(0);
    expect(api?.p99DurationMs).toBeGreaterThanOrEqual(api?.p50DurationMs ?? Infinity);
    expect(byName.get('notifier')?.invocations).toBeGreaterThan(0);
    expect(byName.get('guideBuilder')).toEqual({
      name: 'guideBuilder',
      invocations: 0,
      errors: 0,
      p50DurationMs: null,
      p99DurationMs: null,
    });

    // Another organisation: none of these events, the same functions.
    const elsewhere = apiClient(
      cloud.endpoints.api,
      await cloud.issueToken({ orgId: 'org-elsewhere', role: 'coordinator', sub: 'u-other' }),
    );
    const theirs = await elsewhere.get<Metrics>('/ops/metrics');
    expect(theirs.events).toMatchObject({ series: [], total: 0, truncated: false });
    expect(theirs.emails.sent).toEqual(new Array(60).fill(0));
    expect(theirs.functions.find((f) => f.name === 'api')?.invocations).toBeGreaterThanOrEqual(
      api?.invocations ?? Infinity,
    );
  });

  it('is for operations and coordinators, within 5 to 1440 minutes', async () => {
    const facilitator = apiClient(
      cloud.endpoints.api,
      await cloud.issueToken({ orgId: ORG, role: 'facilitator', sub: 'u-frida' }),
    );
    expect((await facilitator.raw('GET', '/ops/metrics')).status).toBe(403);
    expect((await ops.raw('GET', '/ops/metrics?minutes=4')).status).toBe(400);
    expect((await ops.raw('GET', '/ops/metrics?minutes=1441')).status).toBe(400);
    expect((await ops.raw('GET', '/ops/metrics?minutes=1440')).status).toBe(200);
  });
});
