import { buildConsole } from '../console/build.ts';
import { startLocalCloud } from '../local/cloud.ts';
import { apiClient } from '../test/support/api-client.ts';
import { launchConsoleBrowser, signIn } from '../test/support/console-browser.ts';
import { machine, percentile, recordResults, round } from './stats.ts';

const PLACES = Number(process.env.BENCH_PLACES ?? 2_000);
const PARALLEL = 8;
const BOARD_RUNS = 5;
const LIVE_RUNS = Number(process.env.BENCH_LIVE_RUNS ?? 40);
const ORG = 'org-bench';
const _root = new URL('../', import.meta.url).pathname;

async function main() {
  const info = machine();
  const staticRoot = (await buildConsole()).outdir;
  const cloud = await startLocalCloud({ staticRoot });
  const browser = await launchConsoleBrowser();
  try {
    const coordinator = apiClient(
      cloud.endpoints.api,
      await cloud.issueToken({ orgId: ORG, role: 'coordinator', sub: 'u-bench' }),
    );

    await coordinator.post('/users', {
      userId: 'u-bench',
      name: 'Bengt Processledare',
      email: 'bengt@region.example',
      locale: 'sv',
      role: 'facilitator',
    });
    // 2,000 places: imported 1,000 a request, each started through the API, then the pipeline settles.
    const seeded = performance.now();
    const placeIds: string[] = [];
    for (let from = 0; from < PLACES; from += 1_000) {
      const lines = Array.from(
        { length: Math.min(1_000, PLACES - from) },
        (_, i) =>
          `Ort ${from + i + 1},Kommun ${((from + i) % 49) + 1},Region ${((from + i) % 7) + 1},${500 + i}`,
      );
      const imported = await coordinator.post<{ created: { placeId: string }[] }>(
        '/places/import',
        `name,municipality,region,population\n${lines.join('\n')}\n`,
      );
      placeIds.push(...imported.created.map((place) => place.placeId));
    }
    const processIds: string[] = [];
    for (let i = 0; i < placeIds.length; i += PARALLEL) {
      const started = await Promise.all(
        placeIds.slice(i, i + PARALLEL).map((placeId) =>
          coordinator.post<{ processId: string }>('/processes', {
            placeId,
            method: 'smarta-orter',
            locale: 'sv',
            facilitators: ['u-bench'],
          }),
        ),
      );
      processIds.push(...started.map((s) => s.processId));
      if (i % 400 === 0) process.stderr.write(`  started ${processIds.length}/${PLACES}\n`);
    }
    await cloud.eventBridge.idle();
    const seedSeconds = round((performance.now() - seeded) / 1000, 0);

    // Baseline: the whole board read by a program, page after page.
    const apiReads: number[] = [];
    for (let run = 0; run < BOARD_RUNS; run++) {
      const began = performance.now();
      let cursor: string | undefined;
      let rows = 0;
      do {
        const page: { items: unknown[]; cursor?: string } = await coordinator.get(
          `/ops/board?limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        rows += page.items.length;
        cursor = page.cursor;
      } while (cursor);
      if (rows !== PLACES) throw new Error(`the board has ${rows} rows, expected ${PLACES}`);
      apiReads.push(performance.now() - began);
    }

    // The board in the page: navigation to every row loaded and the first page of rows drawn.
    const page = await signIn(browser.context, cloud.endpoints.console, { orgId: ORG });
    const boardLoads: number[] = [];
    for (let run = 0; run < BOARD_RUNS; run++) {
      await page.goto('about:blank');
      const began = performance.now();
      await page.goto(`${cloud.endpoints.console}#/board`);
      await page
        .locator(`table.board[data-loaded-count="${PLACES}"] tbody tr`)
        .first()
        .waitFor({ timeout: 60_000 });
      boardLoads.push(performance.now() - began);
    }
    // Interaction: sorting 2,000 rows by place name (ascending, descending, …) and drawing the page again.
    const sorts: number[] = [];
    const placeHeader = page.locator('table.board thead th').first();
    for (let run = 0; run < BOARD_RUNS; run++) {
      const before = await placeHeader.getAttribute('aria-sort');
      const began = performance.now();
      await placeHeader.locator('button.sort').click();
      await page.waitForFunction(
        (previous) => document.querySelector('table.board thead th')?.getAttribute('aria-sort') !== previous,
        before,
        { polling: 'raf' },
      );
      sorts.push(performance.now() - began);
    }

    // Live events: the API call, then the row in the flow.
    await page.goto(`${cloud.endpoints.console}#/flow`);
    const deadline = Date.now() + 10_000;
    while (cloud.console.streams() === 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await page.evaluate(() => {
      const seen: number[] = [];
      (globalThis as { __seen?: number[] }).__seen = seen;
      new MutationObserver((mutations) => {
        for (const mutation of mutations)
          for (const node of mutation.addedNodes)
            if (node instanceof HTMLElement && node.matches('[data-event-type="Task.Completed"]'))
              seen.push(Date.now());
      }).observe(document.body, { childList: true, subtree: true });
    });
    const latencies: number[] = [];
    const roundTrips: number[] = [];
    for (const processId of processIds.slice(0, LIVE_RUNS)) {
      const tasks = await coordinator.get<{ items: { taskId: string; status: string }[] }>(
        `/processes/${processId}/tasks`,
      );
      const task = tasks.items.find((t) => t.status === 'open');
      if (!task) continue;
      const before = await page.evaluate(() => (globalThis as { __seen?: number[] }).__seen?.length ?? 0);
      const began = Date.now();
      await coordinator.post(`/processes/${processId}/tasks/${task.taskId}/complete`, {});
      roundTrips.push(Date.now() - began);
      const shownAt = await page.waitForFunction(
        (count) => {
          const seen = (globalThis as { __seen?: number[] }).__seen ?? [];
          return seen.length > count ? seen[count] : undefined;
        },
        before,
        { timeout: 10_000, polling: 10 },
      );
      latencies.push(Number(await shownAt.jsonValue()) - began);
      await new Promise((r) => setTimeout(r, 100));
    }

    const stats = (values: number[]) => ({
      p50Ms: round(percentile(values, 50), 0),
      p99Ms: round(percentile(values, 99), 0),
      runs: values.length,
    });
    const results = {
      machine: info,
      places: PLACES,
      seedSeconds,
      board: {
        pageLoad: stats(boardLoads),
        baselineApiFullRead: stats(apiReads),
        sortByPlace: stats(sorts),
      },
      live: { apiCallToRow: stats(latencies), baselineApiRoundTrip: stats(roundTrips) },
      note: 'Local runtime on this machine, Chromium headless; the stream is server-sent events (on AWS the console polls every second).',
    };
    const b = results.board;
    const l = results.live;
    const table = [
      `Console, ${info.date.slice(0, 10)}, revision ${info.revision}, ${info.cpu} (${info.cores} cores), ${PLACES} places, Chromium headless:`,
      '',
      '| Measure | Result | Baseline in the same run |',
      '| --- | --- | --- |',
      `| Board load, ${PLACES} places (navigation to rows drawn) | p50 ${b.pageLoad.p50Ms} ms, worst ${b.pageLoad.p99Ms} ms (${b.pageLoad.runs} runs) | GET /ops/board, every page, from Node: p50 ${b.baselineApiFullRead.p50Ms} ms |`,
      `| Sort the board by place | p50 ${b.sortByPlace.p50Ms} ms | |`,
      `| Live event: API call -> row in the flow | p50 ${l.apiCallToRow.p50Ms} ms, p99 ${l.apiCallToRow.p99Ms} ms (${l.apiCallToRow.runs} calls) | the API call's round trip: p50 ${l.baselineApiRoundTrip.p50Ms} ms, p99 ${l.baselineApiRoundTrip.p99Ms} ms |`,
    ].join('\n');
    recordResults('console', results, table);
    console.log(JSON.stringify(results, null, 2));
    console.log(`\n${table}`);
  } finally {
    await browser.close();
    await cloud.stop();
  }
}

await main();
