/**
 * `npm run demo -- --places N`: drives N generated places through the whole Smarta Orter method and
 * prints what happened: places per stage, events by type, emails requested. Runs in memory.
 */
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import * as E from '../events/catalog.ts';
import { smartaOrter } from '../shared/methods/index.ts';
import { demoPlaces, seededRandom } from './demo/content.ts';
import { InMemoryPipeline } from './demo/in-memory.ts';
import { DEMO_FACILITATOR, runPlaceScript } from './demo/place-script.ts';

const { values } = parseArgs({
  options: {
    places: { type: 'string', default: '20' },
    seed: { type: 'string', default: '2026' },
    org: { type: 'string', default: 'org-demo' },
  },
});
const count = Number(values.places);
if (!Number.isInteger(count) || count < 1 || count > 100_000) {
  console.error(`--places must be a whole number from 1 to 100000 (got ${values.places})`);
  process.exit(2);
}

const pipeline = new InMemoryPipeline();
const random = seededRandom(Number(values.seed));
const places = demoPlaces(count);
const bar = new cliProgress.SingleBar(
  {
    format: 'Orter {bar} {value}/{total} | {place}',
    hideCursor: true,
    noTTYOutput: true,
    notTTYSchedule: 2000,
  },
  cliProgress.Presets.shades_classic,
);
const started = performance.now();
console.log(`samskapa demo: ${count} places through ${smartaOrter.name.sv} (in memory)\n`);
bar.start(count, 0, { place: '' });

let requests = 0;
for (const [i, place] of places.entries()) {
  const processId = `proc-${place.placeId}`;
  await runPlaceScript(place, processId, random, {
    command: (body) => {
      pipeline.command({
        kind: 'command',
        command: {
          ...body,
          processId,
          orgId: values.org,
          actor: { kind: 'user', id: DEMO_FACILITATOR },
          requestId: `req-${++requests}`,
        } as never,
      });
    },
    record: (interviewId, n) =>
      pipeline.fact(
        E.InterviewRecorded,
        processId,
        {
          interviewId,
          key: `recordings/${values.org}/${place.placeId}/${processId}/${interviewId}/intervju-${n + 1}.m4a`,
          size: 1_000_000 + n,
          contentType: 'audio/mp4',
        },
        'recordingIngest',
      ),
    guideId: () => {
      const guide = pipeline.state(processId).guide;
      if (!guide) throw new Error(`no guide was generated for ${place.name}`);
      return guide.guideId;
    },
  });
  bar.update(i + 1, { place: place.name });
}
bar.stop();
const seconds = (performance.now() - started) / 1000;

const states = [...pipeline.states.values()];
console.log('\nStage            entered  completed');
for (const stage of smartaOrter.stages) {
  const entered = states.filter((s) => s.stages.some((x) => x.stage === stage.key)).length;
  const completed = states.filter((s) => s.stages.some((x) => x.stage === stage.key && x.completedAt)).length;
  console.log(`${stage.name.sv.padEnd(16)} ${String(entered).padStart(7)}  ${String(completed).padStart(9)}`);
}
const completed = states.filter((s) => s.status === 'completed').length;
console.log(`\nProcesses completed: ${completed}/${count}`);
console.log(`Events: ${pipeline.totalEvents} (${Math.round(pipeline.totalEvents / seconds)}/s)`);
for (const [type, n] of [...pipeline.eventCounts.entries()].sort((a, b) => b[1] - a[1])) {
  console.log(`  ${type.padEnd(24)} ${n}`);
}
console.log(`Emails requested: ${pipeline.eventCounts.get('Notification.Requested') ?? 0}`);
console.log(`Elapsed: ${seconds.toFixed(2)} s`);
if (completed !== count) process.exit(1);
