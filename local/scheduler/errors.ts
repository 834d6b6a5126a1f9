/**
 * EventBridge Scheduler errors as its REST-JSON protocol carries them: the status,
 * `x-amzn-ErrorType` naming the exception and `{ "Message": ... }`; the SDK throws that exception.
 */
import type { ServerResponse } from 'node:http';

const STATUS = {
  ValidationException: 400,
  ResourceNotFoundException: 404,
  ConflictException: 409,
  ServiceQuotaExceededException: 402,
  InternalServerException: 500,
  UnknownOperationException: 404,
} as const;

export type SchedulerErrorType = keyof typeof STATUS;

export class SchedulerError extends Error {
  readonly type: SchedulerErrorType;

  constructor(type: SchedulerErrorType, message: string) {
    super(message);
    this.name = type;
    this.type = type;
  }

  get status(): number {
    return STATUS[this.type];
  }
}

/**
 * Collects field problems and throws them as one ValidationException worded like AWS's own
 * ("2 validation errors detected: Value null at 'target.roleArn' failed to satisfy constraint: ...").
 */
export class Validation {
  readonly #problems: string[] = [];

  fail(path: string, value: unknown, constraint: string): void {
    const shown =
      value === undefined || value === null
        ? 'null'
        : `'${typeof value === 'string' ? value : JSON.stringify(value)}'`;
    this.#problems.push(`Value ${shown} at '${path}' failed to satisfy constraint: ${constraint}`);
  }

  required(path: string, value: unknown): boolean {
    if (value === undefined || value === null) {
      this.fail(path, value, 'Member must not be null');
      return false;
    }
    return true;
  }

  string(
    path: string,
    value: unknown,
    options: { min?: number; max: number; pattern?: RegExp },
  ): value is string {
    if (value === undefined || value === null) return false;
    if (typeof value !== 'string') {
      this.fail(path, value, 'Member must be a string');
      return false;
    }
    const min = options.min ?? 1;
    if (value.length < min || value.length > options.max) {
      this.fail(path, value, `Member must have length between ${min} and ${options.max}`);
      return false;
    }
    if (options.pattern && !options.pattern.test(value)) {
      this.fail(path, value, `Member must satisfy regular expression pattern: ${options.pattern.source}`);
      return false;
    }
    return true;
  }

  oneOf(path: string, value: unknown, allowed: readonly string[]): void {
    if (value !== undefined && value !== null && !allowed.includes(value as string)) {
      this.fail(path, value, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
    }
  }

  integer(path: string, value: unknown, min: number, max: number): void {
    if (value === undefined || value === null) return;
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      this.fail(path, value, `Member must have value between ${min} and ${max}`);
    }
  }

  throwIfAny(): void {
    const count = this.#problems.length;
    if (count === 0) return;
    const heading = `${count} validation error${count === 1 ? '' : 's'} detected: `;
    throw new SchedulerError('ValidationException', heading + this.#problems.join('; '));
  }
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  errorType?: string,
) {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.setHeader('x-amzn-RequestId', requestId);
  if (errorType) res.setHeader('x-amzn-ErrorType', errorType);
  res.end(text);
}
