import { readdirSync, readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { catalog, eventDefinitions, ProcessStarted, WorkshopClosed } from '../../events/catalog.ts';
import {
  CATALOG_PAGE,
  exampleEnvelope,
  renderCatalogPage,
  renderJsonSchemas,
  SCHEMA_DIR,
  schemaFileName,
} from '../../events/documents.ts';
import { EventTooLargeError, EventValidationError, UnknownEventError } from '../../events/envelope.ts';
import { ageGroupLabels, roleLabels, sectorLabels } from '../../events/vocabulary.ts';
import { topology } from '../../functions/topology.ts';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

/** The events the Smarta Orter flow needs, as listed in the foundation issue. */
const required = [
  'Process.Started',
  'Process.Completed',
  'Stage.Started',
  'Stage.Completed',
  'Participant.Registered',
  'Participant.Erased',
  'Interview.Registered',
  'Interview.Recorded',
  'Interview.Rejected',
  'Interview.Summarised',
  'Workshop.Scheduled',
  'Workshop.Closed',
  'Results.Compiled',
  'Plan.Proposed',
  'Plan.Approved',
  'Plan.ProgressReported',
  'Plan.Completed',
  'Guide.Generated',
  'Guide.Published',
  'Reflection.Recorded',
  'Task.Created',
  'Task.Completed',
  'Task.Overdue',
  'Notification.Requested',
  'Notification.Sent',
  'Notification.Failed',
];

describe('event catalog', () => {
  it('has a schema for every event of the Smarta Orter flow', () => {
    const defined = eventDefinitions.map((d) => d.type);
    expect(defined).toEqual(expect.arrayContaining(required));
  });

  it.each(eventDefinitions.map((d) => [d.type, d] as const))(
    '%s: its example is a valid event',
    (_, definition) => {
      const envelope = exampleEnvelope(definition);
      expect(catalog.parse(JSON.parse(JSON.stringify(envelope)))).toEqual(envelope);
    },
  );

  it('JSON Schemas on disk are the generated ones (run `npm run generate` after changing the catalog)', () => {
    const generated = renderJsonSchemas();
    const onDisk = readdirSync(new URL(`${SCHEMA_DIR}/`, root)).sort();
    expect(onDisk).toEqual([...generated.keys()].sort());
    for (const [name, content] of generated) expect(read(`${SCHEMA_DIR}/${name}`), name).toBe(content);
  });

  it('the catalog page on disk is the generated one', () => {
    expect(read(CATALOG_PAGE)).toBe(renderCatalogPage(topology));
  });

  it.each(eventDefinitions.map((d) => [d.type, d] as const))(
    '%s: its example passes its JSON Schema',
    (_, definition) => {
      const ajv = new Ajv2020({ strict: false, allErrors: true });
      addFormats.default(ajv);
      const validate = ajv.compile(JSON.parse(read(`${SCHEMA_DIR}/${schemaFileName(definition)}`)));
      const valid = validate(JSON.parse(JSON.stringify(exampleEnvelope(definition))));
      expect(validate.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
    },
  );

  it('lists every event on the catalog page with who emits it', () => {
    const page = read(CATALOG_PAGE);
    for (const definition of eventDefinitions) {
      expect(page).toContain(`### ${definition.type} v${definition.version}`);
      expect(page).toContain(`- Emitted by: ${definition.producers.join(', ')}`);
    }
  });
});

describe('creating and parsing events', () => {
  const metadata = {
    orgId: 'org-jh',
    placeId: 'hede',
    processId: 'proc-hede',
    correlationId: 'corr-1',
    causationId: 'req-1',
    actor: { kind: 'user' as const, id: 'u-1' },
  };

  it('fills in id, type, version and time', () => {
    const event = ProcessStarted.create({ metadata, data: ProcessStarted.example });
    expect(event.metadata).toMatchObject({ type: 'Process.Started', version: 1, depth: 0 });
    expect(event.metadata.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(Date.parse(event.metadata.occurredAt)).not.toBeNaN();
  });

  it('names the type and the field paths of invalid data', () => {
    const bad = {
      ...WorkshopClosed.example,
      attendance: [{ sector: 'church', ageGroup: 'age30to49', count: 0 }],
    };
    try {
      WorkshopClosed.create({ metadata, data: bad as never });
      expect.unreachable('an invalid event was created');
    } catch (error) {
      expect(error).toBeInstanceOf(EventValidationError);
      const { type, issues } = error as EventValidationError;
      expect(type).toBe('Workshop.Closed');
      expect(issues.map((i) => i.path)).toEqual(['data.attendance.0.sector', 'data.attendance.0.count']);
    }
  });

  it('rejects an unknown type or version with a typed error', () => {
    const event = ProcessStarted.create({ metadata, data: ProcessStarted.example });
    expect(() =>
      catalog.parse({ ...event, metadata: { ...event.metadata, type: 'Process.Exploded' } }),
    ).toThrow(UnknownEventError);
    expect(() => catalog.parse({ ...event, metadata: { ...event.metadata, version: 7 } })).toThrow(/v7/);
    expect(() => catalog.parse({ hello: 'world' })).toThrow(EventValidationError);
  });

  it('accepts only the types a consumer declares', () => {
    const event = ProcessStarted.create({ metadata, data: ProcessStarted.example });
    expect(catalog.parseAccepted(event, ['Process.Started']).data.placeName).toBe('Hede');
    expect(() => catalog.parseAccepted(event, ['Workshop.Closed'])).toThrow(UnknownEventError);
  });

  it('keeps events under one 64 KB chunk', () => {
    const ideas = Array.from({ length: 200 }, (_, i) => ({
      ideaId: `idea-${i}`,
      title: 'Idé',
      description: 'x'.repeat(1000),
      votes: 1,
      proposedBy: 'resident' as const,
      themes: [],
    }));
    expect(() => WorkshopClosed.create({ metadata, data: { ...WorkshopClosed.example, ideas } })).toThrow(
      EventTooLargeError,
    );
  });
});

describe('vocabulary', () => {
  it('labels every sector, age group and role in Swedish, Finnish and English', () => {
    for (const labels of [sectorLabels, ageGroupLabels, roleLabels]) {
      for (const text of Object.values(labels)) expect(Object.keys(text).sort()).toEqual(['en', 'fi', 'sv']);
    }
  });
});
