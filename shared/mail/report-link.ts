/**
 * The results email's link to the report (shared/mail/link-token.ts): a stable `/reports/{token}` on
 * the public API, whose token names the process and carries the nonce of its report-link row. The API
 * presigns a short-lived GET of the report on each visit, so the link outlives any signing credentials.
 */
import { linkToken, newLinkNonce, readLinkToken } from './link-token.ts';

export interface ReportSubject {
  orgId: string;
  processId: string;
}

export const newReportNonce = newLinkNonce;

export function reportToken(subject: ReportSubject, nonce: string): string {
  return linkToken([subject.orgId, subject.processId, nonce]);
}

/** The subject and nonce of a token, or undefined when it is not one of ours. */
export function readReportToken(token: string): (ReportSubject & { nonce: string }) | undefined {
  const parts = readLinkToken(token, 3);
  if (!parts) return undefined;
  const [orgId = '', processId = '', nonce = ''] = parts;
  return { orgId, processId, nonce };
}

export const reportPath = (token: string) => `/reports/${token}`;
