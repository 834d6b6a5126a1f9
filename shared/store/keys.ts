/**
 * Keys of the single table. Every key starts with the organisation, so no query can cross
 * organisations. The access patterns are listed in shared/store/README.md.
 */
export const processPk = (orgId: string, processId: string) => `ORG#${orgId}#PROC#${processId}`;
export const STATE_SK = 'STATE';
export const eventSk = (eventId: string) => `EVENT#${eventId}`;
export const outboxSk = (eventId: string) => `OUTBOX#${eventId}`;
export const inboxSk = (eventId: string) => `INBOX#${eventId}`;

/** byOrg index: the board, every process of an organisation by method and stage. */
export const boardGsiPk = (orgId: string) => `ORG#${orgId}#BOARD`;
export const boardGsiSk = (method: string, stageIndex: number, processId: string) =>
  `${method}#${String(stageIndex).padStart(2, '0')}#${processId}`;

/** How long the outbox and inbox items live (TTL): long enough for any redelivery or replay window. */
export const OUTBOX_TTL_SECONDS = 7 * 86_400;
export const INBOX_TTL_SECONDS = 35 * 86_400;
