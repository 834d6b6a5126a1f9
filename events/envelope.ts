/**
 * The envelope every pipeline event carries as its EventBridge `detail`: `{ metadata, data }`.
 * `defineEvent` ties an event type and version to the zod schema of its data, so producers get a
 * typed `create` and consumers a typed `parse`, both validating.
 */
import { createHash } from 'node:crypto';
import { encodeTime, monotonicFactory } from 'ulid';
import * as z from 'zod';

export const ULID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;
export const Ulid = z.string().regex(ULID_PATTERN, 'a ULID');
/** Identifiers of organisations, places, processes and people: short, URL-safe. */
export const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'an id of letters, digits, _ and -');
export const EVENT_TYPE_PATTERN = /^[A-Z][A-Za-z]+\.[A-Z][A-Za-z]+$/;

/** Events stay within one 64 KB EventBridge billing chunk; anything larger goes to S3 by key. */
export const MAX_DETAIL_BYTES = 64 * 1024;

export const Actor = z.object({
  kind: z.enum(['user', 'system']),
  /** A user id (the JWT subject) or the name of the function that acted. Never an email or a name. */
  id: z.string().min(1).max(128),
});
export type Actor = z.infer<typeof Actor>;

export const Metadata = z.object({
  /** ULID; also the idempotency key of every consumer. */
  id: Ulid,
  /** The detail-type, `Area.Fact`. */
  type: z.string().regex(EVENT_TYPE_PATTERN),
  version: z.number().int().min(1),
  occurredAt: z.iso.datetime(),
  orgId: Id,
  placeId: Id,
  processId: Id,
  /** The process run this event belongs to. */
  correlationId: z.string().min(1).max(64),
  /** The event or request that caused this one. */
  causationId: z.string().min(1).max(64),
  actor: Actor,
  /** How many events led to this one; a limit stops event loops. */
  depth: z.number().int().min(0).default(0),
});
export type Metadata = z.infer<typeof Metadata>;

/** What a producer supplies; id, type, version and time are filled in by `create`. */
export type MetadataInput = Omit<Metadata, 'id' | 'type' | 'version' | 'occurredAt' | 'depth'> & {
  id?: string;
  occurredAt?: string;
  depth?: number;
};

export interface Envelope<T extends string = string, V extends number = number, D = unknown> {
  metadata: Metadata & { type: T; version: V };
  data: D;
}

export class UnknownEventError extends Error {
  override readonly name = 'UnknownEventError';
  readonly type: string;
  readonly version: number | undefined;
  constructor(type: string, version: number | undefined) {
    super(`Unknown event ${type} v${version ?? '?'}: no schema in the catalog`);
    this.type = type;
    this.version = version;
  }
}

export class EventValidationError extends Error {
  override readonly name = 'EventValidationError';
  readonly type: string;
  readonly version: number | undefined;
  readonly issues: { path: string; message: string }[];
  constructor(type: string, version: number | undefined, issues: z.core.$ZodIssue[]) {
    const list = issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
    super(
      `Invalid ${type} v${version ?? '?'}: ${list.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
    );
    this.type = type;
    this.version = version;
    this.issues = list;
  }
}

export class EventTooLargeError extends Error {
  override readonly name = 'EventTooLargeError';
  constructor(type: string, bytes: number) {
    super(`${type} is ${bytes} bytes; events stay under ${MAX_DETAIL_BYTES} bytes (put the content in S3)`);
  }
}

export interface EventContext {
  /** Clock and id source, injectable so the engine stays pure and tests deterministic. */
  now?: () => Date;
  newId?: () => string;
}

const monotonicUlid = monotonicFactory();

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/**
 * A ULID that is the same for the same fact: the time part from `at`, the rest from a hash of `seed`.
 * For facts whose trigger is not a catalog event (an S3 upload, a scheduler reminder), so a
 * redelivery reports the same event id and the outbox's condition refuses the second.
 */
export function deterministicEventId(seed: string, at: number): string {
  const digest = createHash('sha256').update(seed).digest();
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[(digest[i] ?? 0) & 31];
  return encodeTime(at, 10) + random;
}
export const defaultEventContext: Required<EventContext> = {
  now: () => new Date(),
  newId: () => monotonicUlid(),
};

export interface EventDefinition<T extends string, V extends number, S extends z.ZodType> {
  readonly type: T;
  readonly version: V;
  readonly description: string;
  /** Which parts of the pipeline emit it (the consumers are read from the topology). */
  readonly producers: readonly string[];
  readonly data: S;
  readonly schema: z.ZodType<Envelope<T, V, z.output<S>>>;
  readonly example: z.input<S>;
  create(
    input: { metadata: MetadataInput; data: z.input<S> },
    context?: EventContext,
  ): Envelope<T, V, z.output<S>>;
  parse(detail: unknown): Envelope<T, V, z.output<S>>;
}

export function defineEvent<T extends string, V extends number, S extends z.ZodType>(definition: {
  type: T;
  version: V;
  description: string;
  producers: readonly string[];
  data: S;
  example: z.input<S>;
}): EventDefinition<T, V, S> {
  if (!EVENT_TYPE_PATTERN.test(definition.type)) {
    throw new Error(`Event type ${definition.type} must read Area.Fact`);
  }
  const schema = z.object({
    metadata: Metadata.extend({ type: z.literal(definition.type), version: z.literal(definition.version) }),
    data: definition.data,
  }) as unknown as z.ZodType<Envelope<T, V, z.output<S>>>;

  const validate = (candidate: unknown) => {
    const result = schema.safeParse(candidate);
    if (!result.success)
      throw new EventValidationError(definition.type, definition.version, result.error.issues);
    const bytes = Buffer.byteLength(JSON.stringify(result.data));
    if (bytes > MAX_DETAIL_BYTES) throw new EventTooLargeError(definition.type, bytes);
    return result.data;
  };

  return {
    ...definition,
    schema,
    create({ metadata, data }, context = {}) {
      const { now, newId } = { ...defaultEventContext, ...context };
      return validate({
        metadata: {
          ...metadata,
          id: metadata.id ?? newId(),
          type: definition.type,
          version: definition.version,
          occurredAt: metadata.occurredAt ?? now().toISOString(),
          depth: metadata.depth ?? 0,
        },
        data,
      });
    },
    parse: validate,
  };
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds definitions of every data shape.
export type AnyEventDefinition = EventDefinition<string, number, any>;
export type EventOf<D> =
  D extends EventDefinition<infer T, infer V, infer S> ? Envelope<T, V, z.output<S>> : never;

export interface EventRegistry<D extends AnyEventDefinition> {
  readonly definitions: readonly D[];
  get(type: string, version: number): D;
  /** Validates an EventBridge detail against the schema its metadata names. */
  parse(detail: unknown): EventOf<D>;
  /** Throws unless the detail is one of the accepted type/version pairs. */
  parseAccepted<T extends D['type']>(
    detail: unknown,
    accepted: readonly T[],
  ): Extract<EventOf<D>, { metadata: { type: T } }>;
}

export function createEventRegistry<const D extends AnyEventDefinition>(
  definitions: readonly D[],
): EventRegistry<D> {
  const byKey = new Map<string, D>();
  for (const definition of definitions) {
    const key = `${definition.type}@${definition.version}`;
    if (byKey.has(key)) throw new Error(`Event ${key} is defined twice`);
    byKey.set(key, definition);
  }
  const get = (type: string, version: number) => {
    const definition = byKey.get(`${type}@${version}`);
    if (!definition) throw new UnknownEventError(type, version);
    return definition;
  };
  const headerOf = (detail: unknown) => {
    const header = z
      .object({ metadata: z.object({ type: z.string(), version: z.number().int() }) })
      .safeParse(detail);
    if (!header.success) throw new EventValidationError('(unknown)', undefined, header.error.issues);
    return header.data.metadata;
  };
  const parse = (detail: unknown) => {
    const { type, version } = headerOf(detail);
    return get(type, version).parse(detail) as EventOf<D>;
  };
  return {
    definitions,
    get,
    parse,
    parseAccepted(detail, accepted) {
      const { type, version } = headerOf(detail);
      if (!(accepted as readonly string[]).includes(type)) throw new UnknownEventError(type, version);
      return parse(detail) as never;
    },
  };
}
