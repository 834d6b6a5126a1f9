/**
 * The operations console in real Chromium against the local runtime, as an operations team uses it:
 * after a demo run the board shows every place in its stage; a live event shows within a second of the
 * API call that caused it; a failed event shows in Failures and a redrive from the page completes it;
 * the trace of a process shows its whole causal chain; the language switch works; and axe finds no
 * WCAG A/AA violation in any view. Screenshots land in test-results/console/.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { Page } from 'playwright-core';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConsole } from '../../console/build.ts';
import { PIPELINE_BUS, PIPELINE_SOURCE } from '../../functions/topology.ts';
import { type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import {
  eventually,
  fixtureRoot,
  fixtureTopology,
  readCalls,
  SOURCE,
  withOperationsApi,
} from '../fixtures/functions/harness.ts';
import { type Api, apiClient } from '../support/api-client.ts';
import {
  axeViolations,
  type ConsoleBrowser,
  launchConsoleBrowser,
  screenshot,
  signIn,
} from '../support/console-browser.ts';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);
const ORG = 'org-demo';
const DEMO_PLACES = 3;

let dir: string;
let staticRoot: string;
let browser: ConsoleBrowser;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'samskapa-console-'));
  staticRoot = (await buildConsole({ outdir: join(dir, 'console') })).outdir;
  browser = await launchConsoleBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the console on the pipeline', () => {
  let cloud: LocalCloud;
  let coordinator: Api;
  let waiting: { placeId: string; processId: string };
  let page: Page;

  beforeAll(async () => {
    const data = join(dir, 'pipeline');
    cloud = await startLocalCloud({ persist: data, staticRoot });
    // The real `samskapa demo` drives places through all five stages against this runtime.
    const demo = await run(
      process.execPath,
      ['cli/samskapa.ts', 'demo', '--places', String(DEMO_PLACES), '--data', data, '--org', ORG],
      { cwd: root, timeout: 240_000 },
    );
    expect(demo.stdout).toContain(`Processes completed: ${DEMO_PLACES}/${DEMO_PLACES}`);
    coordinator = apiClient(
      cloud.endpoints.api,
      await cloud.issueToken({ orgId: ORG, role: 'coordinator', sub: 'u-coordinator' }),
    );
    await coordinator.post('/users', {
      userId: 'u-tove',
      name: 'Tove Processledare',
      email: 'tove@region.example',
      locale: 'sv',
      role: 'facilitator',
    });
    // One more place that has only started: it waits in the interviews stage.
    const place = await coordinator.post<{ placeId: string }>('/places', {
      name: 'Tännäs',
      municipality: 'Härjedalen',
      region: 'Jämtland',
    });
    const started = await coordinator.post<{ processId: string }>('/processes', {
      placeId: place.placeId,
      method: 'smarta-orter',
      locale: 'sv',
      facilitators: ['u-tove'],
    });
    waiting = { placeId: place.placeId, processId: started.processId };
    page = await signIn(browser.context, cloud.endpoints.console, { orgId: ORG });
  }, 300_000);

  afterAll(async () => {
    await page?.close();
    await cloud?.stop();
  });

  it('the board shows every place in its stage after a demo run', async () => {
    await page.goto(`${cloud.endpoints.console}#/board`);
    const table = page.locator('table.board');
    await expect
      .poll(() => table.getAttribute('data-loaded-count'), { timeout: 15_000 })
      .toBe(String(DEMO_PLACES + 1));
    await expect.poll(() => page.locator('tr[data-stage-key="completed"]').count()).toBe(DEMO_PLACES);
    const row = page.locator(`tr[data-process-id="${waiting.processId}"]`);
    await expect.poll(() => row.getAttribute('data-stage-key')).toBe('interviews');
    // The stage columns: the current one is named, none is done yet.
    expect(await row.locator('.stage-cell .current').innerText()).toContain('Intervjuer');
    expect(await row.locator('.stage-cell .done').count()).toBe(0);
    expect(await page.locator('[data-count="completed"] .value').innerText()).toBe(String(DEMO_PLACES));
    // Filtering by state narrows the rows to the one still active.
    await page.getByLabel('Läge').selectOption('active');
    await expect.poll(() => page.locator('table.board tbody tr').count()).toBe(1);
    await page.getByLabel('Läge').selectOption('');
    await screenshot(page, 'board');
  });

  it('a live event shows in the flow within a second of the API call', async () => {
    await page.goto(`${cloud.endpoints.console}#/flow`);
    await eventually(() => cloud.console.streams() > 0, 10_000);
    const completed = page.locator('[data-event-type="Task.Completed"]');
    const before = await completed.count();
    const taskId = await firstOpenTask(coordinator, waiting.processId);
    const began = Date.now();
    await coordinator.post(`/processes/${waiting.processId}/tasks/${taskId}/complete`, {});
    await expect.poll(() => completed.count(), { timeout: 5_000, interval: 20 }).toBeGreaterThan(before);
    const latencyMs = Date.now() - began;
    expect(latencyMs).toBeLessThan(1_000);
    await screenshot(page, 'flow');
  });

  it('the trace of a process shows its whole causal chain', async () => {
    const [done] = (
      await coordinator.get<{ items: { processId: string; status: string }[] }>('/ops/board')
    ).items.filter((row) => row.status === 'completed');
    const processId = String(done?.processId);
    const timeline = await coordinator.get<{ items: unknown[] }>(`/processes/${processId}/timeline`);
    await page.goto(`${cloud.endpoints.console}#/trace/${processId}`);
    const nodes = page.locator('[data-trace-event]');
    await expect.poll(() => nodes.count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(timeline.items.length);
    for (const type of [
      'Process.Started',
      'Workshop.Closed',
      'Results.Compiled',
      'Guide.Published',
      'Process.Completed',
    ])
      expect(await page.locator(`[data-trace-event][data-event-type="${type}"]`).count()).toBeGreaterThan(0);
    expect(await page.locator('[data-trace-event][data-failed="true"]').count()).toBe(0);
    await screenshot(page, 'trace');
  });

  it('switches language: Swedish by default, then Finnish and English', async () => {
    await page.goto(`${cloud.endpoints.console}#/board`);
    await expect.poll(() => page.locator('h1').innerText()).toBe('Tavla');
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('sv');
    await page.getByLabel('Språk').selectOption('fi');
    await expect.poll(() => page.locator('h1').innerText()).toBe('Taulu');
    expect(await page.locator('nav.views').innerText()).toContain('Tapahtumavirta');
    await page.getByLabel('Kieli').selectOption('en');
    await expect.poll(() => page.locator('h1').innerText()).toBe('Board');
    await expect.poll(() => page.evaluate(() => document.documentElement.lang)).toBe('en');
    await screenshot(page, 'board-en');
    await page.getByLabel('Language').selectOption('sv');
  });

  it('alerts show an event no rule matched, linked to its process', async () => {
    // A producer sends a version nobody consumes yet: nothing reacts, and the console says so.
    const id = ulid();
    await cloud.eventBridge.putEvents([
      {
        EventBusName: PIPELINE_BUS,
        Source: PIPELINE_SOURCE,
        DetailType: 'Workshop.Closed',
        Detail: JSON.stringify({
          metadata: {
            id,
            type: 'Workshop.Closed',
            version: 9,
            orgId: ORG,
            placeId: waiting.placeId,
            processId: waiting.processId,
            occurredAt: new Date().toISOString(),
          },
          data: {},
        }),
      },
    ]);
    await page.goto(`${cloud.endpoints.console}#/alerts`);
    const alert = page.locator(`[data-alert="unmatched"][data-event-id="${id}"]`);
    await alert.waitFor({ timeout: 10_000 });
    expect(await alert.innerText()).toContain('Workshop.Closed');
    expect(await alert.locator('a').getAttribute('href')).toBe(`#/trace/${waiting.processId}`);
    await screenshot(page, 'alerts');
  });

  it('every view passes axe (WCAG 2.1 A and AA)', async () => {
    for (const view of [
      'board',
      'flow',
      'alerts',
      'failures',
      'metrics',
      'emails',
      `trace/${waiting.processId}`,
    ]) {
      await page.goto(`${cloud.endpoints.console}#/${view}`);
      await page.locator('main h1').first().waitFor();
      // The views load their data after the heading; the live stream keeps the network busy.
      await page.waitForTimeout(700);
      expect({ view, violations: await axeViolations(page) }).toEqual({ view, violations: [] });
    }
  }, 60_000);

  it('the email outbox shows each email as the recipient sees it', async () => {
    await page.goto(`${cloud.endpoints.console}#/emails`);
    const first = page.locator('[data-email-id]').first();
    await first.waitFor({ timeout: 10_000 });
    await first.locator('button, a').first().click();
    const frame = page.frameLocator('iframe');
    await expect.poll(() => frame.locator('body').innerText(), { timeout: 10_000 }).not.toBe('');
    await screenshot(page, 'emails');
  });

  it('the metrics view draws its charts', async () => {
    await page.goto(`${cloud.endpoints.console}#/metrics`);
    for (const chart of ['events', 'emails', 'durations'])
      await page.locator(`canvas[data-chart="${chart}"]`).waitFor({ timeout: 10_000 });
    await screenshot(page, 'metrics');
  });
});

async function firstOpenTask(api: Api, processId: string): Promise<string> {
  const tasks = await api.get<{ items: { taskId: string; status: string }[] }>(
    `/processes/${processId}/tasks`,
  );
  const open = tasks.items.find((task) => task.status === 'open');
  if (!open) throw new Error(`no open task in ${processId}`);
  return open.taskId;
}

describe('the console on failures', () => {
  let cloud: LocalCloud;
  let flag: string;
  let page: Page;
  let events: EventBridgeClient;
  const QUEUE = 'throwsUntilFixed-failures';
  const FAILURES_ORG = 'org-failures';

  beforeAll(async () => {
    const record = join(dir, 'failures');
    flag = join(record, 'fixed');
    cloud = await startLocalCloud({
      topology: withOperationsApi(fixtureTopology({ recordDir: record, fixFlagFile: flag })),
      root: fixtureRoot,
      persist: join(record, 'data'),
      retryDelaysMs: [10, 10],
      staticRoot,
    });
    events = new EventBridgeClient({
      endpoint: cloud.endpoints.eventbridge,
      region: cloud.endpoints.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    page = await signIn(browser.context, cloud.endpoints.console, { orgId: FAILURES_ORG, locale: 'en' });
  }, 120_000);

  afterAll(async () => {
    events?.destroy();
    await page?.close();
    await cloud?.stop();
  });

  it('a failed event shows in Failures and in its trace, and a redrive from the page completes it', async () => {
    // A real process of the organisation (the real API is in this runtime), then an upload of it that
    // the transcriber cannot handle until it is fixed.
    const coordinator = apiClient(
      cloud.endpoints.api,
      await cloud.issueToken({ orgId: FAILURES_ORG, role: 'coordinator', sub: 'u-coordinator' }),
    );
    await coordinator.post('/users', {
      userId: 'u-tove',
      name: 'Tove Processledare',
      email: 'tove@region.example',
      locale: 'sv',
      role: 'facilitator',
    });
    const place = await coordinator.post<{ placeId: string }>('/places', {
      name: 'Hede',
      municipality: 'Härjedalen',
      region: 'Jämtland',
    });
    const { processId } = await coordinator.post<{ processId: string }>('/processes', {
      placeId: place.placeId,
      method: 'smarta-orter',
      locale: 'sv',
      facilitators: ['u-tove'],
    });
    const eventId = ulid();
    await events.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: PIPELINE_BUS,
            Source: SOURCE,
            DetailType: 'Interview.Uploaded',
            Detail: JSON.stringify({
              metadata: {
                id: eventId,
                type: 'Interview.Uploaded',
                orgId: FAILURES_ORG,
                placeId: 'hede',
                processId,
              },
              data: { interviewId: 'i-7' },
            }),
          },
        ],
      }),
    );
    await eventually(() => cloud.failureQueues.queue(QUEUE).size === 1, 20_000);

    await page.goto(`${cloud.endpoints.console}#/failures`);
    const message = page.locator(`[data-queue="${QUEUE}"][data-message-id]`);
    await message.waitFor({ timeout: 10_000 });
    expect(await message.innerText()).toContain('TranscriptionUnavailableError');
    expect(await message.innerText()).toContain('Interview.Uploaded');
    await screenshot(page, 'failures');

    // The trace of the process counts the failure and names the function that failed.
    await page.goto(`${cloud.endpoints.console}#/trace/${processId}`);
    await page.locator('[data-failure-function="throwsUntilFixed"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-summary="failures"]').innerText()).toContain('1');
    await screenshot(page, 'trace-failed');

    // The fix is deployed; the operator redrives from the page.
    await page.goto(`${cloud.endpoints.console}#/failures`);
    await message.waitFor({ timeout: 10_000 });
    writeFileSync(flag, 'fixed');
    await message.locator('[data-action="redrive"]').click();
    await eventually(
      () =>
        readCalls(join(dir, 'failures'), 'throwsUntilFixed').some(
          (call) =>
            call.outcome === 'success' &&
            (call.event as { detail?: { metadata?: { id?: string } } }).detail?.metadata?.id === eventId,
        ),
      20_000,
    );
    await expect
      .poll(() => page.locator(`[data-queue="${QUEUE}"][data-message-id]`).count(), { timeout: 10_000 })
      .toBe(0);
    expect(cloud.failureQueues.queue(QUEUE).size).toBe(0);
    await screenshot(page, 'failures-redriven');
  });
});
