/**
 * API Gateway HTTP API payload format 2.0, both ways: an HTTP request becomes the event a Lambda
 * function receives, and what the function returns becomes the HTTP response.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
} from 'aws-lambda';
import type { AuthorizerClaims } from './auth.ts';

export type HttpApiEvent = APIGatewayProxyEventV2 | APIGatewayProxyEventV2WithJWTAuthorizer;

export interface RequestFacts {
  method: string;
  /** Path and query exactly as sent (percent-encoding kept). */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  sourceIp: string;
  httpVersion: string;
  routeKey: string;
  pathParameters: Record<string, string>;
  /** Present for routes behind the JWT authorizer, absent for public ones (as on AWS). */
  jwt?: { claims: AuthorizerClaims; scopes: string[] | null };
  now: number;
  accountId: string;
  apiId: string;
}

/**
 * API Gateway passes bodies as text only for these content types (checked against AWS by others,
 * see ministack PR #766); everything else, including no content type and form posts, is base64.
 */
export function isTextContentType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type === 'application/json' ||
    type === 'application/xml' ||
    type === 'application/javascript'
  );
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** requestContext.time is in Common Log Format: 12/Mar/2020:19:03:58 +0000. */
export function clfTime(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

export function toHttpApiEvent(request: RequestFacts): HttpApiEvent {
  const queryStart = request.url.indexOf('?');
  const rawPath = queryStart === -1 ? request.url : request.url.slice(0, queryStart);
  const rawQueryString = queryStart === -1 ? '' : request.url.slice(queryStart + 1);

  // Duplicate headers and query parameters are joined with commas; cookies get their own field.
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const joined = Array.isArray(value) ? value.join(',') : value;
    if (name === 'cookie') {
      cookies = joined
        .split(/;\s*/)
        .map((cookie) => cookie.trim())
        .filter(Boolean);
    } else {
      headers[name] = joined;
    }
  }
  headers['x-forwarded-for'] = request.sourceIp;
  headers['x-forwarded-proto'] = 'http';

  let queryStringParameters: Record<string, string> | undefined;
  if (rawQueryString) {
    queryStringParameters = {};
    for (const pair of rawQueryString.split('&')) {
      if (!pair) continue;
      const separator = pair.indexOf('=');
      const name = decode(separator === -1 ? pair : pair.slice(0, separator));
      const value = separator === -1 ? '' : decode(pair.slice(separator + 1));
      const previous = queryStringParameters[name];
      queryStringParameters[name] = previous === undefined ? value : `${previous},${value}`;
    }
  }

  const text = isTextContentType(request.headers['content-type']);
  const hasBody = request.body.length > 0;
  const domainName = (request.headers.host ?? '127.0.0.1').replace(/:\d+$/, '');
  const requestContext = {
    accountId: request.accountId,
    apiId: request.apiId,
    domainName,
    domainPrefix: domainName.split('.')[0] ?? domainName,
    http: {
      method: request.method,
      path: rawPath,
      protocol: `HTTP/${request.httpVersion}`,
      sourceIp: request.sourceIp,
      userAgent: request.headers['user-agent'] ?? '',
    },
    requestId: randomBytes(10).toString('base64'),
    routeKey: request.routeKey,
    stage: '$default',
    time: clfTime(request.now),
    timeEpoch: request.now,
  };
  const event = {
    version: '2.0',
    routeKey: request.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    ...(Object.keys(request.pathParameters).length > 0 ? { pathParameters: request.pathParameters } : {}),
    ...(hasBody ? { body: text ? request.body.toString('utf8') : request.body.toString('base64') } : {}),
    isBase64Encoded: hasBody && !text,
  };
  // Public routes have no authorizer on AWS, so their events carry none.
  return request.jwt
    ? { ...event, requestContext: { ...requestContext, authorizer: { jwt: request.jwt } } }
    : { ...event, requestContext };
}

export interface HttpResponseParts {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
  body: Buffer;
}

export class InvalidLambdaResponseError extends Error {
  override name = 'InvalidLambdaResponseError';
}

/**
 * Format 2.0 response rules: an object with `statusCode` is a structured response; anything else
 * (an object without statusCode, a string, a number) is taken as the JSON body of a 200 response.
 */
export function fromLambdaResult(result: unknown): HttpResponseParts {
  if (isStructured(result)) {
    const statusCode = result.statusCode;
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
      throw new InvalidLambdaResponseError(`statusCode ${statusCode} is not an HTTP status`);
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(result.headers ?? {}))
      headers[name.toLowerCase()] = String(value);
    const body = result.body ?? '';
    if (typeof body !== 'string') throw new InvalidLambdaResponseError('body must be a string');
    return {
      statusCode,
      headers,
      cookies: result.cookies ?? [],
      body: result.isBase64Encoded ? Buffer.from(body, 'base64') : Buffer.from(body, 'utf8'),
    };
  }
  // Lambda serialises the returned value as JSON; API Gateway passes that JSON on as the body.
  const json = result === undefined ? 'null' : JSON.stringify(result);
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    cookies: [],
    body: Buffer.from(json),
  };
}

function isStructured(result: unknown): result is APIGatewayProxyStructuredResultV2 & { statusCode: number } {
  return typeof result === 'object' && result !== null && 'statusCode' in result;
}
