/**
 * The API's one declaration, many readers: every route of the table is defined once, the OpenAPI
 * document is generated from those definitions, and docs/openapi.json is that document (run
 * `node functions/api/generate-openapi.ts` when this fails).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { apiRoutes } from '../../functions/api/route-table.ts';
import { openApi, routes } from '../../functions/api/routes.ts';
import { topology } from '../../functions/topology.ts';

const doc = openApi() as {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
};
const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, operation]) => ({ path, method: method.toUpperCase(), operation })),
);

describe('routes and the route table', () => {
  it('every table entry has exactly one definition, and every definition an entry', () => {
    const table = apiRoutes.map((r) => `${r.method} ${r.path}`).sort();
    expect(routes.map((r) => r.routeKey).sort()).toEqual(table);
    expect(new Set(table).size).toBe(table.length);
  });

  it('public definitions are exactly the public entries', () => {
    const publicEntries = apiRoutes.filter((r) => r.auth === 'none').map((r) => `${r.method} ${r.path}`);
    expect(
      routes
        .filter((r) => r.public)
        .map((r) => r.routeKey)
        .sort(),
    ).toEqual(publicEntries.sort());
  });

  it('the api function is triggered by exactly the table’s routes', () => {
    const api = topology.find((fn) => fn.name === 'api');
    const triggers = api?.triggers.flatMap((t) =>
      t.kind === 'http' ? [`${t.method} ${t.path} ${t.auth}`] : [],
    );
    expect(triggers?.sort()).toEqual(apiRoutes.map((r) => `${r.method} ${r.path} ${r.auth}`).sort());
  });
});

describe('the OpenAPI document', () => {
  it('docs/openapi.json is the generated document', () => {
    const written = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'));
    expect(written, 'docs/openapi.json drifted: run node functions/api/generate-openapi.ts').toEqual(doc);
  });

  it('is OpenAPI 3.1 with one operation per route, unique operation ids and every path parameter described', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(operations).toHaveLength(apiRoutes.length);
    const ids = operations.map((o) => o.operation.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, operation } of operations) {
      const declared = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const described = ((operation.parameters ?? []) as { name: string; in: string; required: boolean }[])
        .filter((p) => p.in === 'path')
        .map((p) => p.name);
      expect(described, path).toEqual(declared);
    }
  });

  it('says who may call what: public routes opt out of the JWT, the others list their roles', () => {
    for (const entry of apiRoutes) {
      const operation = doc.paths[entry.path]?.[entry.method.toLowerCase()];
      if (entry.auth === 'none') expect(operation?.security, entry.path).toEqual([]);
      else expect(operation?.['x-roles'], entry.path).toEqual(entry.roles);
      expect(operation?.summary).toBe(entry.summary);
    }
  });

  it('documents request bodies from the zod schemas, and errors as problem+json', () => {
    const start = doc.paths['/processes']?.post as {
      requestBody: { content: { 'application/json': { schema: { required: string[] } } } };
      responses: Record<string, unknown>;
    };
    expect(start.requestBody.content['application/json'].schema.required).toEqual([
      'placeId',
      'facilitators',
    ]);
    expect(Object.keys(start.responses)).toEqual(['201', '400', '401', '403', '404', '500']);
    const csv = doc.paths['/places/import']?.post as { requestBody: { content: Record<string, unknown> } };
    expect(Object.keys(csv.requestBody.content)).toEqual(['text/csv']);
  });
});
