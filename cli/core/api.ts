/**
 * The HTTP API as the CLI calls it: a bearer token, JSON or CSV in, JSON out, and problem+json
 * answers (`{ title, status, detail, errors: [{ path, message }] }`) turned into one-line errors.
 * Locally the CLI signs its own development token with the runtime's key (`<data>/auth`); on a stack
 * it needs the caller's Cognito ID token (`--token` or SAMSKAPA_TOKEN).
 */
import { join } from 'node:path';
import { type Parsed, stringValue } from './command.ts';
import { CliError } from './errors.ts';
import { describeTarget, stackOutput, type Target, unreachable } from './target.ts';

export interface Problem {
  title?: string;
  status?: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

export interface ApiResponse<T> {
  status: number;
  ok: boolean;
  body: T | undefined;
  problem: Problem | undefined;
}

export const CLI_USER = 'samskapa-cli';

export class Api {
  readonly baseUrl: string;
  readonly #token: string;
  readonly #target: Target;
  readonly #role: string;

  constructor(baseUrl: string, token: string, target: Target, role: string) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#token = token;
    this.#target = target;
    this.#role = role;
  }

  /** The answer whatever its status; only an unreachable API throws. */
  async request<T>(
    method: string,
    path: string,
    body?: { json: unknown } | { csv: string },
  ): Promise<ApiResponse<T>> {
    let response: Response;
    try {
      response = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          accept: 'application/json',
          ...(body === undefined
            ? {}
            : { 'content-type': 'csv' in body ? 'text/csv; charset=utf-8' : 'application/json' }),
        },
        ...(body === undefined ? {} : { body: 'csv' in body ? body.csv : JSON.stringify(body.json) }),
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      throw unreachable(this.#target, this.baseUrl, error);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return response.ok
      ? { status: response.status, ok: true, body: parsed as T, problem: undefined }
      : {
          status: response.status,
          ok: false,
          body: undefined,
          problem: (parsed as Problem | undefined) ?? { title: response.statusText },
        };
  }

  /** The body of a 2xx answer; anything else becomes a one-line error. */
  async call<T>(method: string, path: string, body?: { json: unknown } | { csv: string }): Promise<T> {
    const response = await this.request<T>(method, path, body);
    if (!response.ok) throw this.refused(response, `${method} ${path}`);
    return response.body as T;
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  /** One line for an answer that is not 2xx. */
  refused(response: ApiResponse<unknown>, what: string): CliError {
    const problem = response.problem ?? {};
    const detail = problem.detail ?? problem.title ?? 'no details';
    const fields = (problem.errors ?? []).map((e) => `${e.path}: ${e.message}`).join('; ');
    const said = `${detail}${fields ? ` (${fields})` : ''}`;
    if (response.status === 401)
      return new CliError(
        this.#target.kind === 'local'
          ? `the local API refused the CLI's token (401: ${detail}): restart the runtime with \`npm start\` so it uses the key in ${join(this.#target.dataDir, 'auth')}`
          : `the API of stack ${this.#target.stackName} refused the token (401: ${detail}): sign in again and pass a fresh Cognito ID token with --token or SAMSKAPA_TOKEN`,
      );
    if (response.status === 403)
      return new CliError(
        `the API refused ${what} for this user (403: ${detail}): it needs the ${this.#role} role`,
      );
    if (response.status === 404 && problem.detail === undefined)
      return new CliError(
        `${describeTarget(this.#target)} has no ${what} (404): is it an older version? Update it and try again`,
      );
    return new CliError(
      `${what} failed (${response.status} ${problem.title ?? ''}): ${said}`.replace(/ \)/, ')'),
    );
  }
}

/**
 * An API client for the target. `role` is what the CLI's local token carries (the least the command
 * needs); on a stack the role is the one in the caller's token.
 */
export async function apiFor(target: Target, args: Parsed, role: 'coordinator' | 'ops'): Promise<Api> {
  const given = stringValue(args, 'token') ?? process.env.SAMSKAPA_TOKEN;
  if (target.kind === 'stack') {
    const url = stackOutput(target, 'ApiUrl');
    if (!given)
      throw new CliError(
        `the API of stack ${target.stackName} needs your Cognito ID token: pass --token JWT or set SAMSKAPA_TOKEN`,
      );
    return new Api(url, given, target, role);
  }
  if (!target.endpoints.api)
    throw new CliError(
      `the runtime in ${target.dataDir} has no API endpoint: update and restart it with \`npm start\``,
    );
  if (given) return new Api(target.endpoints.api, given, target, role);
  const { issueDevelopmentToken } = await import('../../local/http-api/index.ts');
  const token = await issueDevelopmentToken(
    { orgId: target.org, role, sub: CLI_USER, expiresIn: '10m' },
    join(target.dataDir, 'auth'),
  );
  return new Api(target.endpoints.api, token, target, role);
}
