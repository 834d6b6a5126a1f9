/**
 * Every event on the pipeline bus is archived; StartReplay sends a time window of the archive back to
 * the rules (all, or those in FilterArns) with `replay-name` set, and the archive outlives a restart.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateArchiveCommand,
  DescribeArchiveCommand,
  DescribeReplayCommand,
  EventBridgeClient,
  ListArchivesCommand,
  ListReplaysCommand,
  PutEventsCommand,
  type PutEventsRequestEntry,
  PutRuleCommand,
  PutTargetsCommand,
  ResourceAlreadyExistsException,
  ResourceNotFoundException,
  StartReplayCommand,
} from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PIPELINE_BUS, type Topology } from '../../functions/topology.ts';
import { ManualClock } from '../../local/clock.ts';
import { type LocalEventBridge, startEventBridge } from '../../local/eventbridge/service.ts';
import { type LambdaHost, startLambdaHost } from '../../local/lambda/host.ts';
import {
  eventually,
  fixtureRoot,
  fixtureTopology,
  readCalls,
  SOURCE,
  without,
} from '../fixtures/functions/harness.ts';

const BUS_ARN = 'arn:aws:events:eu-north-1:000000000000:event-bus/samskapa';
const ARCHIVE_ARN = 'arn:aws:events:eu-north-1:000000000000:archive/samskapa';

let dir: string;
let dataDir: string;
let clock: ManualClock;
let topology: Topology;
let host: LambdaHost | undefined;
let bus: LocalEventBridge | undefined;
let client: EventBridgeClient | undefined;

async function start(): Promise<EventBridgeClient> {
  host = await startLambdaHost({
    topology: without(topology, 'ghostFunction'),
    root: fixtureRoot,
    clock,
    dataDir,
  });
  bus = await startEventBridge({ lambda: host, topology, clock, dataDir });
  client = new EventBridgeClient({
    endpoint: bus.endpoint,
    region: 'eu-north-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return client;
}

async function stop(): Promise<void> {
  client?.destroy();
  await bus?.stop();
  await host?.stop();
  client = undefined;
  bus = undefined;
  host = undefined;
}

const entry = (detailType: string, detail: object): PutEventsRequestEntry => ({
  EventBusName: PIPELINE_BUS,
  Source: SOURCE,
  DetailType: detailType,
  Detail: JSON.stringify(detail),
});

async function waitForReplay(api: EventBridgeClient, name: string) {
  for (;;) {
    const replay = await api.send(new DescribeReplayCommand({ ReplayName: name }));
    if (replay.State === 'COMPLETED' || replay.State === 'FAILED') return replay;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'samskapa-archive-'));
  dataDir = join(dir, 'data');
  clock = new ManualClock('2026-03-02T09:00:00.000Z');
  topology = fixtureTopology({ recordDir: dir });
});

afterEach(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('archive and replay', () => {
  it('replays an archived time window to the rules again, with replay-name set, and only to FilterArns when given', async () => {
    const api = await start();
    const first = await api.send(
      new PutEventsCommand({ Entries: [entry('Workshop.Closed', { workshopId: 'w-early' })] }),
    );
    clock.advance(10 * 60_000);
    await api.send(
      new PutEventsCommand({
        Entries: [entry('Workshop.Closed', { workshopId: 'w-late' }), entry('Nobody.Listens', { n: 1 })],
      }),
    );
    await eventually(() => readCalls(dir, 'recordCalls').length === 2);

    const archive = await api.send(new DescribeArchiveCommand({ ArchiveName: PIPELINE_BUS }));
    expect(archive).toMatchObject({
      ArchiveArn: ARCHIVE_ARN,
      EventSourceArn: BUS_ARN,
      State: 'ENABLED',
      EventCount: 3,
    });
    expect(
      readFileSync(join(dataDir, 'archive', 'samskapa.jsonl'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(3);

    // A second rule on the same events, so that FilterArns has something to leave out.
    await api.send(
      new PutRuleCommand({
        Name: 'sink-workshops',
        EventBusName: PIPELINE_BUS,
        EventPattern: JSON.stringify({ 'detail-type': ['Workshop.Closed'] }),
      }),
    );
    await api.send(
      new PutTargetsCommand({
        Rule: 'sink-workshops',
        EventBusName: PIPELINE_BUS,
        Targets: [{ Id: 'sink', Arn: 'arn:aws:lambda:eu-north-1:000000000000:function:burstSink' }],
      }),
    );

    const started = await api.send(
      new StartReplayCommand({
        ReplayName: 'morning',
        EventSourceArn: ARCHIVE_ARN,
        EventStartTime: new Date('2026-03-02T08:59:00Z'),
        EventEndTime: new Date('2026-03-02T09:05:00Z'),
        Destination: {
          Arn: BUS_ARN,
          FilterArns: ['arn:aws:events:eu-north-1:000000000000:rule/samskapa/record-workshop-closed'],
        },
      }),
    );
    expect(started.State).toBe('STARTING');
    const done = await waitForReplay(api, 'morning');
    expect(done).toMatchObject({
      State: 'COMPLETED',
      EventLastReplayedTime: new Date('2026-03-02T09:00:00Z'),
      ReplayStartTime: new Date('2026-03-02T09:10:00Z'),
    });

    const calls = await eventually(() => {
      const found = readCalls(dir, 'recordCalls');
      return found.length === 3 && found;
    });
    expect(calls[2]?.event).toMatchObject({
      id: first.Entries?.[0]?.EventId,
      detail: { workshopId: 'w-early' },
      'replay-name': 'morning',
      time: '2026-03-02T09:00:00Z',
    });
    await host?.idle();
    expect(readCalls(dir, 'burstSink')).toEqual([]); // filtered out of the replay
    // Replays are not archived again.
    expect((await api.send(new DescribeArchiveCommand({ ArchiveName: PIPELINE_BUS }))).EventCount).toBe(3);

    // Without FilterArns every rule gets the window again.
    await api.send(
      new StartReplayCommand({
        ReplayName: 'morning-to-all',
        EventSourceArn: ARCHIVE_ARN,
        EventStartTime: new Date('2026-03-02T08:59:00Z'),
        EventEndTime: new Date('2026-03-02T09:05:00Z'),
        Destination: { Arn: BUS_ARN },
      }),
    );
    await waitForReplay(api, 'morning-to-all');
    await eventually(
      () => readCalls(dir, 'recordCalls').length === 4 && readCalls(dir, 'burstSink').length === 1,
    );
    expect(readCalls(dir, 'burstSink')[0]?.event).toMatchObject({ 'replay-name': 'morning-to-all' });
    const replays = await api.send(new ListReplaysCommand({}));
    expect(replays.Replays?.map((replay) => [replay.ReplayName, replay.State])).toEqual([
      ['morning', 'COMPLETED'],
      ['morning-to-all', 'COMPLETED'],
    ]);
  });

  it('keeps the archive across a restart with the same data directory and replays from it', async () => {
    let api = await start();
    await api.send(
      new PutEventsCommand({ Entries: [entry('Workshop.Closed', { workshopId: 'w-before-restart' })] }),
    );
    await eventually(() => readCalls(dir, 'recordCalls').length === 1);
    await stop();

    clock.advance(60 * 60_000);
    api = await start();
    const archives = await api.send(new ListArchivesCommand({}));
    expect(archives.Archives).toEqual([
      expect.objectContaining({ ArchiveName: PIPELINE_BUS, EventSourceArn: BUS_ARN, EventCount: 1 }),
    ]);
    await api.send(
      new StartReplayCommand({
        ReplayName: 'after-restart',
        EventSourceArn: ARCHIVE_ARN,
        EventStartTime: new Date('2026-03-02T00:00:00Z'),
        EventEndTime: new Date('2026-03-02T12:00:00Z'),
        Destination: { Arn: BUS_ARN },
      }),
    );
    await waitForReplay(api, 'after-restart');
    const calls = await eventually(() => {
      const found = readCalls(dir, 'recordCalls');
      return found.length === 2 && found;
    });
    expect(calls[1]?.event).toMatchObject({
      detail: { workshopId: 'w-before-restart' },
      'replay-name': 'after-restart',
    });
  });

  it('creates archives with a pattern through the API and rejects bad replays as AWS does', async () => {
    const api = await start();
    await api.send(
      new CreateArchiveCommand({
        ArchiveName: 'uploads',
        EventSourceArn: 'arn:aws:events:eu-north-1:000000000000:event-bus/default',
        EventPattern: JSON.stringify({ source: ['aws.s3'] }),
        RetentionDays: 30,
      }),
    );
    await bus?.putEvents([
      { Source: 'aws.s3', DetailType: 'Object Created', Detail: '{"bucket":{"name":"b"}}' },
      { Source: 'other.source', DetailType: 'Something', Detail: '{}' },
    ]);
    expect(await api.send(new DescribeArchiveCommand({ ArchiveName: 'uploads' }))).toMatchObject({
      EventCount: 1,
      RetentionDays: 30,
      EventPattern: '{"source":["aws.s3"]}',
    });

    await expect(
      api.send(new CreateArchiveCommand({ ArchiveName: 'uploads', EventSourceArn: BUS_ARN })),
    ).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
    const window = {
      EventStartTime: new Date('2026-03-02T08:00:00Z'),
      EventEndTime: new Date('2026-03-02T10:00:00Z'),
    };
    await expect(
      api.send(
        new StartReplayCommand({
          ReplayName: 'r',
          EventSourceArn: 'arn:aws:events:eu-north-1:000000000000:archive/missing',
          Destination: { Arn: BUS_ARN },
          ...window,
        }),
      ),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(
      api.send(
        new StartReplayCommand({
          ReplayName: 'r',
          EventSourceArn: ARCHIVE_ARN,
          Destination: { Arn: 'arn:aws:events:eu-north-1:000000000000:event-bus/default' },
          ...window,
        }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Cross event bus replay'),
    });
    await api.send(
      new StartReplayCommand({
        ReplayName: 'r',
        EventSourceArn: ARCHIVE_ARN,
        Destination: { Arn: BUS_ARN },
        ...window,
      }),
    );
    await expect(
      api.send(
        new StartReplayCommand({
          ReplayName: 'r',
          EventSourceArn: ARCHIVE_ARN,
          Destination: { Arn: BUS_ARN },
          ...window,
        }),
      ),
    ).rejects.toBeInstanceOf(ResourceAlreadyExistsException);
  });
});
