/**
 * SES v2 errors as the REST-JSON protocol carries them: the status, `x-amzn-ErrorType` naming the
 * exception, and `{ "message": ... }`. The SDK throws an exception of that name.
 */
import type { ServerResponse } from 'node:http';

const STATUS: Record<string, number> = {
  BadRequestException: 400,
  MessageRejected: 400,
  NotFoundException: 404,
  UnknownOperationException: 404,
  InternalFailure: 500,
};

export class SesError extends Error {
  readonly type: string;

  constructor(type: string, message: string) {
    super(message);
    this.name = type;
    this.type = type;
  }

  get status(): number {
    return STATUS[this.type] ?? 400;
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
