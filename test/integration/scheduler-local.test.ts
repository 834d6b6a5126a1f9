/**
 * The local EventBridge Scheduler with the real SDK and a ManualClock: reminders scheduled by the
 * pipeline fire exactly when due, survive restarts, and bad requests get Scheduler's own errors.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListSchedulesCommand,
  SchedulerClient,
  UpdateScheduleCommand,
} from '@aws-sdk/client-scheduler';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../local/clock.ts';
import { type LocalScheduler, type ScheduledEvent, startScheduler } from '../../local/scheduler/index.ts';

const ACCOUNT = '123456789012';
const BUS_ARN = `arn:aws:events:eu-north-1:${ACCOUNT}:event-bus/samskapa`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/samskapa-scheduler`;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let dataDir: string;
const running: LocalScheduler[] = [];
const clients: SchedulerClient[] = [];

const start = async (options: {
  clock: ManualClock;
  putEvents?: (entry: ScheduledEvent) => unknown;
  invoke?: (functionName: string, event: unknown) => void;
  persist?: boolean;
}) => {
  const scheduler = await startScheduler({
    putEvents: options.putEvents ?? (() => undefined),
    ...(options.invoke ? { invoke: options.invoke } : {}),
    ...(options.persist === false ? {} : { dataDir }),
    clock: options.clock,
    accountId: ACCOUNT,
    log: () => undefined,
  });
  running.push(scheduler);
  const client = new SchedulerClient({
    region: 'eu-north-1',
    endpoint: scheduler.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  clients.push(client);
  return { scheduler, client };
};

const reminder = (
  name: string,
  expression: string,
  extra: Partial<CreateScheduleCommandInput> = {},
): CreateScheduleCommandInput => ({
  Name: name,
  ScheduleExpression: expression,
  FlexibleTimeWindow: { Mode: 'OFF' },
  Target: {
    Arn: BUS_ARN,
    RoleArn: ROLE_ARN,
    EventBridgeParameters: { Source: 'samskapa.pipeline', DetailType: 'Workshop.ReminderDue' },
    Input: JSON.stringify({ workshopId: 'ws-1', scheduledTime: '<aws.scheduler.scheduled-time>' }),
  },
  ...extra,
});

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'samskapa-scheduler-test-'));
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  for (const scheduler of running.splice(0)) await scheduler.stop();
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

describe('one-time schedules', () => {
  it('fires exactly once at the at() time, onto the event bus, and is deleted after (ActionAfterCompletion DELETE)', async () => {
    const clock = new ManualClock('2026-03-02T08:00:00Z');
    const events: ScheduledEvent[] = [];
    const { scheduler, client } = await start({
      clock,
      putEvents: (entry) => void events.push(entry),
      persist: false,
    });

    const { ScheduleArn } = await client.send(
      new CreateScheduleCommand(
        reminder('workshop-ws-1-reminder', 'at(2026-03-02T10:00:00)', { ActionAfterCompletion: 'DELETE' }),
      ),
    );
    expect(ScheduleArn).toBe(
      `arn:aws:scheduler:eu-north-1:${ACCOUNT}:schedule/default/workshop-ws-1-reminder`,
    );
    const stored = await client.send(new GetScheduleCommand({ Name: 'workshop-ws-1-reminder' }));
    expect(stored).toMatchObject({
      Arn: ScheduleArn,
      GroupName: 'default',
      ScheduleExpression: 'at(2026-03-02T10:00:00)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      ActionAfterCompletion: 'DELETE',
      CreationDate: new Date('2026-03-02T08:00:00Z'),
      Target: {
        Arn: BUS_ARN,
        RoleArn: ROLE_ARN,
        RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
      },
    });

    clock.advance(2 * HOUR - 1000);
    expect(events).toHaveLength(0);
    clock.advance(1000);
    await scheduler.idle();
    expect(events).toEqual([
      {
        EventBusName: 'samskapa',
        Source: 'samskapa.pipeline',
        DetailType: 'Workshop.ReminderDue',
        Detail: JSON.stringify({ workshopId: 'ws-1', scheduledTime: '2026-03-02T10:00:00Z' }),
        Resources: [ScheduleArn],
        Time: new Date('2026-03-02T10:00:00Z'),
      },
    ]);
    await expect(
      client.send(new GetScheduleCommand({ Name: 'workshop-ws-1-reminder' })),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Schedule workshop-ws-1-reminder does not exist.',
    });
    clock.advance(24 * HOUR);
    expect(events).toHaveLength(1);
    expect(scheduler.metrics()).toEqual({ fired: 1, delivered: 1, retried: 0, failed: 0 });
  });

  it('reads at() in the ScheduleExpressionTimezone', async () => {
    const clock = new ManualClock('2026-03-02T08:00:00Z');
    const events: ScheduledEvent[] = [];
    const { client } = await start({ clock, putEvents: (entry) => void events.push(entry), persist: false });
    // 10:00 in Stockholm (CET, UTC+1) is 09:00 UTC.
    await client.send(
      new CreateScheduleCommand(
        reminder('stockholm-morning', 'at(2026-03-02T10:00:00)', {
          ScheduleExpressionTimezone: 'Europe/Stockholm',
        }),
      ),
    );
    clock.advance(HOUR - 1000);
    expect(events).toHaveLength(0);
    clock.advance(1000);
    expect(events.map((e) => e.Time)).toEqual([new Date('2026-03-02T09:00:00Z')]);
    // ActionAfterCompletion NONE: it stays, and does not fire again.
    expect((await client.send(new GetScheduleCommand({ Name: 'stockholm-morning' }))).State).toBe('ENABLED');
    clock.advance(48 * HOUR);
    expect(events).toHaveLength(1);
  });

  it('survives a restart with the same dataDir; one that fell due while stopped fires at start', async () => {
    const clock = new ManualClock('2026-03-02T08:00:00Z');
    const events: ScheduledEvent[] = [];
    const first = await start({ clock, putEvents: (entry) => void events.push(entry) });
    await first.client.send(
      new CreateScheduleCommand(reminder('due-while-stopped', 'at(2026-03-02T09:00:00)')),
    );
    await first.client.send(
      new CreateScheduleCommand(reminder('due-after-restart', 'at(2026-03-02T12:00:00)')),
    );
    await first.scheduler.stop();
    const saved = JSON.parse(await readFile(path.join(dataDir, 'scheduler', 'schedules.json'), 'utf8'));
    expect(saved.schedules.map((s: { Name: string }) => s.Name).sort()).toEqual([
      'due-after-restart',
      'due-while-stopped',
    ]);

    clock.advance(2 * HOUR); // 10:00: nothing is running
    expect(events).toHaveLength(0);

    const second = await start({ clock, putEvents: (entry) => void events.push(entry) });
    expect(
      (await second.client.send(new GetScheduleCommand({ Name: 'due-after-restart' }))).ScheduleExpression,
    ).toBe('at(2026-03-02T12:00:00)');
    clock.advance(0);
    expect(events.map((e) => JSON.parse(e.Detail).scheduledTime)).toEqual(['2026-03-02T09:00:00Z']);
    clock.advance(2 * HOUR);
    expect(events.map((e) => JSON.parse(e.Detail).scheduledTime)).toEqual([
      '2026-03-02T09:00:00Z',
      '2026-03-02T12:00:00Z',
    ]);
    await second.scheduler.stop();

    // Fired one-time schedules are remembered as fired: a third start fires nothing again.
    const third = await start({ clock, putEvents: (entry) => void events.push(entry) });
    clock.advance(HOUR);
    expect(events).toHaveLength(2);
    await third.client.send(new DeleteScheduleCommand({ Name: 'due-while-stopped' }));
    await third.client.send(new DeleteScheduleCommand({ Name: 'due-after-restart' }));
  });
});

describe('recurring schedules', () => {
  it('a topology rate() schedule invokes its function with the Scheduler payload at every interval', async () => {
    const clock = new ManualClock('2026-03-02T08:00:00Z');
    const invocations: [string, unknown][] = [];
    const { scheduler, client } = await start({
      clock,
      invoke: (name, event) => void invocations.push([name, event]),
      persist: false,
    });
    const arn = scheduler.registerRecurring({
      name: 'follow-up-plans',
      expression: 'rate(1 hour)',
      functionName: 'followUpPlans',
    });

    clock.advance(3 * HOUR);
    expect(invocations).toEqual(
      ['09', '10', '11'].map((hour) => [
        'followUpPlans',
        {
          scheduleArn: arn,
          scheduledTime: `2026-03-02T${hour}:00:00Z`,
          executionId: expect.stringMatching(/^[0-9a-f]{16}$/),
          attemptNumber: '1',
        },
      ]),
    );
    const listed = await client.send(new ListSchedulesCommand({}));
    expect(listed.Schedules?.map((s) => [s.Name, s.Target?.Arn])).toEqual([
      ['follow-up-plans', `arn:aws:lambda:eu-north-1:${ACCOUNT}:function:followUpPlans`],
    ]);
  });

  it('cron() follows the wall clock of its time zone', async () => {
    const clock = new ManualClock('2026-03-27T12:00:00Z'); // a Friday; DST starts in Stockholm on Sunday the 29th
    const events: ScheduledEvent[] = [];
    const { client } = await start({ clock, putEvents: (entry) => void events.push(entry), persist: false });
    await client.send(
      new CreateScheduleCommand(
        reminder('weekday-digest', 'cron(0 8 ? * MON-FRI *)', {
          ScheduleExpressionTimezone: 'Europe/Stockholm',
        }),
      ),
    );
    clock.advance(4 * 24 * HOUR);
    // Monday 08:00 CEST (UTC+2) and Tuesday 08:00 CEST; nothing on the weekend.
    expect(events.map((e) => e.Time.toISOString())).toEqual([
      '2026-03-30T06:00:00.000Z',
      '2026-03-31T06:00:00.000Z',
    ]);
  });

  it('retries a failing delivery with backoff, and keeps what it finally gave up on', async () => {
    const clock = new ManualClock('2026-03-02T08:00:00Z');
    let calls = 0;
    let failuresLeft = 2;
    const { scheduler, client } = await start({
      clock,
      putEvents: () => {
        calls++;
        if (failuresLeft-- > 0) throw new Error('bus unavailable');
      },
      persist: false,
    });
    await client.send(new CreateScheduleCommand(reminder('flaky', 'at(2026-03-02T08:05:00)')));
    clock.advance(5 * MINUTE);
    expect(calls).toBe(1);
    clock.advance(1000);
    clock.advance(2000);
    expect(calls).toBe(3);
    expect(scheduler.metrics()).toEqual({ fired: 1, delivered: 1, retried: 2, failed: 0 });

    await client.send(
      new CreateScheduleCommand(
        reminder('hopeless', 'at(2026-03-02T09:00:00)', {
          Target: {
            ...reminder('x', 'x').Target,
            Arn: BUS_ARN,
            RoleArn: ROLE_ARN,
            RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60 },
            DeadLetterConfig: { Arn: `arn:aws:sqs:eu-north-1:${ACCOUNT}:scheduler-dlq` },
          },
        }),
      ),
    );
    failuresLeft = Number.POSITIVE_INFINITY;
    clock.advance(HOUR);
    expect(scheduler.failures()).toMatchObject([
      {
        scheduleArn: `arn:aws:scheduler:eu-north-1:${ACCOUNT}:schedule/default/hopeless`,
        scheduledTime: '2026-03-02T09:00:00Z',
        attempts: 1,
        error: 'bus unavailable',
        deadLetterArn: `arn:aws:sqs:eu-north-1:${ACCOUNT}:scheduler-dlq`,
        payload: { DetailType: 'Workshop.ReminderDue' },
      },
    ]);
  });
});

describe('errors as Scheduler answers them', () => {
  it('duplicate names -> ConflictException; unknown names -> ResourceNotFoundException', async () => {
    const clock = new ManualClock('2026-03-02T08:00:00Z');
    const { client } = await start({ clock, persist: false });
    await client.send(new CreateScheduleCommand(reminder('once', 'at(2026-03-03T08:00:00)')));
    await expect(
      client.send(new CreateScheduleCommand(reminder('once', 'at(2026-03-04T08:00:00)'))),
    ).rejects.toMatchObject({
      name: 'ConflictException',
      message: 'Schedule once already exists.',
      $metadata: { httpStatusCode: 409 },
    });
    await expect(client.send(new DeleteScheduleCommand({ Name: 'never-created' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
    await expect(
      client.send(
        new CreateScheduleCommand(
          reminder('in-missing-group', 'rate(5 minutes)', { GroupName: 'no-such-group' }),
        ),
      ),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Schedule group no-such-group does not exist.',
    });
    await expect(
      client.send(new UpdateScheduleCommand(reminder('never-created', 'rate(5 minutes)'))),
    ).rejects.toMatchObject({
      name: 'ResourceNotFoundException',
    });
  });

  it.each([
    'at(2026-13-01T00:00:00)',
    'at(2026-02-30T00:00:00)',
    'at(2026-03-02 10:00:00)',
    'rate(0 minutes)',
    'rate(1 minutes)',
    'rate(5 minute)',
    'rate(5 weeks)',
    'cron(0 8 * * MON *)',
    'cron(0 25 ? * MON *)',
    'cron(0 8 ? *)',
    'every day',
  ])('%s -> ValidationException', async (expression) => {
    const clock = new ManualClock('2026-03-02T08:00:00Z');
    const { client } = await start({ clock, persist: false });
    await expect(client.send(new CreateScheduleCommand(reminder('bad', expression)))).rejects.toMatchObject({
      name: 'ValidationException',
      message: `Invalid Schedule Expression ${expression}.`,
      $metadata: { httpStatusCode: 400 },
    });
  });

  it('missing RoleArn, a bad time zone and a non-JSON detail -> ValidationException', async () => {
    const clock = new ManualClock('2026-03-02T08:00:00Z');
    const { client } = await start({ clock, persist: false });
    const base = reminder('bad', 'rate(5 minutes)');
    await expect(
      client.send(
        new CreateScheduleCommand({ ...base, Target: { ...base.Target, RoleArn: undefined } as never }),
      ),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message:
        "1 validation error detected: Value null at 'target.roleArn' failed to satisfy constraint: Member must not be null",
    });
    await expect(
      client.send(new CreateScheduleCommand({ ...base, ScheduleExpressionTimezone: 'Mars/Olympus_Mons' })),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Invalid ScheduleExpressionTimezone Mars/Olympus_Mons.',
    });
    await expect(
      client.send(
        new CreateScheduleCommand({
          ...base,
          Target: { ...base.Target, Arn: BUS_ARN, RoleArn: ROLE_ARN, Input: 'not json' },
        }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('schedule groups', () => {
  it('has the default group, creates others, and lists schedules per group', async () => {
    const clock = new ManualClock('2026-03-02T08:00:00Z');
    const { client } = await start({ clock, persist: false });
    expect(await client.send(new GetScheduleGroupCommand({ Name: 'default' }))).toMatchObject({
      Name: 'default',
      State: 'ACTIVE',
    });
    const { ScheduleGroupArn } = await client.send(new CreateScheduleGroupCommand({ Name: 'reminders' }));
    expect(ScheduleGroupArn).toBe(`arn:aws:scheduler:eu-north-1:${ACCOUNT}:schedule-group/reminders`);
    await expect(client.send(new CreateScheduleGroupCommand({ Name: 'reminders' }))).rejects.toMatchObject({
      name: 'ConflictException',
    });
    await client.send(
      new CreateScheduleCommand(reminder('a', 'rate(5 minutes)', { GroupName: 'reminders' })),
    );
    await client.send(new CreateScheduleCommand(reminder('b', 'rate(5 minutes)')));
    const listed = await client.send(new ListSchedulesCommand({ GroupName: 'reminders' }));
    expect(listed.Schedules?.map((s) => [s.Name, s.GroupName, s.State])).toEqual([
      ['a', 'reminders', 'ENABLED'],
    ]);
    expect((await client.send(new GetScheduleCommand({ Name: 'a', GroupName: 'reminders' }))).GroupName).toBe(
      'reminders',
    );
  });
});
