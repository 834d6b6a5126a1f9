/**
 * SES v2 for the local runtime: SendEmail writes .eml files to an outbox the console reads; the
 * mailbox simulator's bounces and complaints are published as SES's EventBridge events.
 */
export {
  type SesEventEntry,
  SIMULATOR_DOMAIN,
  type SimulatorScenario,
  simulatorScenario,
} from './feedback.ts';
export { type LocalSes, type SesMetrics, type StartSesOptions, startSes } from './local-ses.ts';
export {
  listOutbox,
  type OutboxAttachment,
  type OutboxEntry,
  type OutboxMessage,
  outboxDirectory,
  readMessage,
} from './outbox.ts';
