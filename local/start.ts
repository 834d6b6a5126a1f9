/**
 * `npm start`: the whole pipeline on this machine. Prints every endpoint, writes them to
 * .samskapa/endpoints.json for the CLI, the AWS CLI and scripts, and shuts down cleanly on Ctrl-C
 * (DynamoDB Local's JVM dies with this process even if it is killed outright).
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { buildConsole } from '../console/build.ts';
import { type Endpoints, startLocalCloud } from './cloud.ts';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: '.samskapa' },
    'api-port': { type: 'string' },
  },
});
const dataDir = resolve(values.data);

// The console is built on every start (under a second), so the page always matches the code.
const built = await buildConsole().catch((error: unknown) => {
  console.error(`the console could not be built: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

const cloud = await startLocalCloud({
  persist: dataDir,
  staticRoot: built.outdir,
  ...(values['api-port'] ? { ports: { api: Number(values['api-port']) } } : {}),
  log: (message) => console.error(`  · ${message}`),
}).catch((error: unknown) => {
  console.error(`samskapa could not start: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});

console.log(renderEndpoints(cloud.endpoints, cloud.startupMs));

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping samskapa…`);
  await cloud.stop();
  console.log('Stopped. Data kept in', dataDir);
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));

function renderEndpoints(endpoints: Endpoints, startupMs: number): string {
  const rows: [string, string][] = [
    ['API', endpoints.api || '(arrives with the pipeline functions)'],
    ['Console', endpoints.console],
    ['EventBridge', endpoints.eventbridge],
    ['S3', endpoints.s3],
    ['DynamoDB', endpoints.dynamodb],
    ['DynamoDB Streams', endpoints.dynamodbStreams],
    ['SES v2', endpoints.ses],
    ['Scheduler', endpoints.scheduler],
    ['Lambda (Invoke)', endpoints.lambda],
    ['SQS (failure queues)', endpoints.sqs],
    ['CloudWatch (metrics)', endpoints.cloudwatch],
    ['Region', endpoints.region],
    ['Bus', endpoints.bus],
    ['Bucket', endpoints.bucket],
    ['Table', endpoints.table],
    ['Data', endpoints.dataDir ?? '(in memory)'],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return [
    `samskapa is running (ready in ${(startupMs / 1000).toFixed(1)} s). Ctrl-C stops it.`,
    '',
    ...rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`),
    '',
    `Endpoints as JSON: ${endpoints.dataDir ? `${endpoints.dataDir}/endpoints.json` : '(not written)'}`,
    `AWS CLI: aws --endpoint-url ${endpoints.eventbridge} events list-rules --event-bus-name ${endpoints.bus}`,
  ].join('\n');
}
