/**
 * The local stand-in for the API's JWT authorizer and its user pool: one RS256 signing key (what
 * Cognito uses), generated once and kept in <dataDir>/auth/ as a JWK pair so tokens survive restarts,
 * or in memory for tests. Tokens carry the claims a Cognito user pool can carry too (`custom:orgId`,
 * `custom:role`, sub, iss, aud, exp), so the API function reads the same claims locally and on AWS.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload, jwtVerify, SignJWT } from 'jose';

export const LOCAL_JWT_ISSUER = 'https://auth.samskapa.local';
export const LOCAL_JWT_AUDIENCE = 'samskapa-api';
const ALGORITHM = 'RS256';
const PRIVATE_KEY_FILE = 'signing-key.private.jwk.json';
const PUBLIC_KEY_FILE = 'signing-key.public.jwk.json';

export interface SigningKey {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

/** Reads the key pair from `keyDir`, creating it on first use; in memory when keyDir is undefined. */
export async function loadOrCreateSigningKey(keyDir?: string): Promise<SigningKey> {
  if (keyDir !== undefined) {
    const existing = readSigningKey(keyDir);
    if (existing) return existing;
  }
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const kid = randomUUID();
  const key: SigningKey = {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: ALGORITHM, use: 'sig' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' },
  };
  if (keyDir === undefined) return key;
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  try {
    // 'wx': if a concurrent start (say `npm start` and a token script) created it first, use theirs.
    writeFileSync(join(keyDir, PRIVATE_KEY_FILE), `${JSON.stringify(key.privateJwk, null, 2)}\n`, {
      flag: 'wx',
      mode: 0o600,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const theirs = readSigningKey(keyDir);
    if (!theirs) throw new Error(`signing key in ${keyDir} is unreadable`);
    return theirs;
  }
  writeFileSync(join(keyDir, PUBLIC_KEY_FILE), `${JSON.stringify(key.publicJwk, null, 2)}\n`);
  return key;
}

function readSigningKey(keyDir: string): SigningKey | undefined {
  let text: string;
  try {
    text = readFileSync(join(keyDir, PRIVATE_KEY_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const privateJwk = JSON.parse(text) as JWK;
  if (privateJwk.kty !== 'RSA' || typeof privateJwk.kid !== 'string' || !privateJwk.d) {
    throw new Error(`${join(keyDir, PRIVATE_KEY_FILE)} is not an RSA private JWK with a kid`);
  }
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...publicJwk } = privateJwk;
  return { kid: privateJwk.kid, privateJwk, publicJwk };
}

export interface DevelopmentTokenClaims {
  orgId: string;
  role: string;
  /** The user's id; a random one when absent. */
  sub?: string;
  /** Seconds, or a span such as '90s', '15m', '12h', '7d'. Default '12h'. */
  expiresIn?: string | number;
  issuer?: string;
  audience?: string;
  /** Issue "now" (for tests with a manual clock); epoch milliseconds. */
  now?: number;
}

/**
 * A bearer token for the local API, for a CLI or npm script to print: signed with the key in
 * `keyDirOrKey` (normally <dataDir>/auth, created if absent) or with a key object.
 */
export async function issueDevelopmentToken(
  claims: DevelopmentTokenClaims,
  keyDirOrKey: string | SigningKey,
): Promise<string> {
  const key = typeof keyDirOrKey === 'string' ? await loadOrCreateSigningKey(keyDirOrKey) : keyDirOrKey;
  const nowSeconds = Math.floor((claims.now ?? Date.now()) / 1000);
  const jwt = new SignJWT({ 'custom:orgId': claims.orgId, 'custom:role': claims.role, token_use: 'id' })
    .setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: 'JWT' })
    .setSubject(claims.sub ?? randomUUID())
    .setIssuer(claims.issuer ?? LOCAL_JWT_ISSUER)
    .setAudience(claims.audience ?? LOCAL_JWT_AUDIENCE)
    .setIssuedAt(nowSeconds)
    .setExpirationTime(nowSeconds + durationSeconds(claims.expiresIn ?? '12h'));
  return jwt.sign(await importJWK(key.privateJwk, ALGORITHM));
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

function durationSeconds(span: string | number): number {
  if (typeof span === 'number') return span;
  const match = /^(\d+)\s*([smhd])$/.exec(span.trim());
  if (!match) throw new Error(`expiresIn must be seconds or like '15m', '12h', '7d'; got '${span}'`);
  return Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
}

export type AuthorizerClaims = Record<string, string>;

export interface JwtAuthorizerOptions {
  key: SigningKey;
  issuer?: string;
  audience?: string;
  /** Epoch milliseconds; tokens expire against this clock. */
  now: () => number;
}

export type Authorization =
  | { ok: true; claims: AuthorizerClaims; scopes: string[] | null }
  | { ok: false; reason: string };

/**
 * What API Gateway's JWT authorizer does with the identity source `$request.header.Authorization`:
 * take the token (with or without `Bearer `), verify signature, issuer, audience, exp and nbf.
 */
export function jwtAuthorizer(options: JwtAuthorizerOptions) {
  const issuer = options.issuer ?? LOCAL_JWT_ISSUER;
  const audience = options.audience ?? LOCAL_JWT_AUDIENCE;
  const publicKey = importJWK(options.key.publicJwk, ALGORITHM);
  return async (authorizationHeader: string | undefined): Promise<Authorization> => {
    if (!authorizationHeader) return { ok: false, reason: 'no token' };
    const token = authorizationHeader.replace(/^Bearer\s+/i, '').trim();
    if (!token) return { ok: false, reason: 'no token' };
    try {
      const { payload } = await jwtVerify(token, await publicKey, {
        issuer,
        audience,
        algorithms: [ALGORITHM],
        currentDate: new Date(options.now()),
      });
      const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : null;
      return { ok: true, claims: authorizerClaims(payload), scopes };
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
  };
}

/**
 * Claims as API Gateway's JWT authorizer hands them to the function: every value a string. Numbers
 * and booleans are stringified, arrays become "[a b]" (the well-known `cognito:groups` shape), objects JSON.
 */
export function authorizerClaims(payload: JWTPayload): AuthorizerClaims {
  const claims: AuthorizerClaims = {};
  for (const [name, value] of Object.entries(payload)) {
    if (value === undefined) continue;
    if (typeof value === 'string') claims[name] = value;
    else if (Array.isArray(value)) claims[name] = `[${value.map(String).join(' ')}]`;
    else if (typeof value === 'object' && value !== null) claims[name] = JSON.stringify(value);
    else claims[name] = String(value);
  }
  return claims;
}
