/**
 * The pipe's position in the stream, per shard. Saved only after the bus accepted everything up to
 * it, so a crash re-publishes (at least once) instead of losing. Written to a temporary file and
 * renamed, so a crash mid-write leaves the previous checkpoint intact.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ShardPosition } from './shards.ts';

export interface Checkpoint {
  /** Positions are only meaningful for this stream; a recreated table has a new stream. */
  streamArn: string;
  shards: Record<string, ShardPosition>;
}

export interface CheckpointStore {
  load(): Checkpoint | undefined;
  save(checkpoint: Checkpoint): void;
  /** Where it lives, for messages; undefined in memory. */
  readonly path: string | undefined;
}

export function memoryCheckpointStore(): CheckpointStore {
  let saved: Checkpoint | undefined;
  return {
    path: undefined,
    load: () => (saved === undefined ? undefined : structuredClone(saved)),
    save: (checkpoint) => {
      saved = structuredClone(checkpoint);
    },
  };
}

export class CorruptCheckpointError extends Error {
  override name = 'CorruptCheckpointError';
}

export function fileCheckpointStore(path: string): CheckpointStore {
  return {
    path,
    load() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      try {
        const parsed = JSON.parse(text) as Checkpoint;
        if (
          typeof parsed.streamArn !== 'string' ||
          typeof parsed.shards !== 'object' ||
          parsed.shards === null
        ) {
          throw new Error('missing streamArn or shards');
        }
        return parsed;
      } catch (error) {
        // Guessing a position would either lose or repeat events silently: make the user decide.
        throw new CorruptCheckpointError(
          `outbox pipe checkpoint ${path} is unreadable (${(error as Error).message}); ` +
            'delete it to re-publish every outbox item still in the stream (the last 24 hours)',
        );
      }
    },
    save(checkpoint) {
      mkdirSync(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      writeFileSync(temporary, `${JSON.stringify(checkpoint, null, 2)}\n`);
      renameSync(temporary, path);
    },
  };
}
