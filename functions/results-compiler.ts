/**
 * Results compiler: on entering the results stage, compiles every interview summary and closed
 * workshop of the process (shared/domain/results.ts), writes report.md, report.html and results.json
 * to S3 and reports Results.Compiled with their keys, together with the report-link row that the
 * results email's stable link opens (`/reports/{token}`). The files are rendered from the timeline and
 * the stage's start time only, so a redelivery writes the same bytes; the inbox makes the fact and the
 * row exactly once (a redelivery is a duplicate, so the link's random nonce is never replaced).
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import * as E from '../events/catalog.ts';
import { type EventOfType, isEvent, type PipelineEvent } from '../events/catalog.ts';
import { NotFoundError } from '../shared/domain/errors.ts';
import type { ProcessState } from '../shared/domain/process.ts';
import { compileResults } from '../shared/domain/results.ts';
import { newReportNonce } from '../shared/mail/report-link.ts';
import { methodByKey } from '../shared/methods/index.ts';
import { renderResultsReport } from '../shared/reports/results-report.ts';
import { processes, s3Client } from '../shared/runtime/clients.ts';
import { resources } from '../shared/runtime/environment.ts';
import { pipelineEventHandler } from '../shared/runtime/event-handler.ts';
import { rows } from '../shared/store/directory.ts';

const NAME = 'resultsCompiler';
const ACTOR = { kind: 'system', id: NAME } as const;
export const RESULTS_STAGE = 'results';

export const reportKeys = (orgId: string, placeId: string, processId: string) => {
  const prefix = `reports/${orgId}/${placeId}/${processId}`;
  return { markdown: `${prefix}/report.md`, html: `${prefix}/report.html`, json: `${prefix}/results.json` };
};

export const handler = pipelineEventHandler({
  name: NAME,
  accepts: ['Stage.Started'],
  handle: async (event, { logger }) => {
    // The rule only delivers the results stage; another stage is not this function's to compile.
    if (event.data.stage !== RESULTS_STAGE) return;
    const { orgId, placeId, processId } = event.metadata;
    const store = processes();
    const [stored, timeline] = await Promise.all([
      store.load(orgId, processId),
      store.timeline(orgId, processId),
    ]);
    if (!stored) throw new NotFoundError('process', processId);
    const { state } = stored;

    const results = compileResults(summariesOf(state, timeline), latestBy(timeline, 'Workshop.Closed'));
    const keys = reportKeys(orgId, placeId, processId);
    const report = renderResultsReport({
      results,
      orgId,
      placeId,
      processId,
      placeName: state.placeName,
      municipality: state.municipality,
      methodName: methodByKey(state.method).name[state.locale],
      locale: state.locale,
      compiledAt: event.metadata.occurredAt,
    });
    const put = (Key: string, Body: string, ContentType: string) =>
      s3Client().send(new PutObjectCommand({ Bucket: resources.bucketName, Key, Body, ContentType }));
    await Promise.all([
      put(keys.markdown, report.markdown, 'text/markdown; charset=utf-8'),
      put(keys.html, report.html, 'text/html; charset=utf-8'),
      put(keys.json, report.json, 'application/json; charset=utf-8'),
    ]);

    const compiled = E.ResultsCompiled.create({
      metadata: causedBy(event),
      data: {
        themes: results.themes,
        interviews: results.interviews,
        ideas: results.ideas,
        participation: results.participation,
        reportKeys: keys,
      },
    }) as PipelineEvent;
    const { outcome } = await store.report({
      orgId,
      processId,
      emitted: [compiled],
      handled: event,
      rows: { put: [rows.reportLink(orgId, processId, { nonce: newReportNonce(), keys })] },
    });
    logger.info('results compiled', {
      outcome,
      interviews: results.interviews,
      ideas: results.ideas,
      themes: results.themes.length,
    });
  },
});

/** The last fact per interview and per workshop: a corrected or redelivered fact counts once. */
function latestBy<T extends 'Interview.Summarised' | 'Workshop.Closed'>(
  timeline: readonly PipelineEvent[],
  type: T,
): EventOfType<T>['data'][] {
  const bySubject = new Map<string, EventOfType<T>['data']>();
  for (const event of timeline) {
    if (isEvent(event, 'Interview.Summarised') && type === event.metadata.type) {
      bySubject.set(event.data.interviewId, event.data as EventOfType<T>['data']);
    }
    if (isEvent(event, 'Workshop.Closed') && type === event.metadata.type) {
      bySubject.set(event.data.workshopId, event.data as EventOfType<T>['data']);
    }
  }
  return [...bySubject.values()];
}

/** Summaries, without the quotes of participants erased since: their words leave the report with them. */
function summariesOf(state: ProcessState, timeline: readonly PipelineEvent[]) {
  return latestBy(timeline, 'Interview.Summarised').map((summary) => {
    const participantId = state.interviews[summary.interviewId]?.participantId;
    const erased = participantId !== undefined && state.participants[participantId]?.erased === true;
    return erased ? { ...summary, quotes: [] } : summary;
  });
}

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
