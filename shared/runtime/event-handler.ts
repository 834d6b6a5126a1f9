/**
 * The middy stack every event-reacting function uses: structured logs without personal data, the
 * envelope and data validated against the catalog (only the declared types and versions), and every
 * failure rethrown so Lambda's retries and the failure queue see it. Nothing is caught and logged away.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { catalog, type EventOfType, type PipelineEventType } from '../../events/catalog.ts';

export type BusEvent = EventBridgeEvent<string, unknown> & { 'replay-name'?: string };

export function loggerFor(serviceName: string): Logger {
  return new Logger({
    serviceName,
    logLevel: (process.env.POWERTOOLS_LOG_LEVEL as 'INFO' | undefined) ?? 'INFO',
  });
}

export function pipelineEventHandler<const T extends PipelineEventType>(options: {
  name: string;
  accepts: readonly T[];
  /** `context` is Lambda's: its remaining time bounds work that must finish within this invocation. */
  handle: (
    event: EventOfType<T>,
    context: { logger: Logger; raw: BusEvent; context: Context },
  ) => Promise<void>;
}) {
  const logger = loggerFor(options.name);
  return middy<BusEvent, void, Error, Context>()
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .handler(async (raw, context) => {
      const event = catalog.parseAccepted(raw.detail, options.accepts) as EventOfType<T>;
      // Ids and types only: events carry no personal data, and logs carry none either.
      logger.appendKeys({
        eventId: event.metadata.id,
        eventType: event.metadata.type,
        processId: event.metadata.processId,
        ...(raw['replay-name'] ? { replay: raw['replay-name'] } : {}),
      });
      await options.handle(event, { logger, raw, context });
    });
}
