/**
 * Errors at the HTTP edge, as RFC 9457 problem details (`application/problem+json`):
 * `{ type, title, status, detail, errors: [{ path, message }] }`. Every error a route throws (bad input,
 * a typed domain error, a store conflict) becomes one here, at one place; anything unexpected is a
 * 500 that says nothing about the internals.
 *
 * Status codes:
 *  - 400 malformed input (zod field errors; nothing was written), an unknown method or parameter;
 *  - 401 no verified claims on a protected route; 403 a role the route table does not list;
 *  - 404 the resource in the path does not exist (for the caller's organisation);
 *  - 409 the process is not in a state that allows it (wrong stage, already done, not ready, completed,
 *    no manual completion, a concurrent change);
 *  - 422 well-formed, but what the body refers to does not allow it (missing recording consent, an
 *    unknown place or user in the body).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from 'zod';
import { DomainError, type DomainErrorCode } from '../domain/errors.ts';
import { PlaceExistsError } from '../store/directory.ts';
import { VersionConflictError } from '../store/process-store.ts';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const PROBLEM_BASE = 'https://samskapa.dev/problems/';

export interface FieldError {
  /** Where: `body.owner.sector`, `query.limit`, `path.processId`. */
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors: FieldError[];
}

export type HttpResult = APIGatewayProxyStructuredResultV2 & { statusCode: number; body: string };

/** An error that already knows its HTTP answer. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly status: number;
  readonly title: string;
  readonly slug: string;
  readonly errors: FieldError[];
  constructor(status: number, slug: string, title: string, detail: string, errors: FieldError[] = []) {
    super(detail);
    this.status = status;
    this.slug = slug;
    this.title = title;
    this.errors = errors;
  }

  static from(problem: Problem): HttpProblem {
    const slug = problem.type.startsWith(PROBLEM_BASE) ? problem.type.slice(PROBLEM_BASE.length) : 'problem';
    return new HttpProblem(problem.status, slug, problem.title, problem.detail, problem.errors);
  }

  toProblem(): Problem {
    return {
      type: PROBLEM_BASE + this.slug,
      title: this.title,
      status: this.status,
      detail: this.message,
      errors: this.errors,
    };
  }
}

export const problems = {
  validation: (errors: FieldError[], detail = 'The request has invalid fields; nothing was changed.') =>
    new HttpProblem(400, 'validation', 'Invalid request', detail, errors),
  unauthorized: (detail = 'The request carries no verified identity.') =>
    new HttpProblem(401, 'unauthorized', 'Unauthorized', detail),
  forbidden: (detail: string) => new HttpProblem(403, 'forbidden', 'Forbidden', detail),
  notFound: (detail: string) => new HttpProblem(404, 'not-found', 'Not found', detail),
  conflict: (slug: string, title: string, detail: string) => new HttpProblem(409, slug, title, detail),
  unsupportedMediaType: (detail: string) =>
    new HttpProblem(415, 'unsupported-media-type', 'Unsupported media type', detail),
  unprocessable: (slug: string, title: string, detail: string, errors: FieldError[] = []) =>
    new HttpProblem(422, slug, title, detail, errors),
};

/** Every domain error code and its one HTTP status. */
export const domainErrorStatus: Record<DomainErrorCode, { status: number; title: string }> = {
  NotFound: { status: 404, title: 'Not found' },
  WrongStage: { status: 409, title: 'Wrong stage' },
  AlreadyDone: { status: 409, title: 'Already done' },
  NotReady: { status: 409, title: 'Not ready' },
  ProcessCompleted: { status: 409, title: 'Process completed' },
  ManualCompletionNotAllowed: { status: 409, title: 'Manual completion not allowed' },
  ConsentRequired: { status: 422, title: 'Consent required' },
  InvalidParameter: { status: 400, title: 'Invalid parameter' },
  UnknownMethod: { status: 400, title: 'Unknown method' },
  // A loop of events cannot start from a request; if it ever does, it is our fault.
  CausationDepthExceeded: { status: 500, title: 'Internal error' },
};

const kebab = (code: string) => code.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();

/** zod issues as field errors under a location prefix (`body`, `query`, `path`). */
export function fieldErrors(issues: readonly z.core.$ZodIssue[], location: string): FieldError[] {
  return issues.map((issue) => ({
    path: [location, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

/**
 * The problem an error stands for. `fields` names the request field a domain error is about (e.g.
 * InvalidParameter -> `body.overrides`) so the client sees where to look.
 */
export function toProblem(error: unknown, fields: Partial<Record<DomainErrorCode, string>> = {}): Problem {
  if (error instanceof HttpProblem) return error.toProblem();
  if (error instanceof DomainError) {
    const { status, title } = domainErrorStatus[error.code];
    if (status >= 500) return internalProblem();
    const field = fields[error.code];
    return new HttpProblem(
      status,
      kebab(error.code),
      title,
      error.message,
      field ? [{ path: field, message: error.message }] : [],
    ).toProblem();
  }
  if (error instanceof VersionConflictError) {
    return problems
      .conflict('concurrent-change', 'Concurrent change', 'The process changed meanwhile; try again.')
      .toProblem();
  }
  if (error instanceof PlaceExistsError) {
    return problems.conflict('place-exists', 'Place exists', error.message).toProblem();
  }
  return internalProblem();
}

function internalProblem(): Problem {
  return {
    type: `${PROBLEM_BASE}internal`,
    title: 'Internal error',
    status: 500,
    detail: 'Something went wrong on our side; it has been logged.',
    errors: [],
  };
}

export function problemResult(problem: Problem): HttpResult {
  return {
    statusCode: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' },
    body: JSON.stringify(problem),
  };
}

/**
 * Middy: turns whatever a route threw into problem+json. It sets the response instead of returning
 * early, so the middlewares after it (the logger's key reset) still run. 5xx are logged with the
 * error (ids and stack, never a request body); 4xx only by their type.
 */
export function problemDetails(logger: Logger): MiddlewareObj<unknown, HttpResult> {
  return {
    name: 'problemDetails',
    onError: (request) => {
      const error = request.error;
      const problem = toProblem(error);
      if (problem.status >= 500) logger.error('request failed', { status: problem.status, error });
      else logger.info('request refused', { status: problem.status, problem: problem.type });
      request.response = problemResult(problem);
    },
  };
}
