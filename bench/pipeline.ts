import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { demoPlaces, seededRandom } from '../cli/demo/content.ts';
import { DEMO_FACILITATOR, runPlaceScript } from '../cli/demo/place-script.ts';
import { apiHooks, httpCaller } from '../cli/demo/through-api.ts';
import { topology } from '../functions/topology.ts';
import { startLocalCloud } from '../local/cloud.ts';
import { startDynamoDbMeter } from './dynamodb-meter.ts';
import { machine, percentile, recordResults, round } from './stats.ts';

const PLACES = Number(process.env.BENCH_PLACES ?? 50);
const PARALLEL = 4;
const _root = new URL('../', import.meta.url).pathname;

/** List prices used, USD; eu-north-1 where AWS publishes it, stated so the figure can be redone. */
export const prices = {
  date: '2026-11-22',
  region: 'eu-north-1',
  eventBridgeCustomEventsPerMillion: 1.0,
  pipesRequestsPerMillion: 0.4,
  lambdaRequestsPerMillion: 0.2,
  lambdaArmGbSecond: 0.0000133334,
  dynamoDbWriteRequestUnitsPerMillion: 0.6625,
  dynamoDbReadRequestUnitsPerMillion: 0.1325,
  sesPerThousandEmails: 0.1,
  httpApiRequestsPerMillion: 1.0,
  s3PutPerThousand: 0.005,
  s3GetPerThousand: 0.0004,
  s3StandardGbMonth: 0.023,
  note: 'On-demand and request prices as published by AWS (DynamoDB after the November 2024 reduction); verify before quoting.',
};

async function main() {
  const info = machine();
  const meter = await startDynamoDbMeter();
  const cloud = await startLocalCloud({ functionEnvironment: { AWS_ENDPOINT_URL_DYNAMODB: meter.endpoint } });
  meter.target = cloud.endpoints.dynamodb;
  const memory = new Map(topology.map((fn) => [fn.name, fn.memoryMb]));
  const invocations = { count: 0, gbSeconds: 0, byFunction: {} as Record<string, number> };
  cloud.lambda.on('invocation', (record) => {
    invocations.count++;
    invocations.byFunction[record.functionName] = (invocations.byFunction[record.functionName] ?? 0) + 1;
    invocations.gbSeconds += ((memory.get(record.functionName) ?? 512) / 1024) * (record.durationMs / 1000);
  });
  const events = { received: 0, fromOutbox: 0 };
  cloud.eventBridge.deliveryLog.on('record', (record) => {
    if (record.message_type !== 'EVENT_RECEIPT') return;
    events.received++;
  });
  let httpRequests = 0;
  const counted = (caller: ReturnType<typeof httpCaller>) => ({
    call: <T>(method: string, path: string, body?: unknown) => {
      httpRequests++;
      return caller.call<T>(method, path, body);
    },
  });

  try {
    const org = 'org-bench';
    const coordinator = counted(
      httpCaller(
        cloud.endpoints.api,
        await cloud.issueToken({ orgId: org, role: 'coordinator', sub: 'u-bench' }),
      ),
    );
    const facilitator = counted(
      httpCaller(
        cloud.endpoints.api,
        await cloud.issueToken({ orgId: org, role: 'facilitator', sub: DEMO_FACILITATOR }),
      ),
    );
    await coordinator.call('POST', '/users', {
      userId: DEMO_FACILITATOR,
      name: 'Frida',
      email: 'frida@bench.example',
      locale: 'sv',
      role: 'facilitator',
    });

    // Baseline in the same run: the API's own round trip.
    const roundTrips: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t = performance.now();
      await fetch(`${cloud.endpoints.api}/openapi.json`);
      roundTrips.push(performance.now() - t);
    }

    meter.reset();
    httpRequests = 0;
    const random = seededRandom(7);
    const places = demoPlaces(PLACES);
    const closedAt = new Map<string, number>();
    const processIds: string[] = [];
    let next = 0;
    const began = performance.now();
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < places.length) {
          const place = places[next++];
          if (!place) break;
          const hooks = apiHooks({ coordinator, facilitator }, place);
          await runPlaceScript(place, place.placeId, random, {
            ...hooks,
            command: async (body) => {
              if (body.type === 'closeWorkshop') closedAt.set(place.placeId, Date.now());
              await hooks.command(body);
            },
          });
          processIds.push(hooks.processId());
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 2000)); // the last emails and reminders
    const seconds = (performance.now() - began) / 1000;

    const latencies: number[] = [];
    let emails = 0;
    let outboxEvents = 0;
    for (const id of processIds) {
      const { items } = await facilitator.call<{
        items: {
          metadata: { type: string; occurredAt: string; placeId: string };
          data: { template?: string };
        }[];
      }>('GET', `/processes/${id}/timeline`);
      const sent = items.filter((e) => e.metadata.type === 'Notification.Sent');
      emails += sent.length;
      outboxEvents += items.length;
      const results = sent.find((e) => e.data.template === 'resultsReady');
      const closed = closedAt.get(items[0]?.metadata.placeId ?? '');
      if (results && closed) latencies.push(Date.parse(results.metadata.occurredAt) - closed);
    }
    const s3 = new S3Client({
      endpoint: cloud.endpoints.s3,
      region: cloud.endpoints.region,
      forcePathStyle: true,
      credentials: { accessKeyId: 'samskapalocal', secretAccessKey: 'samskapalocal' },
    });
    let objects = 0;
    let bytes = 0;
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: cloud.endpoints.bucket, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) {
        objects++;
        bytes += object.Size ?? 0;
      }
      token = page.NextContinuationToken;
    } while (token);

    const per = (n: number) => n / PLACES;
    const perPlace = {
      dynamoDbWriteUnits: round(per(meter.totals.writeUnits), 1),
      dynamoDbReadUnits: round(per(meter.totals.readUnits), 1),
      lambdaInvocations: round(per(invocations.count), 1),
      lambdaGbSeconds: round(per(invocations.gbSeconds), 2),
      busEvents: round(per(events.received), 1),
      // Every event kept in the timeline went through the outbox pipe once.
      pipeEvents: round(per(outboxEvents), 1),
      emails: round(per(emails), 1),
      httpRequests: round(per(httpRequests), 1),
      s3Objects: round(per(objects), 1),
      s3Megabytes: round(per(bytes) / 1e6, 3),
    };
    const cost =
      (perPlace.busEvents * prices.eventBridgeCustomEventsPerMillion) / 1e6 +
      (perPlace.pipeEvents * prices.pipesRequestsPerMillion) / 1e6 +
      (perPlace.lambdaInvocations * prices.lambdaRequestsPerMillion) / 1e6 +
      perPlace.lambdaGbSeconds * prices.lambdaArmGbSecond +
      (perPlace.dynamoDbWriteUnits * prices.dynamoDbWriteRequestUnitsPerMillion) / 1e6 +
      (perPlace.dynamoDbReadUnits * prices.dynamoDbReadRequestUnitsPerMillion) / 1e6 +
      (perPlace.emails * prices.sesPerThousandEmails) / 1e3 +
      (perPlace.httpRequests * prices.httpApiRequestsPerMillion) / 1e6 +
      (perPlace.s3Objects * prices.s3PutPerThousand) / 1e3 +
      (perPlace.s3Megabytes / 1000) * prices.s3StandardGbMonth * 12;
    const results = {
      machine: info,
      places: PLACES,
      elapsedSeconds: round(seconds, 1),
      perPlace,
      perStageTransition: {
        transactions: meter.stageTransitions.count,
        dynamoDbWriteUnits: round(
          meter.stageTransitions.writeUnits / Math.max(1, meter.stageTransitions.count),
          1,
        ),
      },
      lambdaInvocationsByFunction: Object.fromEntries(
        Object.entries(invocations.byFunction).map(([k, v]) => [k, round(v / PLACES, 1)]),
      ),
      costPerPlaceProcessUsd: round(cost, 5),
      costNote:
        'Lambda GB-seconds measured locally (worker threads on a 2-core machine), so an upper bound; S3 storage priced for a year',
      prices,
      latency: {
        closeWorkshopToResultsEmail: {
          p50Ms: round(percentile(latencies, 50), 0),
          p99Ms: round(percentile(latencies, 99), 0),
          samples: latencies.length,
        },
        baselineApiRoundTrip: {
          p50Ms: round(percentile(roundTrips, 50), 1),
          p99Ms: round(percentile(roundTrips, 99), 1),
        },
      },
    };
    const l = results.latency;
    const table = [
      `Pipeline, ${info.date.slice(0, 10)}, revision ${info.revision}, ${info.cpu} (${info.cores} cores), ${PLACES} places, ${PARALLEL} at a time:`,
      '',
      '| Figure | Result | Baseline in the same run |',
      '| --- | --- | --- |',
      `| Close workshop -> results email accepted | p50 ${l.closeWorkshopToResultsEmail.p50Ms} ms, p99 ${l.closeWorkshopToResultsEmail.p99Ms} ms | API round trip p50 ${l.baselineApiRoundTrip.p50Ms} ms, p99 ${l.baselineApiRoundTrip.p99Ms} ms |`,
      `| DynamoDB per place-process | ${perPlace.dynamoDbWriteUnits} WRU, ${perPlace.dynamoDbReadUnits} RRU | per stage transition: ${results.perStageTransition.dynamoDbWriteUnits} WRU |`,
      `| Lambda per place-process | ${perPlace.lambdaInvocations} invocations, ${perPlace.lambdaGbSeconds} GB-s (local, an upper bound) | |`,
      `| Per place-process | ${perPlace.busEvents} bus events, ${perPlace.emails} emails, ${perPlace.httpRequests} API requests | |`,
      `| AWS cost per place-process | $${results.costPerPlaceProcessUsd} | prices of ${prices.date}, ${prices.region}: bench/pipeline.ts |`,
    ].join('\n');
    recordResults('pipeline', results, table);
    console.log(JSON.stringify(results, null, 2));
    console.log(`\n${table}`);
  } finally {
    await cloud.stop();
    await meter.stop();
  }
}

await main();
