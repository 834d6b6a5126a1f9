/** API Gateway's route priority, pinned on the route table the local HTTP API uses. */
import { describe, expect, it } from 'vitest';
import { DuplicateRouteError, RouteTable } from '../../local/http-api/index.ts';

function table(...paths: string[]) {
  const routes = new RouteTable<string>();
  for (const path of paths) routes.add('GET', path, path);
  return routes;
}
const winner = (routes: RouteTable<string>, path: string) => routes.match('GET', path)?.route.target;

describe('route matching', () => {
  const routes = table(
    '/{proxy+}',
    '/orgs/{orgId}',
    '/orgs/me',
    '/orgs/{orgId}/places/{placeId}',
    '/orgs/{orgId}/{rest+}',
    '/',
  );

  it('picks the most specific route, segment by segment', () => {
    expect(winner(routes, '/orgs/me')).toBe('/orgs/me');
    expect(winner(routes, '/orgs/o1')).toBe('/orgs/{orgId}');
    expect(winner(routes, '/orgs/o1/places/p1')).toBe('/orgs/{orgId}/places/{placeId}');
    expect(winner(routes, '/orgs/o1/places/p1/extra')).toBe('/orgs/{orgId}/{rest+}');
    expect(winner(routes, '/elsewhere/deep/path')).toBe('/{proxy+}');
    expect(winner(routes, '/')).toBe('/');
  });

  it('gives greedy parameters the rest of the path and single parameters one non-empty segment', () => {
    expect(routes.match('GET', '/orgs/o1/a/b%2Fc')?.pathParameters).toEqual({ orgId: 'o1', rest: 'a/b/c' });
    expect(winner(table('/orgs/{orgId}'), '/orgs/')).toBeUndefined();
    expect(winner(table('/{proxy+}'), '/')).toBeUndefined();
  });

  it('is case-sensitive and method-specific', () => {
    expect(winner(table('/orgs/me'), '/Orgs/me')).toBeUndefined();
    expect(table('/orgs/me').match('POST', '/orgs/me')).toBeUndefined();
  });

  it('refuses the same route key twice and a greedy parameter that is not last', () => {
    expect(() => table('/a/{x}', '/a/{x}')).toThrow(DuplicateRouteError);
    expect(() => table('/a/{x+}/b')).toThrow(/last segment/);
  });
});
