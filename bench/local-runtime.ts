/**
 * `npm run bench`: the local runtime's figures, each beside a baseline measured in the same run so
 * the ratio means something on a noisy machine. Writes bench/results/<date>-<revision>.{json,md}
 * and the table in the README.
 *   - startup: `npm start` to ready, against DynamoDB Local alone;
 *   - bus: PutEvents -> target start, throughput and p50/p99 at 200 events/s, against the raw
 *     DynamoDB Local PutItem rate;
 *   - outbox: TransactWriteItems commit -> target start, p50/p99.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { defineTopology, PIPELINE_BUS } from '../functions/topology.ts';
import { startLocalCloud } from '../local/cloud.ts';
import { startDynamoDb } from '../local/dynamodb/index.ts';
import { machine, median, percentile, recordResults, round } from './stats.ts';

const root = new URL('../', import.meta.url);
const rootPath = root.pathname;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();

async function startupOfNpmStart(): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'samskapa-bench-'));
  const began = now();
  const child = spawn(process.execPath, ['local/start.ts', '--data', dataDir], {
    cwd: rootPath,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.includes('Endpoints as JSON')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`npm start exited with ${code}`)));
  });
  const ms = now() - began;
  child.kill('SIGINT');
  await new Promise((resolve) => child.on('exit', resolve));
  rmSync(dataDir, { recursive: true, force: true });
  return ms;
}

async function dynamoDbAloneStartup(): Promise<number> {
  const began = now();
  const dynamodb = await startDynamoDb({});
  const ms = now() - began;
  await dynamodb.stop();
  return ms;
}

async function putItemRate(endpoint: string, table: string, items = 2000, concurrency = 8): Promise<number> {
  const client = new DynamoDBClient({
    endpoint,
    region: 'eu-north-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  let next = 0;
  const began = now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items) {
        const i = next++;
        await client.send(
          new PutItemCommand({ TableName: table, Item: { pk: { S: `BENCH#${i}` }, sk: { S: 'X' } } }),
        );
      }
    }),
  );
  return items / ((now() - began) / 1000);
}

async function main() {
  const info = machine();
  console.log(
    `samskapa local runtime benchmark — ${info.cpu}, ${info.cores} cores, Node ${info.node}, ${info.revision}`,
  );

  const startups: number[] = [];
  const dynamoStartups: number[] = [];
  for (let i = 0; i < 3; i++) {
    dynamoStartups.push(await dynamoDbAloneStartup());
    startups.push(await startupOfNpmStart());
  }
  console.log(
    `startup: npm start ${round(median(startups))} ms, DynamoDB Local alone ${round(median(dynamoStartups))} ms`,
  );

  const latencyFile = join(mkdtempSync(join(tmpdir(), 'samskapa-bench-')), 'latency.txt');
  const topology = defineTopology([
    {
      name: 'benchTarget',
      description: 'No-op target that notes delivery latency',
      entry: 'functions/latency-target.ts',
      triggers: [
        {
          kind: 'event',
          rule: 'bench-target',
          bus: PIPELINE_BUS,
          pattern: { 'detail-type': ['Bench.Ping'] },
        },
      ],
      environment: { BENCH_LATENCY_FILE: latencyFile },
    },
  ]);
  // Entries are relative to bench/, as the real ones are to the repository root.
  const cloud = await startLocalCloud({ topology, root: join(rootPath, 'bench') });
  try {
    const baselinePutItem = await putItemRate(cloud.endpoints.dynamodb, cloud.endpoints.table);
    console.log(`baseline: DynamoDB Local PutItem ${round(baselinePutItem, 0)}/s`);

    const readLatencies = () => readFileSync(latencyFile, 'utf8').split('\n').filter(Boolean).map(Number);
    const waitFor = async (count: number) => {
      while (
        (() => {
          try {
            return readLatencies().length;
          } catch {
            return 0;
          }
        })() < count
      )
        await sleep(20);
    };
    const ping = (n: number) =>
      Array.from({ length: n }, () => ({
        EventBusName: PIPELINE_BUS,
        Source: 'samskapa.bench',
        DetailType: 'Bench.Ping',
        Detail: JSON.stringify({ sentAt: now() }),
      }));

    // Warm up the sandboxes, then a burst for throughput.
    await cloud.eventBridge.putEvents(ping(10));
    await waitFor(10);
    writeFileSync(latencyFile, '');
    const burst = 2000;
    const burstBegan = now();
    for (let sent = 0; sent < burst; sent += 10) await cloud.eventBridge.putEvents(ping(10));
    await waitFor(burst);
    const throughput = burst / ((now() - burstBegan) / 1000);
    console.log(`bus: ${round(throughput, 0)} events/s PutEvents -> target start`);

    // Paced at 200 events/s for 10 s: delivery latency.
    writeFileSync(latencyFile, '');
    const paced = 2000;
    const pacedBegan = now();
    for (let sent = 0; sent < paced; sent += 2) {
      const due = pacedBegan + (sent / 200) * 1000;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
      await cloud.eventBridge.putEvents(ping(2));
    }
    await waitFor(paced);
    const latencies = readLatencies();
    const bus = { p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
    console.log(`bus at 200 events/s: p50 ${round(bus.p50, 2)} ms, p99 ${round(bus.p99, 2)} ms`);

    const outbox = await outboxLatency(cloud, latencyFile, readLatencies, waitFor);
    if (outbox)
      console.log(`outbox: commit -> target p50 ${round(outbox.p50, 1)} ms, p99 ${round(outbox.p99, 1)} ms`);

    const results = {
      machine: info,
      startup: {
        npmStartMs: round(median(startups)),
        dynamoDbAloneMs: round(median(dynamoStartups)),
        runs: startups.length,
      },
      baseline: { dynamoDbPutItemPerSecond: round(baselinePutItem, 0) },
      bus: {
        throughputPerSecond: round(throughput, 0),
        at200PerSecond: { p50Ms: round(bus.p50, 2), p99Ms: round(bus.p99, 2), events: latencies.length },
      },
      ...(outbox
        ? { outbox: { p50Ms: round(outbox.p50, 1), p99Ms: round(outbox.p99, 1), events: outbox.count } }
        : {}),
    };
    writeResults(results);
  } finally {
    await cloud.stop();
  }
}

async function outboxLatency(
  cloud: Awaited<ReturnType<typeof startLocalCloud>>,
  latencyFile: string,
  read: () => number[],
  waitFor: (n: number) => Promise<void>,
): Promise<{ p50: number; p99: number; count: number } | undefined> {
  if (!('outboxPipe' in cloud)) return undefined;
  const client = new DynamoDBClient({
    endpoint: cloud.endpoints.dynamodb,
    region: 'eu-north-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
  writeFileSync(latencyFile, '');
  const count = 200;
  for (let i = 0; i < count; i++) {
    const item = (sk: string) => ({
      pk: { S: `ORG#bench#PROC#p${i % 10}` },
      sk: { S: sk },
      itemType: { S: 'outbox' },
      source: { S: 'samskapa.bench' },
      detailType: { S: 'Bench.Ping' },
      detail: { S: JSON.stringify({ sentAt: now() }) },
      expiresAt: { N: String(Math.floor(Date.now() / 1000) + 3600) },
    });
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [{ Put: { TableName: cloud.endpoints.table, Item: item(`OUTBOX#${i}`) } }],
      }),
    );
    await sleep(20);
  }
  await waitFor(count);
  const latencies = read();
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), count: latencies.length };
}

function writeResults(results: Record<string, unknown> & { machine: ReturnType<typeof machine> }) {
  const r = results as unknown as {
    startup: { npmStartMs: number; dynamoDbAloneMs: number };
    baseline: { dynamoDbPutItemPerSecond: number };
    bus: { throughputPerSecond: number; at200PerSecond: { p50Ms: number; p99Ms: number } };
    outbox?: { p50Ms: number; p99Ms: number };
  };
  const table = [
    `Local runtime, ${results.machine.date.slice(0, 10)}, revision ${results.machine.revision}, ${results.machine.cpu} (${results.machine.cores} cores), Node ${results.machine.node}:`,
    '',
    '| Figure | Result | Baseline in the same run |',
    '| --- | --- | --- |',
    `| \`npm start\` to ready | ${r.startup.npmStartMs} ms | DynamoDB Local alone: ${r.startup.dynamoDbAloneMs} ms |`,
    `| Bus throughput, PutEvents -> target start | ${r.bus.throughputPerSecond} events/s | DynamoDB Local PutItem: ${r.baseline.dynamoDbPutItemPerSecond}/s |`,
    `| Bus latency at 200 events/s | p50 ${r.bus.at200PerSecond.p50Ms} ms, p99 ${r.bus.at200PerSecond.p99Ms} ms | target: p99 <= 50 ms |`,
    ...(r.outbox
      ? [
          `| Outbox: commit -> target start | p50 ${r.outbox.p50Ms} ms, p99 ${r.outbox.p99Ms} ms | the pipe polls the stream every 150 ms |`,
        ]
      : []),
  ].join('\n');
  const stamp = recordResults('local-runtime', results, table);
  console.log(`\n${table}\n\nWritten to bench/results/local-runtime-${stamp}.{json,md}`);
}

await main();
