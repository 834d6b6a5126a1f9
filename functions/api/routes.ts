/**
 * Every route of the API, each defined once (schemas + handler), and the OpenAPI document generated
 * from them and the route table.
 */

import { definePublicRoute, type RouteDefinition, reply } from '../../shared/runtime/http.ts';
import { openApiDocument } from '../../shared/runtime/http-openapi.ts';
import { failureRoutes } from './failures.ts';
import { interviewRoutes } from './interviews.ts';
import { metricsRoutes } from './metrics.ts';
import { opsRoutes } from './ops.ts';
import { participantRoutes } from './participants.ts';
import { placeRoutes } from './places.ts';
import { processRoutes } from './processes.ts';
import { publicRoutes } from './public.ts';
import { resultRoutes } from './results.ts';
import { apiRoutes } from './route-table.ts';
import { workshopRoutes } from './workshops.ts';

const openApiRoute = definePublicRoute({
  operationId: 'getOpenApi',
  tag: 'public',
  method: 'GET',
  path: '/openapi.json',
  response: { status: 200, description: 'This document' },
  handle: async () => reply.ok(openApi()),
});

export const routes: readonly RouteDefinition[] = [
  openApiRoute,
  ...publicRoutes,
  ...placeRoutes,
  ...processRoutes,
  ...participantRoutes,
  ...interviewRoutes,
  ...workshopRoutes,
  ...resultRoutes,
  ...opsRoutes,
  ...failureRoutes,
  ...metricsRoutes,
];

let document: Record<string, unknown> | undefined;
export function openApi(): Record<string, unknown> {
  document ??= openApiDocument({
    info: {
      title: 'samskapa API',
      version: '1',
      description:
        'Places, processes and their stages (Smarta Orter and sister methods): participants, interviews and recordings, workshops, results, plans, reflections, guides and tasks. The organisation and role come from the verified token claims only. Errors are application/problem+json.',
    },
    routes,
    table: apiRoutes,
  });
  return document;
}
