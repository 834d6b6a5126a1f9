/** The demo in memory: the pure engine behind an in-process bus; no AWS, no runtime. */
import * as E from '../../events/catalog.ts';
import { smartaOrter } from '../../shared/methods/index.ts';
import { demoPlaces, seededRandom } from './content.ts';
import { InMemoryPipeline } from './in-memory.ts';
import { DEMO_FACILITATOR, runPlaceScript } from './place-script.ts';
import { progressBar } from './progress.ts';

export async function demoInMemory(options: { places: number; seed: number; org: string }): Promise<boolean> {
  const pipeline = new InMemoryPipeline();
  const random = seededRandom(options.seed);
  const places = demoPlaces(options.places);
  const bar = progressBar('Orter');
  const started = performance.now();
  console.log(`samskapa demo: ${options.places} places through ${smartaOrter.name.sv} (in memory)\n`);
  bar.start(options.places, 0, { place: '' });
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
            orgId: options.org,
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
            key: `recordings/${options.org}/${place.placeId}/${processId}/${interviewId}/intervju-${n + 1}.m4a`,
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
  printStages(
    (key, done) =>
      states.filter((s) => s.stages.some((x) => x.stage === key && (!done || x.completedAt))).length,
  );
  const completed = states.filter((s) => s.status === 'completed').length;
  console.log(`\nProcesses completed: ${completed}/${options.places}`);
  console.log(`Events: ${pipeline.totalEvents} (${Math.round(pipeline.totalEvents / seconds)}/s)`);
  for (const [type, n] of [...pipeline.eventCounts.entries()].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${type.padEnd(24)} ${n}`);
  }
  console.log(`Emails requested: ${pipeline.eventCounts.get('Notification.Requested') ?? 0}`);
  console.log(`Elapsed: ${seconds.toFixed(2)} s`);
  return completed === options.places;
}

export function printStages(count: (stage: string, completed: boolean) => number) {
  console.log('\nStage            entered  completed');
  for (const stage of smartaOrter.stages) {
    console.log(
      `${stage.name.sv.padEnd(16)} ${String(count(stage.key, false)).padStart(7)}  ${String(count(stage.key, true)).padStart(9)}`,
    );
  }
}
