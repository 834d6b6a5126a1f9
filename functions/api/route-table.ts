/**
 * The route table: every HTTP route of the API, who may call it, and nothing else (no handler code),
 * so the topology, the CDK stack, the local gateway and the OpenAPI document all read one list.
 * A route that is not here does not exist; a role that is not listed is denied.
 */
import type { Role } from '../../events/vocabulary.ts';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteDeclaration {
  method: HttpMethod;
  path: string;
  /** 'none' only for what must be reachable without an account: the OpenAPI document, links in emails, published guides. */
  auth: 'jwt' | 'none';
  /** Roles allowed (from the verified claims); empty for public routes. */
  roles: readonly Role[];
  summary: string;
}

const staff: Role[] = ['coordinator', 'facilitator'];
const everyone: Role[] = ['coordinator', 'facilitator', 'ops'];
/** The operations routes: the ops role, and coordinators may read them too. */
const operations: Role[] = ['ops', 'coordinator'];
const r = (method: HttpMethod, path: string, roles: readonly Role[], summary: string): RouteDeclaration => ({
  method,
  path,
  auth: 'jwt',
  roles,
  summary,
});
const open = (method: HttpMethod, path: string, summary: string): RouteDeclaration => ({
  method,
  path,
  auth: 'none',
  roles: [],
  summary,
});

export const apiRoutes: readonly RouteDeclaration[] = [
  open('GET', '/openapi.json', 'The OpenAPI 3.1 document of this API'),
  open('GET', '/unsubscribe/{token}', 'Stop emails to a participant (the link in every participant email)'),
  open('POST', '/unsubscribe/{token}', 'One-click unsubscribe (RFC 8058: List-Unsubscribe-Post)'),
  open('GET', '/guides/{orgId}/{placeId}', 'A published guide, at its stable link'),
  open('GET', '/reports/{token}', 'The results report of a place (the link in the results email)'),
  r('GET', '/places', everyone, 'List the places of the organisation'),
  r('POST', '/places', ['coordinator'], 'Register a place'),
  r(
    'POST',
    '/places/import',
    ['coordinator'],
    'Import places from CSV (name, municipality, region, population)',
  ),
  r('GET', '/places/{placeId}', everyone, 'Get a place'),
  r('POST', '/users', ['coordinator'], 'Add a facilitator, coordinator or operations user'),
  r('POST', '/processes', staff, 'Start a method for a place'),
  r('GET', '/processes', everyone, 'The board: processes by stage across places'),
  r('GET', '/processes/{processId}', everyone, 'A process: state, stage, counters, open tasks'),
  r('GET', '/processes/{processId}/timeline', everyone, 'Every event of a process, in order'),
  r(
    'POST',
    '/processes/{processId}/stages/{stage}/complete',
    staff,
    'Complete a stage by hand, with a reason',
  ),
  r('POST', '/processes/{processId}/stages/{stage}/confirm', staff, 'Confirm a stage is ready to close'),
  r('POST', '/processes/{processId}/participants', staff, 'Register a participant with consent'),
  r('DELETE', '/processes/{processId}/participants/{participantId}', staff, 'Erase a participant (GDPR)'),
  r('POST', '/processes/{processId}/interviews', staff, 'Register an interview (needs recording consent)'),
  r(
    'POST',
    '/processes/{processId}/interviews/{interviewId}/upload',
    staff,
    'Get presigned upload URLs for a recording',
  ),
  r(
    'POST',
    '/processes/{processId}/interviews/{interviewId}/upload/complete',
    staff,
    'Complete a multipart recording upload',
  ),
  r('PUT', '/processes/{processId}/interviews/{interviewId}/summary', staff, 'Submit the interview summary'),
  r('POST', '/processes/{processId}/workshops', staff, 'Schedule a workshop'),
  r(
    'POST',
    '/processes/{processId}/workshops/{workshopId}/close',
    staff,
    'Close a workshop: attendance and ideas',
  ),
  r('POST', '/processes/{processId}/plans', staff, 'Propose a plan'),
  r('POST', '/processes/{processId}/plans/{planId}/approve', staff, 'Approve a plan'),
  r('POST', '/processes/{processId}/plans/{planId}/progress', staff, 'Report progress on a plan'),
  r('POST', '/processes/{processId}/plans/{planId}/complete', staff, 'Complete a plan'),
  r('POST', '/processes/{processId}/reflections', staff, 'Record the seven reflection questions'),
  r('GET', '/processes/{processId}/results', everyone, 'Compiled results and links to the report files'),
  r('GET', '/processes/{processId}/guide', everyone, 'The generated guide'),
  r('POST', '/processes/{processId}/guide/publish', staff, 'Publish the guide at its stable link'),
  r('GET', '/processes/{processId}/tasks', everyone, 'Tasks of a process'),
  r('POST', '/processes/{processId}/tasks/{taskId}/complete', staff, 'Complete a task'),
  r('GET', '/tasks/mine', everyone, 'My open tasks, soonest due first'),
  r('GET', '/ops/events', operations, 'The events of the organisation in time order, after an event id'),
  r(
    'GET',
    '/ops/board',
    operations,
    'Every process as a row: stage, time in stage, tasks, last event, stuck, failed',
  ),
  r('GET', '/ops/processes/{processId}/trace', operations, 'The timeline of a process as a causal graph'),
  r(
    'GET',
    '/ops/failures',
    operations,
    'Every failure queue: its depth and its messages with the consumer, the error and the event',
  ),
  r(
    'POST',
    '/ops/failures/{queue}/redrive',
    operations,
    "Redrive a failure queue's messages to its one consumer, then delete them",
  ),
  r(
    'GET',
    '/ops/metrics',
    operations,
    'Events and emails per minute of the organisation; invocations, errors and durations of every function',
  ),
];
