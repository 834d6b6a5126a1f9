/**
 * Links in emails that need no account and no shared secret: the token names what the link is for and
 * carries a random nonce stored on the row it opens; the API compares the two. Tokens are base64url
 * JSON arrays of non-empty strings, so they survive URLs and mail clients unchanged.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** 128 random bits: not guessable, not derived from anything an attacker can see. */
export function newLinkNonce(): string {
  return randomBytes(16).toString('base64url');
}

export function linkToken(parts: readonly string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** The `count` parts of a token, or undefined when it is not one of ours. */
export function readLinkToken(token: string, count: number): string[] | undefined {
  try {
    const parts: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      !Array.isArray(parts) ||
      parts.length !== count ||
      !parts.every((p) => typeof p === 'string' && p.length > 0)
    ) {
      return undefined;
    }
    return parts as string[];
  } catch {
    return undefined;
  }
}

/** Compares a token's nonce with the stored one in constant time. */
export function sameNonce(given: string, stored: unknown): boolean {
  if (typeof stored !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}
