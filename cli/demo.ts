/**
 * `npm run demo -- --places N`: drives N generated places through the whole Smarta Orter method on
 * the local runtime, through its HTTP API (the runtime `npm start` runs, or one started for the run),
 * and prints places per stage, events, emails, files and the time it took. `--in-memory` runs the
 * pure engine instead, with no runtime.
 */
import { parseArgs } from 'node:util';
import { demoInMemory } from './demo/in-memory-run.ts';
import { demoOnRuntime } from './demo/runtime-run.ts';

const { values } = parseArgs({
  options: {
    places: { type: 'string', default: '20' },
    seed: { type: 'string', default: '2026' },
    org: { type: 'string', default: 'org-demo' },
    data: { type: 'string', default: '.samskapa' },
    parallel: { type: 'string', default: '4' },
    'in-memory': { type: 'boolean', default: false },
  },
});
const places = Number(values.places);
if (!Number.isInteger(places) || places < 1 || places > 100_000) {
  console.error(`--places must be a whole number from 1 to 100000 (got ${values.places})`);
  process.exit(2);
}
const parallel = Number(values.parallel);
if (!Number.isInteger(parallel) || parallel < 1 || parallel > 64) {
  console.error(`--parallel must be a whole number from 1 to 64 (got ${values.parallel})`);
  process.exit(2);
}
const options = { places, seed: Number(values.seed), org: values.org };
const ok = values['in-memory']
  ? await demoInMemory(options)
  : await demoOnRuntime({ ...options, data: values.data, parallel }).catch((error: unknown) => {
      console.error(`The demo stopped: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    });
process.exit(ok ? 0 : 1);
