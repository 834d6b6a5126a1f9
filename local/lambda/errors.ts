/**
 * Errors of the local Lambda host, named as the Lambda API names them, so that callers (the bus, the
 * HTTP API gateway, the Invoke endpoint) can decide on `name` exactly as they would on AWS.
 */

/** The function does not exist (Lambda's 404 ResourceNotFoundException). */
export class ResourceNotFoundException extends Error {
  override name = 'ResourceNotFoundException' as const;
  readonly statusCode = 404;
}

/** The host is stopping or stopped and accepts no more invocations (Lambda's 503 ServiceException). */
export class ServiceException extends Error {
  override name = 'ServiceException' as const;
  readonly statusCode = 503;
}

/**
 * The handler failed: it threw, timed out, ran out of memory or could not be loaded. Carries the
 * `errorType`/`errorMessage` pair that Lambda returns with `X-Amz-Function-Error: Unhandled`.
 */
export class FunctionError extends Error {
  override name = 'FunctionError' as const;
  readonly errorType: string;
  readonly errorMessage: string;
  readonly trace: string[];

  constructor(errorType: string, errorMessage: string, trace: string[] = []) {
    super(`${errorType}: ${errorMessage}`);
    this.errorType = errorType;
    this.errorMessage = errorMessage;
    this.trace = trace;
  }

  toPayload(): { errorType: string; errorMessage: string; trace: string[] } {
    return { errorType: this.errorType, errorMessage: this.errorMessage, trace: this.trace };
  }
}
