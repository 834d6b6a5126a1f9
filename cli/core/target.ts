/**
 * Where a command works. By default the local runtime, found through `<data>/endpoints.json`, which
 * `npm start` writes (`--data DIR`, default .samskapa). With `--stack NAME` a deployed stack: its
 * outputs (ApiUrl, EventBusName, ...) from CloudFormation DescribeStacks, with `--profile` and
 * `--region` (or the usual AWS environment).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Endpoints } from '../../local/cloud.ts';
import { type Parsed, stringValue } from './command.ts';
import { CliError, networkErrorCode } from './errors.ts';

export const DEFAULT_DATA_DIR = '.samskapa';
export const DEFAULT_ORG = 'org-demo';

export interface LocalTarget {
  kind: 'local';
  dataDir: string;
  endpoints: Endpoints;
  org: string;
}

export interface StackTarget {
  kind: 'stack';
  stackName: string;
  region: string;
  profile: string | undefined;
  outputs: Record<string, string>;
}

export type Target = LocalTarget | StackTarget;

export function describeTarget(target: Target): string {
  return target.kind === 'local'
    ? `the local runtime (${target.dataDir})`
    : `stack ${target.stackName} (${target.region})`;
}

/** What to say when nothing answers at `url`. */
export function unreachable(target: Target, url: string, error: unknown): CliError {
  const code = networkErrorCode(error) ?? 'no answer';
  return new CliError(
    target.kind === 'local'
      ? `no samskapa runtime answers at ${url} (${code}; from ${join(target.dataDir, 'endpoints.json')}): run \`npm start\` first`
      : `cannot reach ${url} (${code}), an endpoint of stack ${target.stackName}: check your network and that the stack is deployed`,
    { cause: error },
  );
}

export function localOnly(args: Parsed, command: string): void {
  if (stringValue(args, 'stack') !== undefined)
    throw new CliError(`${command} works with the local runtime only; leave out --stack`, { exitCode: 2 });
}

export async function resolveTarget(args: Parsed): Promise<Target> {
  const stackName = stringValue(args, 'stack');
  if (stackName !== undefined) return resolveStack(args, stackName);
  for (const option of ['profile', 'region'])
    if (stringValue(args, option) !== undefined)
      throw new CliError(`--${option} only applies with --stack NAME`, { exitCode: 2 });
  return resolveLocal(args);
}

export function localDataDir(args: Parsed): string {
  return resolve(stringValue(args, 'data') ?? DEFAULT_DATA_DIR);
}

function resolveLocal(args: Parsed): LocalTarget {
  const dataDir = localDataDir(args);
  const file = join(dataDir, 'endpoints.json');
  if (!existsSync(file))
    throw new CliError(
      `no samskapa runtime found: ${file} does not exist. Run \`npm start\` first${stringValue(args, 'data') ? '' : ' (or pass --data DIR)'}`,
    );
  let endpoints: Endpoints;
  try {
    endpoints = JSON.parse(readFileSync(file, 'utf8')) as Endpoints;
  } catch (error) {
    throw new CliError(`${file} is not readable JSON: run \`npm start\` again to rewrite it`, {
      cause: error,
    });
  }
  if (typeof endpoints !== 'object' || endpoints === null || typeof endpoints.eventbridge !== 'string')
    throw new CliError(`${file} does not describe a samskapa runtime: run \`npm start\` again to rewrite it`);
  return { kind: 'local', dataDir, endpoints, org: stringValue(args, 'org') ?? DEFAULT_ORG };
}

async function resolveStack(args: Parsed, stackName: string): Promise<StackTarget> {
  if (stringValue(args, 'data') !== undefined)
    throw new CliError('use either --data (the local runtime) or --stack (a deployed stack), not both', {
      exitCode: 2,
    });
  if (stringValue(args, 'org') !== undefined)
    throw new CliError(
      'on a deployed stack the organisation comes from your token (custom:orgId); leave out --org',
      { exitCode: 2 },
    );
  const profile = stringValue(args, 'profile');
  const region = stringValue(args, 'region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const client = new CloudFormationClient({
    ...(region ? { region } : {}),
    ...(profile ? { profile } : {}),
  });
  let resolvedRegion: string;
  try {
    resolvedRegion = await client.config.region();
  } catch (error) {
    throw new CliError(
      'no AWS region: pass --region (e.g. --region eu-north-1), set AWS_REGION, or give the profile a region',
      { cause: error },
    );
  }
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    if (!stack) throw new CliError(`stack ${stackName} was not found in ${resolvedRegion}`);
    const outputs: Record<string, string> = {};
    for (const output of stack.Outputs ?? [])
      if (output.OutputKey && output.OutputValue !== undefined)
        outputs[output.OutputKey] = output.OutputValue;
    return { kind: 'stack', stackName, region: resolvedRegion, profile, outputs };
  } catch (error) {
    throw awsError(error, {
      what: `read stack ${stackName}`,
      region: resolvedRegion,
      profile,
      notFound: `stack ${stackName} was not found in ${resolvedRegion}: check --stack and --region (stacks are named samskapa-<stage>)`,
    });
  } finally {
    client.destroy();
  }
}

/** One line for an AWS SDK error: credentials, permissions, not found, network. */
export function awsError(
  error: unknown,
  context: { what: string; region: string; profile: string | undefined; notFound?: string },
): CliError {
  if (error instanceof CliError) return error;
  const name = (error as { name?: string }).name ?? '';
  const message = (error as Error).message ?? String(error);
  const profile = context.profile ? ` --profile ${context.profile}` : '';
  if (name === 'CredentialsProviderError' || /credential/i.test(message) || name === 'ProviderError')
    return new CliError(
      `no AWS credentials${context.profile ? ` for profile ${context.profile}` : ''}: run \`aws configure\` or \`aws sso login${profile}\`, or set AWS_PROFILE`,
      { cause: error },
    );
  if (
    [
      'ExpiredToken',
      'ExpiredTokenException',
      'UnrecognizedClientException',
      'InvalidClientTokenId',
      'InvalidSignatureException',
    ].includes(name)
  )
    return new CliError(
      `AWS refused the credentials (${name}) trying to ${context.what}: refresh them (\`aws sso login${profile}\`)`,
      { cause: error },
    );
  if (name === 'AccessDenied' || name === 'AccessDeniedException')
    return new CliError(
      `AWS denied access trying to ${context.what} (${message.split('\n')[0]}): use a profile allowed to do it`,
      { cause: error },
    );
  if (context.notFound && (/does not exist/i.test(message) || name === 'ResourceNotFoundException'))
    return new CliError(context.notFound, { cause: error });
  const code = networkErrorCode(error);
  if (code)
    return new CliError(`cannot reach AWS in ${context.region} (${code}) trying to ${context.what}`, {
      cause: error,
    });
  return new CliError(`could not ${context.what}: ${message.split('\n')[0]}`, { cause: error });
}

/** A stack output the command needs, or an error naming it. */
export function stackOutput(target: StackTarget, key: string): string {
  const value = target.outputs[key];
  if (!value)
    throw new CliError(
      `stack ${target.stackName} has no ${key} output: deploy the current infra (npx cdk deploy) and try again`,
    );
  return value;
}
