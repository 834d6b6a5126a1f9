/**
 * The bus's delivery log: one record per processing step of an event, in the shape of EventBridge's
 * own event bus logs (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-logs-schema.html),
 * so that one flow view reads local and cloud runs alike. Records are appended as JSON lines to a file
 * and emitted in-process (`record` events, or `for await (const r of log.follow())`) for live views.
 *
 * Event contents (`event_detail`, `target_input`) are left out unless `includeDetail` is set, as
 * EventBridge does with IncludeDetail NONE: details may hold personal data, and logs must not.
 */
import { EventEmitter, on } from 'node:events';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** EventBridge's event processing steps (the `message_type` values AWS documents). */
export type MessageType =
  | 'EVENT_INGEST_FAILURE'
  | 'EVENT_INGEST_SUCCESS'
  | 'EVENT_RECEIPT'
  | 'INVOCATION_ATTEMPT_PERMANENT_FAILURE'
  | 'INVOCATION_ATTEMPT_RETRYABLE_FAILURE'
  | 'INVOCATION_ATTEMPT_START'
  | 'INVOCATION_ATTEMPT_SUCCESS'
  | 'INVOCATION_ATTEMPT_THROTTLE'
  | 'INVOCATION_DLQ'
  | 'INVOCATION_FAILURE'
  | 'INVOCATION_START'
  | 'INVOCATION_SUCCESS'
  | 'INVOCATION_THROTTLE_START'
  | 'NO_STANDARD_RULES_MATCHED'
  | 'RULE_MATCH'
  | 'RULE_MATCH_START';

export type LogLevel = 'TRACE' | 'INFO' | 'ERROR';

export interface DeliveryLogRecord {
  resource_arn: string;
  event_bus_name: string;
  request_id?: string;
  event_id?: string;
  invocation_id?: string;
  message_timestamp_ms: number;
  message_type: MessageType;
  log_level: LogLevel;
  details: Record<string, unknown>;
  error?: { http_status_code?: number; error_message: string; aws_service: string; request_id?: string };
}

const LEVELS: Record<MessageType, LogLevel> = {
  EVENT_INGEST_FAILURE: 'ERROR',
  EVENT_INGEST_SUCCESS: 'INFO',
  EVENT_RECEIPT: 'TRACE',
  INVOCATION_ATTEMPT_PERMANENT_FAILURE: 'ERROR',
  INVOCATION_ATTEMPT_RETRYABLE_FAILURE: 'TRACE',
  INVOCATION_ATTEMPT_START: 'TRACE',
  INVOCATION_ATTEMPT_SUCCESS: 'TRACE',
  INVOCATION_ATTEMPT_THROTTLE: 'TRACE',
  INVOCATION_DLQ: 'ERROR',
  INVOCATION_FAILURE: 'ERROR',
  INVOCATION_START: 'INFO',
  INVOCATION_SUCCESS: 'INFO',
  INVOCATION_THROTTLE_START: 'TRACE',
  NO_STANDARD_RULES_MATCHED: 'TRACE',
  RULE_MATCH: 'TRACE',
  RULE_MATCH_START: 'TRACE',
};

export interface DeliveryLogOptions {
  /** JSON-lines file to append to; omit to keep records in memory only. */
  file?: string;
  /** How many recent records to keep in memory for `recent()`; default 10 000. */
  keep?: number;
  /** Log `event_detail` and `target_input` (EventBridge's IncludeDetail FULL); default false. */
  includeDetail?: boolean;
}

export class DeliveryLog extends EventEmitter<{ record: [DeliveryLogRecord] }> {
  readonly file: string | undefined;
  readonly includeDetail: boolean;
  readonly #keep: number;
  #recent: DeliveryLogRecord[] = [];
  #fd: number | undefined;

  constructor(options: DeliveryLogOptions = {}) {
    super();
    this.file = options.file;
    this.includeDetail = options.includeDetail ?? false;
    this.#keep = options.keep ?? 10_000;
    if (this.file) {
      mkdirSync(dirname(this.file), { recursive: true });
      this.#fd = openSync(this.file, 'a');
    }
  }

  write(record: Omit<DeliveryLogRecord, 'log_level'>): DeliveryLogRecord {
    const full = { ...record, log_level: LEVELS[record.message_type] } as DeliveryLogRecord;
    // Appended synchronously so the file order is the processing order, even across a crash.
    if (this.#fd !== undefined) writeSync(this.#fd, `${JSON.stringify(full)}\n`);
    this.#recent.push(full);
    if (this.#recent.length > this.#keep * 1.5) this.#recent = this.#recent.slice(-this.#keep);
    this.emit('record', full);
    return full;
  }

  /** The most recent records (oldest first), optionally only those of one event. */
  recent(filter: { eventId?: string } = {}): DeliveryLogRecord[] {
    const records = this.#recent.slice(-this.#keep);
    return filter.eventId ? records.filter((record) => record.event_id === filter.eventId) : records;
  }

  /** Live records as an async iterator; stops when `signal` aborts. */
  async *follow(signal?: AbortSignal): AsyncGenerator<DeliveryLogRecord> {
    try {
      for await (const [record] of on(this, 'record', signal ? { signal } : {})) {
        yield record as DeliveryLogRecord;
      }
    } catch (error) {
      if ((error as Error).name !== 'AbortError') throw error;
    }
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
