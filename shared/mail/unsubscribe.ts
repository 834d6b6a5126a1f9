/**
 * Unsubscribe links need no account and no shared secret: the token names the participant and
 * carries a random nonce stored on the participant's row at registration, which the API compares.
 */
import { randomBytes } from 'node:crypto';

export interface UnsubscribeSubject {
  orgId: string;
  processId: string;
  participantId: string;
}

export function newUnsubscribeNonce(): string {
  return randomBytes(16).toString('base64url');
}

export function unsubscribeToken(subject: UnsubscribeSubject, nonce: string): string {
  return Buffer.from(
    JSON.stringify([subject.orgId, subject.processId, subject.participantId, nonce]),
  ).toString('base64url');
}

/** The subject and nonce of a token, or undefined when it is not one of ours. */
export function readUnsubscribeToken(token: string): (UnsubscribeSubject & { nonce: string }) | undefined {
  try {
    const parts = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      !Array.isArray(parts) ||
      parts.length !== 4 ||
      !parts.every((p) => typeof p === 'string' && p.length > 0)
    ) {
      return undefined;
    }
    const [orgId, processId, participantId, nonce] = parts as string[];
    return {
      orgId: orgId as string,
      processId: processId as string,
      participantId: participantId as string,
      nonce: nonce as string,
    };
  } catch {
    return undefined;
  }
}

export const unsubscribePath = (token: string) => `/unsubscribe/${token}`;
