/** SES v2 for the local runtime: SendEmail writes .eml files to an outbox the console reads. */
export { type LocalSes, type SesMetrics, type StartSesOptions, startSes } from './local-ses.ts';
export {
  listOutbox,
  type OutboxAttachment,
  type OutboxEntry,
  type OutboxMessage,
  outboxDirectory,
  readMessage,
} from './outbox.ts';
