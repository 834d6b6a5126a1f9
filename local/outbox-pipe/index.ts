/** The local outbox pipe: table stream -> filter -> PutEvents on the pipeline bus. */
export { type Checkpoint, CorruptCheckpointError } from './checkpoint.ts';
export {
  OUTBOX_PIPE_FILTER,
  OUTBOX_PIPE_FILTER_CRITERIA,
  passesOutboxFilter,
  toPipeRecord,
} from './filter.ts';
export {
  type OutboxFailure,
  type OutboxPipe,
  type OutboxPipeRetry,
  type OutboxPipeStats,
  outboxEntry,
  type PollSummary,
  type PutEvents,
  type StartOutboxPipeOptions,
  startOutboxPipe,
} from './outbox-pipe.ts';
export { compareSequenceNumbers, readableShards, type ShardPosition } from './shards.ts';
