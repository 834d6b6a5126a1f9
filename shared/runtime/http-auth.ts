/**
 * Who is calling: the organisation, role and user come only from the claims the JWT authorizer
 * verified (API Gateway on AWS, the local gateway here), never from the path, query or body. The route
 * table decides which roles may call a route.
 */
import { Id } from '../../events/envelope.ts';
import { Role } from '../../events/vocabulary.ts';
import { problems } from './http-problem.ts';

/** The claims a token carries (a Cognito user pool can carry the same). */
export const CLAIMS = { orgId: 'custom:orgId', role: 'custom:role', userId: 'sub' } as const;

export interface Caller {
  orgId: string;
  role: Role;
  /** The token's subject: the user id tasks are assigned to and actors are named by. */
  userId: string;
}

export type JwtClaims = Record<string, string | number | boolean | string[]>;

export interface RouteAccess {
  auth: 'jwt' | 'none';
  roles: readonly Role[];
}

/** The verified caller; 401 without claims, 403 when the claims do not name an organisation and role. */
export function callerFrom(claims: JwtClaims | undefined): Caller {
  if (!claims) throw problems.unauthorized();
  const orgId = Id.safeParse(claims[CLAIMS.orgId]);
  const role = Role.safeParse(claims[CLAIMS.role]);
  const userId = claims[CLAIMS.userId];
  if (!orgId.success) throw problems.forbidden('The token names no organisation.');
  if (!role.success) throw problems.forbidden('The token names no known role.');
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > 128)
    throw problems.forbidden('The token names no user.');
  return { orgId: orgId.data, role: role.data, userId };
}

/** The caller of a protected route whose roles include theirs; undefined for public routes. */
export function authorize(access: RouteAccess, claims: JwtClaims | undefined): Caller | undefined {
  if (access.auth === 'none') return undefined;
  const caller = callerFrom(claims);
  if (!access.roles.includes(caller.role))
    throw problems.forbidden(`The role ${caller.role} may not call this route.`);
  return caller;
}
