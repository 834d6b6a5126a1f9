/**
 * `samskapa replay --from ISO --to ISO [--rules r1,r2]`: replays the archive of the pipeline bus
 * (EventBridge StartReplay) onto the bus, optionally only to some rules, then polls DescribeReplay
 * until the replay completes or fails. Replayed events keep their ids, so consumers that already
 * handled them change nothing (the inbox); those that failed get them again.
 *
 * The archive: locally it is named after the bus (`samskapa`); on a stack it is the `EventArchiveName`
 * output when the stack has one, else the bus's name (the stack names its archive after the bus,
 * infra/event-bus.ts).
 */
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { type Command, type Parsed, stringValue, targetHelp, targetOptions } from '../core/command.ts';
import { CliError, usageError } from '../core/errors.ts';
import { awsError, resolveTarget, stackOutput, type Target, unreachable } from '../core/target.ts';

export const replayCommand: Command = {
  name: 'replay',
  summary: 'Replay archived events of the pipeline bus (EventBridge archive replay)',
  usage:
    'samskapa replay --from ISO [--to ISO] [--rules r1,r2] [--name NAME] [--data DIR | --stack NAME ...]',
  options: {
    ...targetOptions,
    from: { type: 'string' },
    to: { type: 'string' },
    rules: { type: 'string' },
    name: { type: 'string' },
  },
  help: `Replays the events the bus archived between --from and --to onto the bus, to every rule or
only to --rules, and waits until the replay completes. Consumers handle each event at most once
(the replayed event keeps its id), so a replay re-runs only what did not happen.

  --from ISO       start of the window, e.g. 2026-11-22T08:00:00Z
  --to ISO         end of the window (default: now)
  --rules r1,r2    only these rules of the bus get the events (names as in functions/topology.ts)
  --name NAME      the replay's name (default samskapa-cli-<time>)

${targetHelp}

Example:
  samskapa replay --from 2026-11-22T08:00:00Z --to 2026-11-22T09:00:00Z --rules notification-requested
  samskapa replay --from 2026-11-22T08:00:00Z --stack samskapa-prod --profile ops`,
  run: runReplay,
};

function timestamp(args: Parsed, name: string, fallback?: Date): Date {
  const raw = stringValue(args, name);
  if (raw === undefined) {
    if (fallback) return fallback;
    throw usageError(`--${name} is required, e.g. --${name} ${new Date().toISOString()}`);
  }
  const date = new Date(raw);
  if (Number.isNaN(date.getTime()) || !/^\d{4}-\d{2}-\d{2}/.test(raw))
    throw usageError(`--${name} must be an ISO date and time such as 2026-11-22T08:00:00Z (got ${raw})`);
  return date;
}

async function runReplay(args: Parsed): Promise<number> {
  const from = timestamp(args, 'from');
  const to = timestamp(args, 'to', new Date());
  if (from >= to) throw usageError('--from must be before --to');
  const name = stringValue(args, 'name') ?? `samskapa-cli-${to.toISOString().replace(/[:.]/g, '-')}`;
  if (!/^[.\-_A-Za-z0-9]{1,64}$/.test(name))
    throw usageError(`--name must be at most 64 letters, digits, . - or _ (got ${name})`);
  const ruleNames = (stringValue(args, 'rules') ?? '')
    .split(',')
    .map((rule) => rule.trim())
    .filter(Boolean);

  const target = await resolveTarget(args);
  const { client, busName, archiveName, note } = await eventBridgeFor(target);
  const fail = (error: unknown, what: string) =>
    target.kind === 'local'
      ? networkFailure(error, target, what)
      : awsError(error, {
          what,
          region: target.region,
          profile: target.profile,
          notFound: `${what}: not found on stack ${target.stackName}`,
        });
  const { DescribeArchiveCommand, DescribeReplayCommand, ListRulesCommand, StartReplayCommand } =
    await import('@aws-sdk/client-eventbridge');
  try {
    if (note) process.stderr.write(`${note}\n`);
    const archive = await client
      .send(new DescribeArchiveCommand({ ArchiveName: archiveName }))
      .catch((error: unknown) => {
        throw fail(error, `describe the archive ${archiveName}`);
      });
    const busArn = archive.EventSourceArn;
    if (!archive.ArchiveArn || !busArn) throw new CliError(`the archive ${archiveName} names no event bus`);

    let filterArns: string[] | undefined;
    if (ruleNames.length > 0) {
      const rules: { Name?: string; Arn?: string }[] = [];
      let token: string | undefined;
      do {
        const page = await client
          .send(new ListRulesCommand({ EventBusName: busName, ...(token ? { NextToken: token } : {}) }))
          .catch((error: unknown) => {
            throw fail(error, `list the rules of bus ${busName}`);
          });
        rules.push(...(page.Rules ?? []));
        token = page.NextToken;
      } while (token);
      filterArns = ruleNames.map((rule) => {
        const found = rules.find((r) => r.Name === rule);
        if (!found?.Arn)
          throw new CliError(
            `bus ${busName} has no rule ${rule}; its rules: ${rules
              .map((r) => r.Name)
              .filter(Boolean)
              .join(', ')}`,
            { exitCode: 2 },
          );
        return found.Arn;
      });
    }

    await client
      .send(
        new StartReplayCommand({
          ReplayName: name,
          EventSourceArn: archive.ArchiveArn,
          EventStartTime: from,
          EventEndTime: to,
          Destination: { Arn: busArn, ...(filterArns ? { FilterArns: filterArns } : {}) },
          Description: 'samskapa replay (CLI)',
        }),
      )
      .catch((error: unknown) => {
        const type = (error as { name?: string }).name;
        if (type === 'ResourceAlreadyExistsException')
          throw new CliError(`a replay named ${name} exists already: pass another --name`, { exitCode: 2 });
        throw fail(error, 'start the replay');
      });
    console.log(
      `Replay ${name}: archive ${archiveName}, events from ${from.toISOString()} to ${to.toISOString()}, to ${filterArns ? `rules ${ruleNames.join(', ')}` : `every rule of bus ${busName}`}`,
    );

    // AWS replays take minutes (they read the archive in batches); the local one takes milliseconds.
    const interval = target.kind === 'local' ? 200 : 5000;
    let state: string | undefined;
    for (;;) {
      const replay = await client
        .send(new DescribeReplayCommand({ ReplayName: name }))
        .catch((error: unknown) => {
          throw fail(error, `describe the replay ${name}`);
        });
      if (replay.State !== state) {
        state = replay.State;
        if (state !== 'COMPLETED' && state !== 'FAILED' && state !== 'CANCELLED') console.log(`  ${state}`);
      }
      if (state === 'COMPLETED' || state === 'FAILED' || state === 'CANCELLED') {
        const ms =
          replay.ReplayStartTime && replay.ReplayEndTime
            ? replay.ReplayEndTime.getTime() - replay.ReplayStartTime.getTime()
            : undefined;
        const took = ms === undefined ? '' : ms < 10_000 ? ` in ${ms} ms` : ` in ${(ms / 1000).toFixed(0)} s`;
        const lastEvent = replay.EventLastReplayedTime
          ? `, last event replayed was archived at ${replay.EventLastReplayedTime.toISOString()}`
          : ', no events in the window';
        console.log(
          `Replay ${name} ${state}${took}${state === 'COMPLETED' ? lastEvent : ''}${replay.StateReason ? `: ${replay.StateReason}` : ''}`,
        );
        return state === 'COMPLETED' ? 0 : 1;
      }
      await new Promise((resolve) => setTimeout(resolve, interval));
    }
  } finally {
    client.destroy();
  }
}

async function eventBridgeFor(
  target: Target,
): Promise<{ client: EventBridgeClient; busName: string; archiveName: string; note?: string }> {
  const { EventBridgeClient } = await import('@aws-sdk/client-eventbridge');
  if (target.kind === 'local') {
    return {
      client: new EventBridgeClient({
        endpoint: target.endpoints.eventbridge,
        region: target.endpoints.region,
        credentials: { accessKeyId: 'samskapalocal', secretAccessKey: 'samskapalocal' },
        maxAttempts: 1,
      }),
      busName: target.endpoints.bus,
      archiveName: target.endpoints.bus,
    };
  }
  const busName = stackOutput(target, 'EventBusName');
  const archiveName = target.outputs.EventArchiveName;
  return {
    client: new EventBridgeClient({
      region: target.region,
      ...(target.profile ? { profile: target.profile } : {}),
    }),
    busName,
    archiveName: archiveName ?? busName,
    ...(archiveName
      ? {}
      : {
          note: `(stack ${target.stackName} has no EventArchiveName output; using the archive named after the bus, ${busName})`,
        }),
  };
}

function networkFailure(error: unknown, target: Target & { kind: 'local' }, what: string): CliError {
  if (error instanceof CliError) return error;
  const type = (error as { name?: string }).name;
  if (type === 'ResourceNotFoundException')
    return new CliError(
      `could not ${what}: ${(error as Error).message} Restart the runtime with \`npm start\``,
      {
        cause: error,
      },
    );
  if (type && /Exception$/.test(type) && (error as { $metadata?: unknown }).$metadata)
    return new CliError(`could not ${what}: ${(error as Error).message}`, { cause: error });
  return unreachable(target, target.endpoints.eventbridge, error);
}
