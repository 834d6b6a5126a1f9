/**
 * Lambda's Invoke API over HTTP (`POST /2015-03-31/functions/{name}/invocations`), so that
 * `aws lambda invoke --endpoint-url ...` and the SDK's Lambda client can reach the local functions:
 * `X-Amz-Invocation-Type` RequestResponse (200, `X-Amz-Function-Error: Unhandled` when the handler
 * fails), Event (202) or DryRun (204); errors in the REST-JSON shape Lambda uses.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FunctionError, ResourceNotFoundException, ServiceException } from './errors.ts';
import type { LambdaHost } from './host.ts';

/** Lambda's request payload limit for synchronous invocations (6 MB). */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export interface InvokeApi {
  endpoint: string;
  stop(): Promise<void>;
}

export async function startLambdaInvokeApi(
  host: LambdaHost,
  options: { port?: number; hostname?: string } = {},
): Promise<InvokeApi> {
  const server = createServer((request, response) => {
    handle(host, request, response).catch((error: unknown) => {
      sendError(response, 500, 'ServiceException', (error as Error).message);
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.hostname ?? '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => close(server) };
}

async function handle(host: LambdaHost, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  const match = INVOKE_PATH.exec(path);
  if (request.method !== 'POST' || !match?.[1]) {
    sendError(response, 404, 'UnknownOperationException', `No Lambda operation at ${request.method} ${path}`);
    return;
  }
  const functionName = decodeURIComponent(match[1]);
  const body = await readBody(request);
  if (body === undefined) {
    sendError(
      response,
      413,
      'RequestTooLargeException',
      'Request must be smaller than 6291456 bytes for the InvokeFunction operation',
    );
    return;
  }
  let event: unknown = {};
  if (body.length > 0) {
    try {
      event = JSON.parse(body.toString('utf8'));
    } catch {
      sendError(response, 400, 'InvalidRequestContentException', 'Could not parse request body into json');
      return;
    }
  }
  const invocationType = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
  try {
    if (invocationType === 'Event') {
      const { requestId } = await host.invokeAsync(functionName, event);
      response.writeHead(202, { 'x-amzn-RequestId': requestId, 'Content-Length': 0 }).end();
    } else if (invocationType === 'DryRun') {
      host.environmentOf(functionName);
      response.writeHead(204, { 'x-amzn-RequestId': randomUUID(), 'Content-Length': 0 }).end();
    } else if (invocationType === 'RequestResponse') {
      const payload = await host.invokeSync(functionName, event);
      send(response, 200, JSON.stringify(payload), { 'X-Amz-Executed-Version': '$LATEST' });
    } else {
      sendError(
        response,
        400,
        'InvalidParameterValueException',
        `Unsupported invocation type ${invocationType}`,
      );
    }
  } catch (error) {
    if (error instanceof FunctionError) {
      send(response, 200, JSON.stringify(error.toPayload()), {
        'X-Amz-Function-Error': 'Unhandled',
        'X-Amz-Executed-Version': '$LATEST',
      });
    } else if (error instanceof ResourceNotFoundException || error instanceof ServiceException) {
      sendError(response, error.statusCode, error.name, error.message);
    } else throw error;
  }
}

function send(
  response: ServerResponse,
  status: number,
  body: string,
  headers: Record<string, string> = {},
): void {
  response
    .writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
      'x-amzn-RequestId': randomUUID(),
      ...headers,
    })
    .end(body);
}

function sendError(response: ServerResponse, status: number, type: string, message: string): void {
  if (response.headersSent) return;
  send(response, status, JSON.stringify({ Type: 'User', message }), { 'x-amzn-ErrorType': type });
}

async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_PAYLOAD_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function close(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}
