/**
 * The demo on the local runtime: the one `npm start` runs (found through .samskapa/endpoints.json),
 * or one started for the run. Places go through the HTTP API; the pipeline does the rest. Running it
 * again adds new places next to the earlier ones.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { type Endpoints, type LocalCloud, startLocalCloud } from '../../local/cloud.ts';
import { issueDevelopmentToken } from '../../local/http-api/index.ts';
import { listOutbox } from '../../local/ses/index.ts';
import { demoPlaces, seededRandom } from './content.ts';
import { printStages } from './in-memory-run.ts';
import { DEMO_FACILITATOR, runPlaceScript } from './place-script.ts';
import { progressBar } from './progress.ts';
import { apiHooks, httpCaller } from './through-api.ts';

async function reachable(endpoints: Endpoints): Promise<boolean> {
  try {
    const response = await fetch(`${endpoints.api}/openapi.json`, { signal: AbortSignal.timeout(1500) });
    return response.ok;
  } catch {
    return false;
  }
}

export async function demoOnRuntime(options: {
  places: number;
  seed: number;
  org: string;
  data: string;
  parallel: number;
}) {
  const dataDir = resolve(options.data);
  const file = join(dataDir, 'endpoints.json');
  let own: LocalCloud | undefined;
  let endpoints: Endpoints | undefined = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as Endpoints)
    : undefined;
  if (!endpoints || !(await reachable(endpoints))) {
    console.log('No samskapa runtime is running: starting one for this run (npm start keeps one running).');
    own = await startLocalCloud({ persist: dataDir });
    endpoints = own.endpoints;
  }
  const runtime = endpoints;
  try {
    const keyDir = join(dataDir, 'auth');
    const coordinator = httpCaller(
      runtime.api,
      await issueDevelopmentToken(
        { orgId: options.org, role: 'coordinator', sub: 'u-demo-coordinator' },
        keyDir,
      ),
    );
    const facilitator = httpCaller(
      runtime.api,
      await issueDevelopmentToken({ orgId: options.org, role: 'facilitator', sub: DEMO_FACILITATOR }, keyDir),
    );
    await coordinator.call('POST', '/users', {
      userId: DEMO_FACILITATOR,
      name: 'Frida Processledare',
      email: 'frida@samskapa.example',
      locale: 'sv',
      role: 'facilitator',
    });
    // New places after the ones earlier runs created, so a re-run never touches them.
    const existing = (await coordinator.call<{ items: unknown[] }>('GET', '/places')).items.length;
    const places = demoPlaces(existing + options.places).slice(existing);
    const random = seededRandom(options.seed + existing);
    const outboxBefore = (await listOutbox(dataDir)).length;
    const started = performance.now();
    console.log(
      `samskapa demo: ${options.places} places through Smarta Orter on the local runtime (${runtime.api})\n`,
    );
    console.log(`Places: ${places.map((place) => place.name).join(', ')}\n`);
    const bar = progressBar('Orter');
    bar.start(places.length, 0, { place: '' });
    const processIds: string[] = [];
    let next = 0;
    let done = 0;
    await Promise.all(
      Array.from({ length: Math.min(options.parallel, places.length) }, async () => {
        while (next < places.length) {
          const place = places[next++];
          if (!place) break;
          const hooks = apiHooks({ coordinator, facilitator }, place);
          await runPlaceScript(place, place.placeId, random, hooks);
          processIds.push(hooks.processId());
          bar.update(++done, { place: place.name });
        }
      }),
    );
    bar.stop();
    // Let the last emails go out before counting.
    await new Promise((r) => setTimeout(r, 1500));
    const seconds = (performance.now() - started) / 1000;

    const states = await Promise.all(
      processIds.map((id) =>
        facilitator.call<{ status: string; stages?: { stage: string; completedAt?: string }[] }>(
          'GET',
          `/processes/${id}`,
        ),
      ),
    );
    const timelines = await Promise.all(
      processIds.map((id) => facilitator.call<{ items: unknown[] }>('GET', `/processes/${id}/timeline`)),
    );
    printStages(
      (key, completed) =>
        states.filter(
          (s) =>
            s.status === 'completed' ||
            (s.stages ?? []).some((x) => x.stage === key && (!completed || x.completedAt)),
        ).length,
    );
    const completed = states.filter((s) => s.status === 'completed').length;
    const events = timelines.reduce((sum, t) => sum + (t.items?.length ?? 0), 0);
    const s3 = new S3Client({
      endpoint: runtime.s3,
      region: runtime.region,
      forcePathStyle: true,
      credentials: { accessKeyId: 'samskapalocal', secretAccessKey: 'samskapalocal' },
    });
    let files = 0;
    for (const prefix of ['recordings/', 'reports/', 'guides/']) {
      let token: string | undefined;
      do {
        const page = await s3.send(
          new ListObjectsV2Command({
            Bucket: runtime.bucket,
            Prefix: `${prefix}${options.org}/`,
            ContinuationToken: token,
          }),
        );
        files += page.KeyCount ?? 0;
        token = page.NextContinuationToken;
      } while (token);
    }
    console.log(`\nProcesses completed: ${completed}/${places.length}`);
    console.log(`Events: ${events}`);
    console.log(
      `Emails sent: ${(await listOutbox(dataDir)).length - outboxBefore} (in ${join(dataDir, 'outbox')})`,
    );
    console.log(`Files in S3 for ${options.org}: ${files}`);
    console.log(`Elapsed: ${seconds.toFixed(1)} s`);
    return completed === places.length;
  } finally {
    await own?.stop();
  }
}
