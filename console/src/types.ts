/**
 * What the /ops routes answer, as the console reads it. The routes' zod schemas
 * (functions/api/ops.ts, failures.ts, metrics.ts) and docs/openapi.json are the source; these mirror
 * the fields the console uses.
 */
/** A text in each of the product's languages. */
export interface Localized {
  sv: string;
  fi: string;
  en: string;
}

/** A method as the board shows it: its stages in order (built in from shared/methods by build.ts). */
export interface MethodOutline {
  key: string;
  name: Localized;
  stages: { key: string; name: Localized }[];
}

/**
 * An event as the live feed and GET /ops/events carry it. The pipeline's own events have every field;
 * the stream also carries what else reached the bus for the organisation (e.g. an unknown version), so
 * views read the optional parts with care.
 */
export interface EventEnvelope {
  metadata: {
    id: string;
    type: string;
    version: number;
    occurredAt: string;
    orgId: string;
    placeId: string;
    processId: string;
    correlationId: string;
    causationId: string;
    actor?: { kind: 'user' | 'system'; id: string };
    depth?: number;
  };
  data: unknown;
}

export interface BoardRow {
  processId: string;
  placeId: string;
  placeName: string;
  municipality: string;
  method: string;
  status: 'active' | 'completed';
  stage: { key: string | null; index: number; name: Localized | null };
  stageStartedAt: string;
  timeInStageSeconds: number;
  lastEventAt: string;
  openTasks: number;
  overdueTasks: number;
  stuck: boolean;
  failed: boolean;
}

export interface BoardPage {
  items: BoardRow[];
  cursor?: string;
}

export interface TraceNode {
  id: string;
  type: string;
  occurredAt: string;
  actor: { kind: 'user' | 'system'; id: string };
  depth: number;
  causationId: string;
  root: boolean;
  handledBy: string[];
}

export interface Trace {
  processId: string;
  nodes: TraceNode[];
  edges: { from: string; to: string; durationMs: number }[];
  causes: { id: string; actor: TraceNode['actor']; events: string[] }[];
}

export interface FailureMessage {
  queue: string;
  messageId: string;
  receiptHandle: string;
  function: string;
  error: { type: string; message: string };
  attempts: number;
  event: { id: string | null; type: string | null; processId: string | null; placeId: string | null };
  sentAt: string;
}

export interface FailureQueue {
  queue: string;
  kind: 'function' | 'rule' | 'other';
  function: string | null;
  rule: string | null;
  depth: number;
  messages: FailureMessage[];
}

export interface Failures {
  queues: FailureQueue[];
}

export interface RedriveResult {
  queue: string;
  function: string;
  redriven: string[];
  failed: { id: string; error: string }[];
}

export interface UnmatchedEvent {
  event: EventEnvelope;
  receivedAt: string;
  replay?: string;
}

export interface EmailEntry {
  id: string;
  from: string;
  to: string;
  subject: string;
  date: string;
  sizeBytes: number;
  tags: Record<string, string>;
}

export interface EmailMessage extends EmailEntry {
  headers: [string, string][];
  text?: string;
  html?: string;
  attachments: { filename?: string; contentType: string; sizeBytes: number }[];
}
