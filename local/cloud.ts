/**
 * The composition root of the local runtime: starts DynamoDB Local, S3, SES, Scheduler, EventBridge,
 * SQS (the failure queues), CloudWatch (the functions' metrics), the Lambda host, the outbox pipe and
 * the HTTP API, all wired from the same topology and table declaration that infra/ deploys. Functions
 * find everything through AWS_ENDPOINT_URL_* variables, exactly as the SDK reads them on AWS; nothing
 * in functions/ or shared/ knows it runs here.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  DEFAULT_BUS,
  FILES_BUCKET,
  PIPELINE_BUS,
  topology as pipelineTopology,
  RESOURCE_ENVIRONMENT,
  type Topology,
} from '../functions/topology.ts';
import { pipelineTable } from '../shared/store/table.ts';
import { type Clock, systemClock } from './clock.ts';
import { type LocalCloudWatch, startCloudWatch } from './cloudwatch/index.ts';
import { type ConsoleRoutes, consoleRoutes } from './console-routes.ts';
import { type DynamoDbLocal, ensureTable, startDynamoDb } from './dynamodb/index.ts';
import { type RedeliveryOptions, redeliveringInvoker } from './eventbridge/redelivery.ts';
import { type LocalEventBridge, startEventBridge } from './eventbridge/service.ts';
import { type HttpApi, startHttpApi } from './http-api/index.ts';
import { type LambdaHost, startLambdaHost } from './lambda/host.ts';
import { type OutboxPipe, startOutboxPipe } from './outbox-pipe/index.ts';
import { type FailureQueues, openFailureQueues } from './queues/failure-queues.ts';
import { type LocalS3, startS3 } from './s3/index.ts';
import { type LocalScheduler, startScheduler } from './scheduler/index.ts';
import { type LocalSes, startSes } from './ses/index.ts';
import { type LocalSqs, startSqs } from './sqs/index.ts';

export const LOCAL_REGION = 'eu-north-1';
export const LOCAL_ACCOUNT = '000000000000';
/** The sender of every local email; SES v2 locally accepts any. */
export const LOCAL_SENDER = 'samskapa@samskapa.local';
/**
 * The configuration set every local email is sent with, so the mailbox simulator's bounces and
 * complaints come back as events, through the same code path as on AWS.
 */
export const LOCAL_CONFIGURATION_SET = 'samskapa-local';

export interface LocalCloudOptions {
  /** Keep data (tables, files, emails, archive, queues) in this folder; in memory/temp when absent. */
  persist?: string;
  clock?: Clock;
  /** The functions to run; the pipeline's own by default. Tests pass fixtures. */
  topology?: Topology;
  /** Repository root the topology's entries are relative to. */
  root?: string;
  /** Function name -> esbuild bundle, to run the code exactly as deployed. */
  bundles?: Record<string, string>;
  /** Fixed ports; OS-chosen free ports when absent. */
  ports?: Partial<
    Record<'api' | 'eventbridge' | 's3' | 'dynamodb' | 'ses' | 'scheduler' | 'sqs' | 'cloudwatch', number>
  >;
  /** Serve these static files (the console) from the API's port. */
  staticRoot?: string;
  /** Variables that override what functions see (e.g. a benchmark's metering proxy in front of DynamoDB). */
  functionEnvironment?: Record<string, string>;
  /** Deliver every bus event several times, each after a random delay (tests of exactly-once effects). */
  redelivery?: RedeliveryOptions;
  /** Async retry waits of the Lambda host (AWS: about 1 and 2 minutes). */
  retryDelaysMs?: readonly number[];
  log?: (message: string) => void;
}

/** What other tools need to find the runtime; also written to `<persist>/endpoints.json`. */
export interface Endpoints {
  api: string;
  console: string;
  eventbridge: string;
  s3: string;
  dynamodb: string;
  dynamodbStreams: string;
  ses: string;
  scheduler: string;
  lambda: string;
  /** The failure queues (rule DLQs, functions' on-failure destinations) through the SQS JSON protocol. */
  sqs: string;
  /** The functions' AWS/Lambda metrics (GetMetricData), from the Lambda host's invocations. */
  cloudwatch: string;
  region: string;
  bus: string;
  bucket: string;
  table: string;
  dataDir: string | null;
}

export interface LocalCloud {
  endpoints: Endpoints;
  /** The variables a process needs to talk to the runtime with the unchanged AWS SDK or CLI. */
  environment: Record<string, string>;
  dynamodb: DynamoDbLocal;
  s3: LocalS3;
  ses: LocalSes;
  scheduler: LocalScheduler;
  eventBridge: LocalEventBridge;
  sqs: LocalSqs;
  cloudWatch: LocalCloudWatch;
  lambda: LambdaHost;
  outboxPipe: OutboxPipe;
  httpApi: HttpApi;
  failureQueues: FailureQueues;
  /** The console's in-process routes: config, development sign-in, event stream, unmatched events, emails. */
  console: ConsoleRoutes;
  /** A development token for the HTTP API (what `npm run token` prints). */
  issueToken(claims: { orgId: string; role: string; sub?: string }): Promise<string>;
  /** Milliseconds from the call to ready. */
  startupMs: number;
  stop(): Promise<void>;
}

export async function startLocalCloud(options: LocalCloudOptions = {}): Promise<LocalCloud> {
  const began = performance.now();
  const clock = options.clock ?? systemClock;
  const topology = options.topology ?? pipelineTopology;
  const dataDir = options.persist;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const log = options.log ?? (() => {});
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error) => log(`stop failed: ${String(error)}`));
  };

  try {
    const failureQueues = openFailureQueues({ ...(dataDir ? { dir: join(dataDir, 'queues') } : {}), clock });
    stops.push(async () => failureQueues.close());

    // The services that do not depend on each other start together; DynamoDB Local (a JVM) is the slowest.
    // Late binding: S3 and Scheduler publish to the bus, and the bus invokes the Lambda host, which starts
    // last because every function's environment needs every endpoint.
    let bus: LocalEventBridge | undefined;
    let host: LambdaHost | undefined;
    const requireBus = () => {
      if (!bus) throw new Error('the local EventBridge is not running');
      return bus;
    };
    const requireHost = () => {
      if (!host) throw new Error('the Lambda host is not running');
      return host;
    };

    const publicRoutes = topology.flatMap((fn) =>
      fn.triggers.flatMap((t) => (t.kind === 'http' && t.auth === 'none' ? [`${t.method} ${t.path}`] : [])),
    );
    // Every queue the stack creates on AWS exists locally before anything failed: one per function, one
    // per rule (the names are the AWS names without the stack's `samskapa-<stage>-` prefix).
    const declaredQueues = topology.flatMap((fn) => [
      `${fn.name}-failures`,
      ...fn.triggers.flatMap((t) => (t.kind === 'event' ? [`${t.rule}-dlq`] : [])),
    ]);
    const [dynamodb, s3, ses, scheduler, eventBridge, httpApi, sqs, cloudWatch] = await Promise.all([
      startDynamoDb({
        ...(dataDir ? { dataDir: join(dataDir, 'dynamodb') } : {}),
        port: options.ports?.dynamodb ?? 0,
        log,
      }),
      startS3({
        buckets: [FILES_BUCKET],
        publish: async (entry) =>
          assertAccepted(await requireBus().putEvents([{ ...entry, EventBusName: DEFAULT_BUS }])),
        ...(dataDir ? { dataDir } : {}),
        port: options.ports?.s3 ?? 0,
        accountId: LOCAL_ACCOUNT,
        clock,
        log,
      }),
      startSes({
        // SES publishes to the account's default bus only, as S3 does.
        publish: async (entry) =>
          assertAccepted(await requireBus().putEvents([{ ...entry, EventBusName: DEFAULT_BUS }])),
        configurationSets: [LOCAL_CONFIGURATION_SET],
        ...(dataDir ? { dataDir } : {}),
        port: options.ports?.ses ?? 0,
        region: LOCAL_REGION,
        accountId: LOCAL_ACCOUNT,
        clock,
        log,
      }),
      startScheduler({
        putEvents: async (entry) => assertAccepted(await requireBus().putEvents([entry])),
        invoke: (functionName, event) => requireHost().invokeAsync(functionName, event),
        ...(dataDir ? { dataDir } : {}),
        port: options.ports?.scheduler ?? 0,
        region: LOCAL_REGION,
        accountId: LOCAL_ACCOUNT,
        clock,
        log,
      }),
      startEventBridge({
        lambda: options.redelivery
          ? redeliveringInvoker(
              { invokeAsync: (name, event) => requireHost().invokeAsync(name, event) },
              clock,
              options.redelivery,
            )
          : { invokeAsync: (name, event) => requireHost().invokeAsync(name, event) },
        topology,
        ...(dataDir ? { dataDir } : {}),
        clock,
        failureQueues,
        region: LOCAL_REGION,
        accountId: LOCAL_ACCOUNT,
        port: options.ports?.eventbridge ?? 0,
      }),
      startHttpApi({
        topology,
        invokeSync: (name, event) => requireHost().invokeSync(name, event),
        port: options.ports?.api ?? 0,
        ...(dataDir ? { keyDir: join(dataDir, 'auth') } : {}),
        publicRoutes,
        ...(options.staticRoot ? { staticRoot: options.staticRoot } : {}),
        clock,
        accountId: LOCAL_ACCOUNT,
        log,
      }),
      startSqs({
        failureQueues,
        declaredQueues,
        port: options.ports?.sqs ?? 0,
        region: LOCAL_REGION,
        accountId: LOCAL_ACCOUNT,
        clock,
        log,
      }),
      // Known before the host starts (every function's environment names it); fed by the host after.
      startCloudWatch({ port: options.ports?.cloudwatch ?? 0, clock, log }),
    ]);
    stops.push(
      () => dynamodb.stop(),
      () => s3.stop(),
      () => ses.stop(),
      () => scheduler.stop(),
      () => httpApi.stop(),
      () => sqs.stop(),
      () => cloudWatch.stop(),
    );
    bus = eventBridge;
    const operationsConsole = consoleRoutes({
      eventBridge,
      topology,
      sesDataDir: ses.dataDir,
      region: LOCAL_REGION,
      issuer: httpApi.issuer,
      issueToken: (claims) => httpApi.issueToken({ ...claims, sub: claims.sub ?? `dev-${claims.role}` }),
    });
    for (const route of operationsConsole.routes) httpApi.addRoute(route);
    stops.push(async () => operationsConsole.stop());
    const { tableName } = await ensureTable(dynamodb.endpoint, pipelineTable);

    const environment: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      // DynamoDB Local accepts access keys of letters and digits only.
      AWS_ACCESS_KEY_ID: 'samskapalocal',
      AWS_SECRET_ACCESS_KEY: 'samskapalocal',
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynamodb.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventBridge.endpoint,
      AWS_ENDPOINT_URL_SESV2: ses.endpoint,
      AWS_ENDPOINT_URL_SCHEDULER: scheduler.endpoint,
      AWS_ENDPOINT_URL_SQS: sqs.endpoint,
      AWS_ENDPOINT_URL_CLOUDWATCH: cloudWatch.endpoint,
      [RESOURCE_ENVIRONMENT.tableName]: tableName,
      [RESOURCE_ENVIRONMENT.bucketName]: FILES_BUCKET,
      [RESOURCE_ENVIRONMENT.eventBusName]: PIPELINE_BUS,
      [RESOURCE_ENVIRONMENT.publicApiUrl]: httpApi.endpoint,
      [RESOURCE_ENVIRONMENT.emailFrom]: LOCAL_SENDER,
      [RESOURCE_ENVIRONMENT.emailConfigurationSet]: LOCAL_CONFIGURATION_SET,
      [RESOURCE_ENVIRONMENT.scheduleGroup]: 'default',
      [RESOURCE_ENVIRONMENT.schedulerRoleArn]: `arn:aws:iam::${LOCAL_ACCOUNT}:role/samskapa-scheduler`,
    };
    host = await startLambdaHost({
      topology,
      ...(options.root ? { root: options.root } : {}),
      ...(options.bundles ? { bundles: options.bundles } : {}),
      environment: { ...environment, ...options.functionEnvironment },
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      clock,
      failureQueues,
      ...(dataDir ? { dataDir } : {}),
      ...(options.retryDelaysMs ? { retryDelaysMs: options.retryDelaysMs } : {}),
    });
    const lambda = host;
    lambda.on('invocation', (invocation) => cloudWatch.record(invocation));
    environment.AWS_ENDPOINT_URL_LAMBDA = lambda.endpoint;
    // The bus stops before the host so no delivery lands on a stopped host.
    stops.push(
      () => lambda.stop(),
      () => eventBridge.stop(),
    );

    // The outbox pipe: the table's stream to the pipeline bus, as the EventBridge Pipe does on AWS.
    const outboxPipe = await startOutboxPipe({
      endpoint: dynamodb.endpoint,
      tableName,
      eventBusName: PIPELINE_BUS,
      putEvents: async (entries) => (await eventBridge.putEvents(entries)).Entries ?? [],
      ...(dataDir ? { dataDir } : {}),
      clock,
      log,
    });
    stops.push(() => outboxPipe.stop());

    for (const fn of topology) {
      for (const trigger of fn.triggers) {
        if (trigger.kind === 'schedule') {
          scheduler.registerRecurring({
            name: trigger.name,
            expression: trigger.expression,
            functionName: fn.name,
          });
        }
      }
    }

    const endpoints: Endpoints = {
      api: httpApi.endpoint,
      console: options.staticRoot ? `${httpApi.endpoint}/` : '',
      eventbridge: eventBridge.endpoint,
      s3: s3.endpoint,
      dynamodb: dynamodb.endpoint,
      dynamodbStreams: dynamodb.endpoint,
      ses: ses.endpoint,
      scheduler: scheduler.endpoint,
      lambda: lambda.endpoint,
      sqs: sqs.endpoint,
      cloudwatch: cloudWatch.endpoint,
      region: LOCAL_REGION,
      bus: PIPELINE_BUS,
      bucket: FILES_BUCKET,
      table: tableName,
      dataDir: dataDir ?? null,
    };
    if (dataDir) writeFileSync(join(dataDir, 'endpoints.json'), `${JSON.stringify(endpoints, null, 2)}\n`);

    return {
      endpoints,
      environment,
      dynamodb,
      s3,
      ses,
      scheduler,
      eventBridge,
      sqs,
      cloudWatch,
      lambda,
      outboxPipe,
      httpApi,
      failureQueues,
      console: operationsConsole,
      issueToken: (claims) => httpApi.issueToken({ ...claims, sub: claims.sub ?? `dev-${claims.role}` }),
      startupMs: performance.now() - began,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

function assertAccepted(response: {
  FailedEntryCount?: number;
  Entries?: { ErrorCode?: string; ErrorMessage?: string }[];
}) {
  if (response.FailedEntryCount) {
    const failed = response.Entries?.find((e) => e.ErrorCode);
    throw new Error(`the bus refused the event: ${failed?.ErrorCode} ${failed?.ErrorMessage ?? ''}`.trim());
  }
}
