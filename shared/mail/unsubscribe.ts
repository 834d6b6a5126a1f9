/**
 * Unsubscribe links (shared/mail/link-token.ts): the token names the participant and carries a random
 * nonce stored on the participant's row at registration, which the API compares.
 */
import { linkToken, newLinkNonce, readLinkToken } from './link-token.ts';

export interface UnsubscribeSubject {
  orgId: string;
  processId: string;
  participantId: string;
}

export const newUnsubscribeNonce = newLinkNonce;

export function unsubscribeToken(subject: UnsubscribeSubject, nonce: string): string {
  return linkToken([subject.orgId, subject.processId, subject.participantId, nonce]);
}

/** The subject and nonce of a token, or undefined when it is not one of ours. */
export function readUnsubscribeToken(token: string): (UnsubscribeSubject & { nonce: string }) | undefined {
  const parts = readLinkToken(token, 4);
  if (!parts) return undefined;
  const [orgId = '', processId = '', participantId = '', nonce = ''] = parts;
  return { orgId, processId, participantId, nonce };
}

export const unsubscribePath = (token: string) => `/unsubscribe/${token}`;
