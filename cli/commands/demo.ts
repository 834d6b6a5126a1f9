/**
 * `samskapa demo --places N` (also `npm run demo`): drives N generated places through the whole
 * Smarta Orter method on the local runtime through its HTTP API (the runtime `npm start` runs, or one
 * started for the run) and prints places per stage, events, emails, files and the time it took.
 * `--in-memory` runs the pure engine instead, with no runtime.
 */
import { type Command, type Parsed, stringValue, wholeNumber } from '../core/command.ts';
import { CliError } from '../core/errors.ts';
import { localDataDir, localOnly } from '../core/target.ts';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Drive N generated places through the whole method, with a progress bar and a summary',
  usage: 'samskapa demo [--places N] [--seed S] [--org ORG] [--parallel P] [--data DIR] [--in-memory]',
  options: {
    places: { type: 'string' },
    seed: { type: 'string' },
    org: { type: 'string' },
    parallel: { type: 'string' },
    data: { type: 'string' },
    'in-memory': { type: 'boolean' },
    stack: { type: 'string' },
  },
  help: `Registers places, participants with consent, uploads recordings, summarises interviews, closes
workshops, approves plans and publishes guides through the API; the pipeline does the rest. Uses the
runtime of <data>/endpoints.json, or starts one for the run. Running it again adds new places.

  --places N       how many places (default 20, at most 100000)
  --seed S         the random seed of the generated content (default 2026)
  --org ORG        the organisation (default org-demo)
  --parallel P     places driven at once (default 4, at most 64)
  --data DIR       the runtime's data folder (default .samskapa)
  --in-memory      the pure engine only, no runtime

Example:
  samskapa demo --places 50`,
  run: runDemo,
};

async function runDemo(args: Parsed): Promise<number> {
  localOnly(args, 'demo');
  const places = wholeNumber(args, 'places', 20, 1, 100_000);
  const parallel = wholeNumber(args, 'parallel', 4, 1, 64);
  const seed = Number(stringValue(args, 'seed') ?? '2026');
  if (!Number.isFinite(seed)) throw new CliError('--seed must be a number', { exitCode: 2 });
  const options = { places, seed, org: stringValue(args, 'org') ?? 'org-demo' };
  // Loaded here: the runtime's modules are large, and the other commands do not need them.
  if (args.values['in-memory']) {
    const { demoInMemory } = await import('../demo/in-memory-run.ts');
    return (await demoInMemory(options)) ? 0 : 1;
  }
  const { demoOnRuntime } = await import('../demo/runtime-run.ts');
  try {
    return (await demoOnRuntime({ ...options, data: localDataDir(args), parallel })) ? 0 : 1;
  } catch (error) {
    throw new CliError(`the demo stopped: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
