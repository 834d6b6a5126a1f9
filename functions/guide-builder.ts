/**
 * Guide builder: on entering the guides stage, writes the guide of the place (what was done and how,
 * what it gave, what was learned, the approved plans, the next concrete steps) as guide.md and
 * guide.html in the process language, and reports Guide.Generated. Rendered from the timeline and the
 * stage's start time only, so a redelivery writes the same bytes; the inbox makes the fact exactly once.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { PipelineEvent } from '../events/catalog.ts';
import * as E from '../events/catalog.ts';
import { NotFoundError } from '../shared/domain/errors.ts';
import { buildGuide, renderGuide } from '../shared/reports/guide.ts';
import { processes, s3Client } from '../shared/runtime/clients.ts';
import { resources } from '../shared/runtime/environment.ts';
import { pipelineEventHandler } from '../shared/runtime/event-handler.ts';

const NAME = 'guideBuilder';
const ACTOR = { kind: 'system', id: NAME } as const;
export const GUIDES_STAGE = 'guides';

export const guideKeys = (orgId: string, placeId: string, processId: string) => {
  const prefix = `guides/${orgId}/${placeId}/${processId}`;
  return { markdown: `${prefix}/guide.md`, html: `${prefix}/guide.html` };
};

/** One guide per place; ids are at most 64 characters. */
export const guideIdOf = (placeId: string) => `guide-${placeId}`.slice(0, 64);

export const handler = pipelineEventHandler({
  name: NAME,
  accepts: ['Stage.Started'],
  handle: async (event, { logger }) => {
    // The rule only delivers the guides stage; another stage is not this function's to write up.
    if (event.data.stage !== GUIDES_STAGE) return;
    const { orgId, placeId, processId } = event.metadata;
    const store = processes();
    const [stored, timeline] = await Promise.all([
      store.load(orgId, processId),
      store.timeline(orgId, processId),
    ]);
    if (!stored) throw new NotFoundError('process', processId);
    const { state } = stored;

    const guide = buildGuide(state, timeline, event.metadata.occurredAt);
    const rendered = renderGuide(guide, state.locale);
    const keys = guideKeys(orgId, placeId, processId);
    const put = (Key: string, Body: string, ContentType: string) =>
      s3Client().send(new PutObjectCommand({ Bucket: resources.bucketName, Key, Body, ContentType }));
    await Promise.all([
      put(keys.markdown, rendered.markdown, 'text/markdown; charset=utf-8'),
      put(keys.html, rendered.html, 'text/html; charset=utf-8'),
    ]);

    const generated = E.GuideGenerated.create({
      metadata: causedBy(event),
      data: { guideId: guideIdOf(placeId), locale: state.locale, keys },
    }) as PipelineEvent;
    const { outcome } = await store.report({ orgId, processId, emitted: [generated], handled: event });
    logger.info('guide generated', {
      outcome,
      plans: guide.plans.length,
      reflections: guide.reflections.length,
    });
  },
});

function causedBy(event: PipelineEvent) {
  const { metadata } = event;
  return {
    orgId: metadata.orgId,
    placeId: metadata.placeId,
    processId: metadata.processId,
    correlationId: metadata.correlationId,
    causationId: metadata.id,
    actor: ACTOR,
    depth: metadata.depth + 1,
  };
}
