/**
 * Places and users: the organisation's directory. Place ids come from their names (slugged, made
 * unique with -2, -3...); a place with the same name in the same municipality is the same place, so
 * a CSV import can be run again without duplicating anything.
 */
import * as z from 'zod';
import { Locale } from '../../events/vocabulary.ts';
import { defineRoute, reply } from '../../shared/runtime/http.ts';
import { problems } from '../../shared/runtime/http-problem.ts';
import { type Place, PlaceExistsError } from '../../shared/store/directory.ts';
import { parseCsv } from './csv.ts';
import { slug } from './names.ts';
import { directory } from './process.ts';
import { Email, Id, Text } from './schemas.ts';

const Population = z.number().int().min(0).max(100_000_000);
export const PlaceInput = z.object({
  name: Text(120),
  municipality: Text(120),
  region: Text(120),
  population: Population.optional(),
});
type PlaceInput = z.infer<typeof PlaceInput>;

const PlaceView = PlaceInput.extend({ placeId: Id, createdAt: z.iso.datetime() });

const samePlace = (a: Pick<Place, 'name' | 'municipality'>, b: PlaceInput) =>
  a.name.trim().toLocaleLowerCase('sv') === b.name.toLocaleLowerCase('sv') &&
  a.municipality.trim().toLocaleLowerCase('sv') === b.municipality.toLocaleLowerCase('sv');

/** Creates the place under the first free id its name gives, unless the same place is there already. */
async function createPlace(
  orgId: string,
  input: PlaceInput,
): Promise<{ created: Place } | { existing: Place }> {
  const base = slug(input.name);
  for (let n = 1; n <= 100; n++) {
    const placeId = n === 1 ? base : `${base}-${n}`;
    const place: Place = {
      placeId,
      name: input.name,
      municipality: input.municipality,
      region: input.region,
      ...(input.population !== undefined ? { population: input.population } : {}),
      createdAt: new Date().toISOString(),
    };
    try {
      await directory().createPlace(orgId, place);
      return { created: place };
    } catch (error) {
      if (!(error instanceof PlaceExistsError)) throw error;
      const existing = await directory().place(orgId, placeId);
      if (existing && samePlace(existing, input)) return { existing };
    }
  }
  throw problems.conflict('place-exists', 'Place exists', `Too many places are named ${base}.`);
}

const headerNames: Record<string, keyof PlaceInput> = {
  name: 'name',
  namn: 'name',
  nimi: 'name',
  municipality: 'municipality',
  kommun: 'municipality',
  kunta: 'municipality',
  region: 'region',
  län: 'region',
  landskap: 'region',
  maakunta: 'region',
  population: 'population',
  befolkning: 'population',
  invånare: 'population',
  väkiluku: 'population',
  asukasluku: 'population',
};

export const MAX_IMPORT_LINES = 1000;

/** The places of a CSV, or every problem with it, by line and column; nothing is written before all lines pass. */
export function placesFromCsv(text: string): { line: number; place: PlaceInput }[] {
  const rows = parseCsv(text);
  const [header, ...lines] = rows;
  if (!header) throw problems.validation([{ path: 'body', message: 'The CSV is empty.' }]);
  const columns = header.fields.map((name) => headerNames[name.trim().toLocaleLowerCase('sv')]);
  const missing = (['name', 'municipality', 'region'] as const).filter((c) => !columns.includes(c));
  if (missing.length > 0)
    throw problems.validation([
      {
        path: 'line.1',
        message: `The header needs the columns name, municipality, region (and optionally population); missing: ${missing.join(', ')}.`,
      },
    ]);
  if (lines.length === 0) throw problems.validation([{ path: 'body', message: 'The CSV has no places.' }]);
  if (lines.length > MAX_IMPORT_LINES)
    throw problems.validation([
      { path: 'body', message: `At most ${MAX_IMPORT_LINES} places per import; this has ${lines.length}.` },
    ]);

  const errors: { path: string; message: string }[] = [];
  const places: { line: number; place: PlaceInput }[] = [];
  for (const row of lines) {
    const record: Record<string, unknown> = {};
    columns.forEach((column, i) => {
      if (!column) return;
      const value = (row.fields[i] ?? '').trim();
      if (column !== 'population') record[column] = value;
      else if (value !== '') {
        const digits = value.replace(/[\s\u00a0\u202f.,']/g, '');
        record.population = /^\d+$/.test(digits) ? Number(digits) : Number.NaN;
      }
    });
    const parsed = PlaceInput.safeParse(record);
    if (parsed.success) places.push({ line: row.line, place: parsed.data });
    else
      for (const issue of parsed.error.issues)
        errors.push({
          path: ['line', row.line, ...issue.path].join('.'),
          message: issue.path[0] === 'population' ? 'population must be a whole number' : issue.message,
        });
  }
  if (errors.length > 0)
    throw problems.validation(errors, 'Some lines of the CSV are invalid; no place was imported.');
  return places;
}

export const placeRoutes = [
  defineRoute({
    operationId: 'listPlaces',
    tag: 'places',
    method: 'GET',
    path: '/places',
    response: {
      status: 200,
      description: 'The places of the organisation',
      schema: z.object({ items: z.array(PlaceView) }),
    },
    handle: async ({ caller }) => {
      const places = await directory().places(caller.orgId);
      return reply.ok({ items: places.sort((a, b) => a.name.localeCompare(b.name, 'sv')) });
    },
  }),

  defineRoute({
    operationId: 'createPlace',
    tag: 'places',
    method: 'POST',
    path: '/places',
    body: PlaceInput,
    response: { status: 201, description: 'The place, with the id made from its name', schema: PlaceView },
    errors: [409],
    handle: async ({ caller, body }) => {
      const result = await createPlace(caller.orgId, body);
      if ('existing' in result)
        throw problems.conflict(
          'place-exists',
          'Place exists',
          `${result.existing.placeId} is already this place (same name and municipality).`,
        );
      return reply.created(result.created, `/places/${result.created.placeId}`);
    },
  }),

  defineRoute({
    operationId: 'importPlaces',
    tag: 'places',
    method: 'POST',
    path: '/places/import',
    body: z.string().min(1, 'Send the CSV as the body').max(2_000_000),
    bodyType: 'text/csv',
    response: {
      status: 200,
      description:
        'The places created and those skipped because the same place (name and municipality) exists. When any line is invalid, nothing is imported and the answer is a 400 with the errors by line.',
      schema: z.object({
        created: z.array(PlaceView),
        skipped: z.array(z.object({ line: z.number().int(), placeId: Id, reason: z.literal('exists') })),
      }),
    },
    errors: [415],
    handle: async ({ caller, body }) => {
      const places = placesFromCsv(body);
      // Lines whose names give the same id go one after another (so -2, -3 are stable); others in parallel.
      const groups = new Map<string, { line: number; place: PlaceInput }[]>();
      for (const entry of places) {
        const key = slug(entry.place.name);
        groups.set(key, [...(groups.get(key) ?? []), entry]);
      }
      const created: (Place & { line: number })[] = [];
      const skipped: { line: number; placeId: string; reason: 'exists' }[] = [];
      const queue = [...groups.values()];
      const worker = async () => {
        for (let group = queue.shift(); group; group = queue.shift()) {
          for (const { line, place } of group) {
            const result = await createPlace(caller.orgId, place);
            if ('created' in result) created.push({ ...result.created, line });
            else skipped.push({ line, placeId: result.existing.placeId, reason: 'exists' });
          }
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      created.sort((a, b) => a.line - b.line);
      skipped.sort((a, b) => a.line - b.line);
      return reply.ok({ created: created.map(({ line: _line, ...place }) => place), skipped });
    },
  }),

  defineRoute({
    operationId: 'getPlace',
    tag: 'places',
    method: 'GET',
    path: '/places/{placeId}',
    params: z.object({ placeId: Id }),
    response: { status: 200, description: 'The place', schema: PlaceView },
    errors: [404],
    handle: async ({ caller, params }) => {
      const place = await directory().place(caller.orgId, params.placeId);
      if (!place) throw problems.notFound(`place ${params.placeId} was not found`);
      return reply.ok(place);
    },
  }),

  defineRoute({
    operationId: 'putUser',
    tag: 'users',
    method: 'POST',
    path: '/users',
    body: z.object({
      /** The user's `sub` in the identity provider: tasks are assigned to it. */
      userId: Id.describe('The subject (sub) of the user’s tokens'),
      name: Text(200),
      email: Email,
      locale: Locale.default('sv'),
      role: z.enum(['facilitator', 'coordinator', 'ops']),
    }),
    response: {
      status: 201,
      description: 'The user was added (or replaced)',
      schema: z.object({ userId: Id, role: z.string(), locale: Locale }),
    },
    handle: async ({ caller, body }) => {
      await directory().putUser(caller.orgId, body);
      return reply.created({ userId: body.userId, role: body.role, locale: body.locale });
    },
  }),
];
