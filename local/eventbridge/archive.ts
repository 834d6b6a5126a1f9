/**
 * Event archives: every event a bus accepts that matches an archive's pattern is appended to
 * `<dir>/<archive>.jsonl` as `{ archivedAt, event }`, and StartReplay reads a time window back.
 * Archive definitions live in `<dir>/archives.json`, so archives and their events survive restarts.
 * Without a directory, archives are kept in memory.
 */
import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type CompiledPattern, compilePattern, matchesPattern } from './pattern.ts';

/** An event as EventBridge delivers it. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
  'replay-name'?: string;
}

export interface ArchivedEvent {
  /** When the bus accepted the event (ms); replays select on this. */
  archivedAt: number;
  event: BusEvent;
}

export interface ArchiveDefinition {
  name: string;
  arn: string;
  eventSourceArn: string;
  description?: string;
  eventPattern?: string;
  /** 0 keeps events indefinitely. The local archive never prunes; it reports what was asked. */
  retentionDays: number;
  creationTime: number;
}

export class Archive {
  readonly definition: ArchiveDefinition;
  readonly #pattern: CompiledPattern | undefined;
  readonly #file: string | undefined;
  readonly #memory: ArchivedEvent[] = [];
  #fd: number | undefined;
  eventCount = 0;
  sizeBytes = 0;

  constructor(definition: ArchiveDefinition, file: string | undefined) {
    this.definition = definition;
    this.#pattern = definition.eventPattern ? compilePattern(definition.eventPattern) : undefined;
    this.#file = file;
    if (file && existsSync(file)) {
      this.sizeBytes = statSync(file).size;
      const text = readFileSync(file, 'utf8');
      for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) this.eventCount++;
    }
  }

  /** Whether this archive keeps events like this one (its pattern, or all events without one). */
  accepts(event: BusEvent): boolean {
    return !this.#pattern || matchesPattern(this.#pattern, event);
  }

  append(entry: ArchivedEvent): void {
    const line = `${JSON.stringify(entry)}\n`;
    if (this.#file) {
      this.#fd ??= openSync(this.#file, 'a');
      // Synchronous, so a replay started right after PutEvents already sees the event.
      writeSync(this.#fd, line);
    } else this.#memory.push(entry);
    this.eventCount++;
    this.sizeBytes += Buffer.byteLength(line);
  }

  /** Archived events with `start <= archivedAt < end`, in the order they were archived. */
  async *read(start: number, end: number): AsyncGenerator<ArchivedEvent> {
    if (!this.#file) {
      for (const entry of [...this.#memory])
        if (entry.archivedAt >= start && entry.archivedAt < end) yield entry;
      return;
    }
    if (!existsSync(this.#file)) return;
    const lines = createInterface({
      input: createReadStream(this.#file, 'utf8'),
      crlfDelay: Number.POSITIVE_INFINITY,
    });
    for await (const line of lines) {
      if (!line.trim()) continue;
      let entry: ArchivedEvent;
      try {
        entry = JSON.parse(line) as ArchivedEvent;
      } catch {
        continue; // a line torn by a crash mid-write; every complete line before and after still replays
      }
      if (entry.archivedAt >= start && entry.archivedAt < end) yield entry;
    }
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

export class Archives {
  readonly #dir: string | undefined;
  readonly #archives = new Map<string, Archive>();

  constructor(dir: string | undefined) {
    this.#dir = dir;
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    const index = join(dir, 'archives.json');
    if (!existsSync(index)) return;
    for (const definition of JSON.parse(readFileSync(index, 'utf8')) as ArchiveDefinition[]) {
      this.#archives.set(definition.name, new Archive(definition, join(dir, `${definition.name}.jsonl`)));
    }
  }

  get(name: string): Archive | undefined {
    return this.#archives.get(name);
  }

  list(): Archive[] {
    return [...this.#archives.values()];
  }

  create(definition: ArchiveDefinition): Archive {
    const archive = new Archive(
      definition,
      this.#dir ? join(this.#dir, `${definition.name}.jsonl`) : undefined,
    );
    this.#archives.set(definition.name, archive);
    this.#saveIndex();
    return archive;
  }

  close(): void {
    for (const archive of this.#archives.values()) archive.close();
  }

  #saveIndex(): void {
    if (!this.#dir) return;
    const definitions = this.list().map((archive) => archive.definition);
    writeFileSync(join(this.#dir, 'archives.json'), `${JSON.stringify(definitions, null, 2)}\n`);
  }
}
