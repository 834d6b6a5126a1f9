/**
 * The console's only way to data: the HTTP API's /ops routes with the signed-in user's token.
 * `config.json` (next to the page) says where the API is and how to sign in: written by the local
 * runtime, or by infra at deploy time on AWS.
 */

import type { ConsoleConfig } from './config.ts';

export type { ConsoleConfig };

export async function loadConfig(): Promise<ConsoleConfig> {
  const response = await fetch('config.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
  const config = (await response.json()) as Partial<ConsoleConfig>;
  return {
    stage: config.stage ?? 'unknown',
    region: config.region ?? '',
    apiUrl: (config.apiUrl ?? '').replace(/\/$/, ''),
    live: config.live ?? 'poll',
    features: config.features ?? { emails: false, unmatched: false },
    auth: config.auth ?? { issuer: '' },
  };
}

export interface Session {
  token: string;
  orgId: string;
  role: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

const SESSION_KEY = 'samskapa.console.session';

/** The claims of a token the API verified at sign-in; the API verifies it again on every call. */
export function sessionOf(token: string): Session | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const claims = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as Record<string, unknown>;
    const orgId = claims['custom:orgId'];
    const role = claims['custom:role'];
    if (typeof orgId !== 'string' || typeof role !== 'string') return undefined;
    return { token, orgId, role, expiresAt: Number(claims.exp ?? 0) };
  } catch {
    return undefined;
  }
}

export function storedSession(): Session | undefined {
  const token = sessionStorage.getItem(SESSION_KEY);
  const session = token ? sessionOf(token) : undefined;
  if (!session || session.expiresAt * 1000 < Date.now()) return undefined;
  return session;
}

export function storeSession(session: Session | undefined): void {
  if (session) sessionStorage.setItem(SESSION_KEY, session.token);
  else sessionStorage.removeItem(SESSION_KEY);
}

/** A problem+json answer (or a network failure) as one readable error. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export type Query = Record<string, string | number | undefined>;

export interface Api {
  readonly config: ConsoleConfig;
  readonly session: Session;
  url(path: string, query?: Query): string;
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  /** A raw request with the token (the event stream reads its body as it arrives). */
  fetch(path: string, init?: RequestInit & { query?: Query }): Promise<Response>;
}

export function createApi(config: ConsoleConfig, session: Session, onUnauthorized: () => void): Api {
  const url = (path: string, query?: Query) => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {}))
      if (value !== undefined && value !== '') search.set(name, String(value));
    const qs = search.toString();
    return `${config.apiUrl}${path}${qs ? `?${qs}` : ''}`;
  };
  const send = async (path: string, init: RequestInit & { query?: Query } = {}) => {
    const { query, headers, ...rest } = init;
    let response: Response;
    try {
      response = await fetch(url(path, query), {
        ...rest,
        headers: { authorization: `Bearer ${session.token}`, ...headers },
      });
    } catch (error) {
      throw new ApiError(0, `${path}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (response.status === 401) onUnauthorized();
    return response;
  };
  const json = async <T>(response: Response, path: string): Promise<T> => {
    if (response.ok) return (await response.json()) as T;
    const text = await response.text();
    let message = text;
    try {
      const problem = JSON.parse(text) as { title?: string; detail?: string; message?: string };
      message = problem.detail ?? problem.title ?? problem.message ?? text;
    } catch {}
    throw new ApiError(response.status, `${path}: ${response.status} ${message}`);
  };
  return {
    config,
    session,
    url,
    fetch: send,
    get: async <T>(path: string, query?: Query) => json<T>(await send(path, query ? { query } : {}), path),
    post: async <T>(path: string, body?: unknown) =>
      json<T>(
        await send(path, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body ?? {}),
        }),
        path,
      ),
  };
}

/** Local runtime only: an ops token for an organisation (POST /console/session). */
export async function developmentSignIn(config: ConsoleConfig, orgId: string): Promise<Session> {
  const response = await fetch(`${config.apiUrl}/console/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ orgId }),
  });
  const body = (await response.json()) as { token?: string; detail?: string };
  const session = body.token ? sessionOf(body.token) : undefined;
  if (!response.ok || !session) throw new ApiError(response.status, body.detail ?? 'sign-in failed');
  return session;
}

const PKCE_KEY = 'samskapa.console.pkce';

const base64Url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const redirectUri = () => `${location.origin}/`;

/** A deployed stack: Cognito's hosted sign-in, the authorization code flow with PKCE (RFC 7636). */
export async function startCognitoSignIn(config: ConsoleConfig): Promise<void> {
  const { signInDomain, userPoolClientId } = config.auth;
  if (!signInDomain || !userPoolClientId) throw new Error('this console has no hosted sign-in');
  const verifier = base64Url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64Url(crypto.getRandomValues(new Uint8Array(16)));
  const challenge = base64Url(
    new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))),
  );
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state }));
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: userPoolClientId,
    redirect_uri: redirectUri(),
    scope: 'openid email profile',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`${signInDomain.replace(/\/$/, '')}/oauth2/authorize?${query}`);
}

/**
 * Back from the hosted sign-in with `?code=…&state=…`: the code for tokens. The API reads the
 * organisation and role from the ID token, so that is the session's token.
 */
export async function completeCognitoSignIn(config: ConsoleConfig): Promise<Session | undefined> {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  const { signInDomain, userPoolClientId } = config.auth;
  if (!code || !signInDomain || !userPoolClientId) return undefined;
  const pending = JSON.parse(sessionStorage.getItem(PKCE_KEY) ?? '{}') as {
    verifier?: string;
    state?: string;
  };
  sessionStorage.removeItem(PKCE_KEY);
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
  if (!pending.verifier || pending.state !== params.get('state'))
    throw new ApiError(400, 'the sign-in answer does not match the request');
  const response = await fetch(`${signInDomain.replace(/\/$/, '')}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: userPoolClientId,
      code,
      redirect_uri: redirectUri(),
      code_verifier: pending.verifier,
    }),
  });
  const tokens = (await response.json()) as { id_token?: string; error?: string };
  const session = tokens.id_token ? sessionOf(tokens.id_token) : undefined;
  if (!response.ok || !session) throw new ApiError(response.status, tokens.error ?? 'sign-in failed');
  return session;
}
