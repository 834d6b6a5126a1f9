/**
 * The API function: API Gateway HTTP API (payload 2.0) -> the route the event's routeKey names.
 * The route table (route-table.ts) says who may call what; routes.ts defines each route once.
 */
import { httpApi } from '../../shared/runtime/http.ts';
import { apiRoutes } from './route-table.ts';
import { routes } from './routes.ts';

export const handler = httpApi({ name: 'api', routes, table: apiRoutes });
