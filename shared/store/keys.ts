/**
 * Keys of the single table. Every key starts with the organisation, so no query can cross
 * organisations. The access patterns are listed in shared/store/README.md.
 */
export const processPk = (orgId: string, processId: string) => `ORG#${orgId}#PROC#${processId}`;
export const STATE_SK = 'STATE';
export const eventSk = (eventId: string) => `EVENT#${eventId}`;
export const outboxSk = (eventId: string) => `OUTBOX#${eventId}`;
export const inboxSk = (eventId: string) => `INBOX#${eventId}`;
/** The stable link to a process's results report, `/reports/{token}` (written with Results.Compiled). */
export const REPORT_LINK_SK = 'REPORTLINK';

/** byOrg index: the board, every process of an organisation by method and stage. */
export const boardGsiPk = (orgId: string) => `ORG#${orgId}#BOARD`;
export const boardGsiSk = (method: string, stageIndex: number, processId: string) =>
  `${method}#${String(stageIndex).padStart(2, '0')}#${processId}`;

/** byOrg index: every event of an organisation in time order (the operations console's flow). */
export const orgEventsGsiPk = (orgId: string) => `ORG#${orgId}#EVENTS`;

/** How long the outbox and inbox items live (TTL): long enough for any redelivery or replay window. */
export const OUTBOX_TTL_SECONDS = 7 * 86_400;
export const INBOX_TTL_SECONDS = 35 * 86_400;

export const orgPk = (orgId: string) => `ORG#${orgId}`;
export const placeSk = (placeId: string) => `PLACE#${placeId}`;
export const userSk = (userId: string) => `USER#${userId}`;
export const participantSk = (participantId: string) => `PARTICIPANT#${participantId}`;
export const planContactsSk = (planId: string) => `PLANCONTACTS#${planId}`;
export const taskSk = (taskId: string) => `TASK#${taskId}`;

/** byAssignee index: a person's open tasks, soonest due first. */
export const assigneeGsiPk = (orgId: string, userId: string) => `ORG#${orgId}#ASSIGNEE#${userId}`;
export const assigneeGsiSk = (dueAt: string | undefined, taskId: string) => `${dueAt ?? '9999'}#${taskId}`;

/** The regional knowledge bank: needs and ideas of every place of an organisation. */
export const bankPk = (orgId: string) => `ORG#${orgId}#BANK`;
export const needSk = (processId: string, interviewId: string, n: number) =>
  `NEED#${processId}#${interviewId}#${String(n).padStart(2, '0')}`;
export const ideaSk = (processId: string, ideaId: string) => `IDEA#${processId}#${ideaId}`;

/** A published guide, at its stable public link `/guides/{org}/{place}`. */
export const publishedGuideSk = (placeId: string) => `GUIDE#${placeId}`;
