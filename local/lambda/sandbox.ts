/**
 * The inside of one execution environment (a Lambda "sandbox"): runs in its own worker thread with
 * its own `process.env`, loads the handler module once (the cold start) and then serves one
 * invocation at a time, as Lambda does. The host (host.ts) owns timeouts and retries; this file only
 * calls the handler and reports what happened in the shape of the Lambda runtime API.
 */
import { parentPort, workerData } from 'node:worker_threads';

export interface SandboxData {
  functionName: string;
  functionArn: string;
  memoryMb: number;
  /** file: URL of the handler module (source or bundle). */
  moduleUrl: string;
}

export type SandboxRequest = { type: 'invoke'; requestId: string; event: unknown; deadline: number };

export type SandboxResponse =
  | { type: 'result'; requestId: string; payload: unknown }
  | { type: 'error'; requestId: string; errorType: string; errorMessage: string; trace: string[] };

type Handler = (event: unknown, context: LambdaContext) => unknown;

export interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

const data = workerData as SandboxData;
const port = parentPort;
if (!port) throw new Error('sandbox.ts runs inside a worker thread started by the Lambda host');

let handlerPromise: Promise<Handler> | undefined;

class RuntimeError extends Error {
  constructor(name: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = name;
  }
}

async function loadHandler(): Promise<Handler> {
  let module: Record<string, unknown>;
  try {
    module = (await import(data.moduleUrl)) as Record<string, unknown>;
  } catch (error) {
    throw new RuntimeError('Runtime.ImportModuleError', `Error: ${describe(error)}`, { cause: error });
  }
  // An ESM bundle exports `handler`; a CommonJS bundle arrives as `default.handler`.
  const fromDefault = (module.default as Record<string, unknown> | undefined)?.handler;
  const handler = module.handler ?? fromDefault;
  if (typeof handler !== 'function') {
    throw new RuntimeError(
      'Runtime.HandlerNotFound',
      `${data.moduleUrl} does not export a function named handler`,
    );
  }
  return handler as Handler;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function toResponse(requestId: string, error: unknown): SandboxResponse {
  if (error instanceof Error) {
    return {
      type: 'error',
      requestId,
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  return { type: 'error', requestId, errorType: typeof error, errorMessage: String(error), trace: [] };
}

port.on('message', async (request: SandboxRequest) => {
  if (request.type !== 'invoke') return;
  const context: LambdaContext = {
    awsRequestId: request.requestId,
    functionName: data.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: data.functionArn,
    memoryLimitInMB: String(data.memoryMb),
    logGroupName: `/aws/lambda/${data.functionName}`,
    logStreamName: `local/[$LATEST]${process.pid}`,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, request.deadline - Date.now()),
  };
  let response: SandboxResponse;
  try {
    handlerPromise ??= loadHandler();
    const handler = await handlerPromise;
    const result = await handler(request.event, context);
    // Lambda returns the JSON serialisation of the result, so do the same: Dates become strings,
    // functions and undefined fields vanish, and the caller never sees a live object.
    const payload = result === undefined ? null : (JSON.parse(JSON.stringify(result)) as unknown);
    response = { type: 'result', requestId: request.requestId, payload };
  } catch (error) {
    response = toResponse(request.requestId, error);
  }
  port.postMessage(response);
});
