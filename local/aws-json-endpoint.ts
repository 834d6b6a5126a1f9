/**
 * The request side of a local service that speaks AWS's JSON 1.0 protocol (SQS, CloudWatch): POST
 * with `X-Amz-Target: <prefix><Operation>`, a JSON object body, a JSON answer, and errors as the SDK
 * reads them (`__type` picks the exception class; `x-amzn-query-error` carries the awsQuery code the
 * service also sends).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** An error the service answers with (anything else is a bug and propagates). */
export interface AwsJsonError extends Error {
  statusCode: number;
  /** The awsQuery code, when the service sends one. */
  queryCode?: string | undefined;
}

export interface AwsJsonEndpoint {
  /** `AmazonSQS.`, `GraniteServiceVersion20100801.` */
  targetPrefix: string;
  /** The Smithy namespace of `__type`, e.g. `com.amazonaws.sqs`. */
  namespace: string;
  maxRequestBytes: number;
  isServiceError(error: unknown): error is AwsJsonError;
  /** The service's errors for a request that is not its protocol, and for a malformed input. */
  unknownOperation(message: string): AwsJsonError;
  invalidInput(message: string): AwsJsonError;
  call(operation: string, input: Record<string, unknown>): unknown;
}

export function awsJsonHandler(endpoint: AwsJsonEndpoint) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const target = String(request.headers['x-amz-target'] ?? '');
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= endpoint.maxRequestBytes) chunks.push(chunk);
    }
    try {
      if (request.method !== 'POST' || !target.startsWith(endpoint.targetPrefix))
        throw endpoint.unknownOperation(
          `This local endpoint speaks the JSON protocol only (X-Amz-Target: ${endpoint.targetPrefix}<Operation>).`,
        );
      if (size > endpoint.maxRequestBytes) throw endpoint.invalidInput('The request is too large.');
      let input: unknown = {};
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim()) {
        try {
          input = JSON.parse(text);
        } catch {
          throw endpoint.invalidInput('The request body is not valid JSON.');
        }
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        throw endpoint.invalidInput('The request body must be a JSON object.');
      const output = await endpoint.call(
        target.slice(endpoint.targetPrefix.length),
        input as Record<string, unknown>,
      );
      send(response, 200, output, requestId);
    } catch (error) {
      if (!endpoint.isServiceError(error)) throw error;
      send(
        response,
        error.statusCode,
        { __type: `${endpoint.namespace}#${error.name}`, message: error.message },
        requestId,
        error.queryCode ? { 'x-amzn-query-error': `${error.queryCode};Sender` } : {},
      );
    }
  };
}

function send(
  response: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  response
    .writeHead(status, {
      'Content-Type': 'application/x-amz-json-1.0',
      'Content-Length': Buffer.byteLength(text),
      'x-amzn-RequestId': requestId,
      ...headers,
    })
    .end(text);
}
