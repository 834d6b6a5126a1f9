/**
 * How a local failure message looks through the SQS endpoint: exactly as the AWS service that fills the
 * queue on AWS writes it, so the operations code reads one shape on both sides.
 *
 * - A function's on-failure destination (`<function>-failures`): the body is Lambda's invocation record
 *   (`version`, `timestamp`, `requestContext`, `requestPayload` = the original event, `responseContext`,
 *   `responsePayload` = the error); no message attributes.
 * - A rule target's DLQ (`<rule>-dlq`): the body is the event itself; the message attributes are
 *   EventBridge's RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION and
 *   RETRY_ATTEMPTS.
 */
import { createHash } from 'node:crypto';
import type { FailureMessage } from '../queues/failure-queues.ts';

export interface MessageAttributeValue {
  DataType: 'String' | 'Number';
  StringValue: string;
}

/** Lambda's invocation record for an asynchronous invocation that failed every attempt. */
export interface LambdaFailureRecord {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: string;
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext: { statusCode: number; executedVersion: string; functionError: string };
  responsePayload: { errorType: string; errorMessage: string; trace: string[] };
}

export interface SqsView {
  body: string;
  messageAttributes: Record<string, MessageAttributeValue>;
}

export function sqsView(message: FailureMessage): SqsView {
  const { origin } = message.attributes;
  if (origin.kind === 'function') {
    const record: LambdaFailureRecord = {
      version: '1.0',
      timestamp: message.attributes.lastAttemptAt,
      requestContext: {
        requestId: origin.requestId,
        // Lambda names the version it invoked; the local runtime only has $LATEST.
        functionArn: `${origin.functionArn}:$LATEST`,
        condition: message.attributes.condition,
        approximateInvokeCount: message.attributes.attempts,
      },
      requestPayload: message.body,
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      responsePayload: {
        errorType: message.attributes.errorType,
        errorMessage: message.attributes.errorMessage,
        trace: [],
      },
    };
    return { body: JSON.stringify(record), messageAttributes: {} };
  }
  const text = (value: string): MessageAttributeValue => ({ DataType: 'String', StringValue: value });
  return {
    body: JSON.stringify(message.body),
    messageAttributes: {
      RULE_ARN: text(origin.ruleArn),
      TARGET_ARN: text(origin.targetArn),
      ERROR_CODE: text(eventBridgeErrorCode(message.attributes.errorType)),
      ERROR_MESSAGE: text(`${message.attributes.errorType}: ${message.attributes.errorMessage}`),
      EXHAUSTED_RETRY_CONDITION: text(message.attributes.condition),
      // EventBridge counts the retries, not the first attempt.
      RETRY_ATTEMPTS: text(String(Math.max(0, message.attributes.attempts - 1))),
    },
  };
}

/**
 * EventBridge's DLQ error codes for what the local bus can meet when it invokes a function: the
 * Lambda API's exception names mapped to the codes EventBridge writes for them.
 */
export function eventBridgeErrorCode(errorType: string): string {
  if (errorType === 'ResourceNotFoundException') return 'NO_RESOURCE';
  if (/Throttl|TooManyRequests/.test(errorType)) return 'THROTTLING';
  if (/AccessDenied|NotAuthorized|Forbidden/.test(errorType)) return 'NO_PERMISSIONS';
  if (/Timeout|TimedOut/i.test(errorType)) return 'TIMEOUT';
  if (/ECONNREFUSED|ECONNRESET|Connection/i.test(errorType)) return 'CONNECTION_FAILURE';
  return 'SDK_CLIENT_ERROR';
}

export const md5Hex = (text: string | Buffer): string => createHash('md5').update(text).digest('hex');

/** SQS's MD5OfMessageAttributes: name, data type, transport type (1 = string) and value, by name. */
export function md5OfMessageAttributes(attributes: Record<string, MessageAttributeValue>): string {
  const length = (bytes: Buffer) => {
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(bytes.length);
    return [prefix, bytes];
  };
  const parts: Buffer[] = [];
  for (const name of Object.keys(attributes).sort()) {
    const value = attributes[name];
    if (!value) continue;
    parts.push(
      ...length(Buffer.from(name, 'utf8')),
      ...length(Buffer.from(value.DataType, 'utf8')),
      Buffer.from([1]),
      ...length(Buffer.from(value.StringValue, 'utf8')),
    );
  }
  return md5Hex(Buffer.concat(parts));
}

/** `All`, `.*`, exact names and `prefix.*`, as SQS matches MessageAttributeNames. */
export function selectAttributes(
  attributes: Record<string, MessageAttributeValue>,
  requested: readonly string[],
): Record<string, MessageAttributeValue> {
  const wanted = (name: string) =>
    requested.some(
      (pattern) =>
        pattern === 'All' ||
        pattern === '.*' ||
        pattern === name ||
        (pattern.endsWith('.*') && name.startsWith(pattern.slice(0, -1))),
    );
  return Object.fromEntries(Object.entries(attributes).filter(([name]) => wanted(name)));
}
