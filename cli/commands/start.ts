/**
 * `samskapa start`: the same as `npm start` (local/start.ts), in this process, so Ctrl-C and even
 * `kill -9` stop the whole runtime as they do there.
 */
import { fileURLToPath } from 'node:url';
import { type Command, type Parsed, stringValue, wholeNumber } from '../core/command.ts';
import { localDataDir, localOnly } from '../core/target.ts';

export const startCommand: Command = {
  name: 'start',
  summary: 'Run the whole pipeline on this machine (the same as npm start)',
  usage: 'samskapa start [--data DIR] [--api-port PORT]',
  options: { data: { type: 'string' }, 'api-port': { type: 'string' }, stack: { type: 'string' } },
  help: `Starts DynamoDB Local, S3, SES, Scheduler, EventBridge, the pipeline functions, the outbox pipe
and the HTTP API, prints their endpoints and writes them to <data>/endpoints.json, where the other
commands find them. Ctrl-C stops everything; the data stays in <data>.

  --data DIR       where the data lives (default .samskapa)
  --api-port PORT  a fixed port for the API (default: a free one)

Example:
  samskapa start --data /tmp/samskapa-try`,
  run: runStart,
};

async function runStart(args: Parsed): Promise<number> {
  localOnly(args, 'start');
  const port =
    stringValue(args, 'api-port') === undefined ? undefined : wholeNumber(args, 'api-port', 0, 1, 65535);
  const script = fileURLToPath(new URL('../../local/start.ts', import.meta.url));
  // local/start.ts reads its options from process.argv, as `npm start -- --data DIR` passes them.
  process.argv = [
    process.argv[0] as string,
    script,
    '--data',
    localDataDir(args),
    ...(port === undefined ? [] : ['--api-port', String(port)]),
  ];
  await import('../../local/start.ts');
  // The runtime runs until Ctrl-C; local/start.ts stops it and exits.
  return new Promise<number>(() => {});
}
