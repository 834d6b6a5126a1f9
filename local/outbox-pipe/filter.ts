/**
 * What the outbox pipe takes from the table stream, written once as data: the same filter object goes
 * on the EventBridge Pipe in infra/ (FilterCriteria) and is applied locally with the bus's pattern
 * matcher, so the cloud and the local pipe cannot disagree about what an outbox item is.
 *
 * The outbox item contract (written by shared/store/): pk = 'ORG#<orgId>#PROC#<processId>',
 * sk = 'OUTBOX#<eventId>', itemType = 'outbox', source, detailType, detail (the JSON of
 * {metadata, data}) and expiresAt (TTL, epoch seconds).
 */
import type { _Record as StreamRecord } from '@aws-sdk/client-dynamodb-streams';
import { compilePattern, matchesPattern } from '../eventbridge/pattern.ts';

/** Only newly inserted outbox items: updates, TTL deletions and every other item type are not events. */
export const OUTBOX_PIPE_FILTER = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { itemType: { S: ['outbox'] } } },
} as const;

/** The filter in the shape CDK's `CfnPipe` takes as `sourceParameters.filterCriteria`. */
export const OUTBOX_PIPE_FILTER_CRITERIA = {
  filters: [{ pattern: JSON.stringify(OUTBOX_PIPE_FILTER) }],
} as const;

const compiledFilter = compilePattern(OUTBOX_PIPE_FILTER);

/**
 * A stream record as an EventBridge Pipe (and Lambda) sees it: the DynamoDB Streams JSON with
 * ApproximateCreationDateTime in epoch seconds and the source ARN added.
 */
export interface PipeStreamRecord {
  eventID: string | undefined;
  eventName: string | undefined;
  eventVersion: string | undefined;
  eventSource: string | undefined;
  awsRegion: string | undefined;
  eventSourceARN: string;
  dynamodb: {
    ApproximateCreationDateTime: number | undefined;
    Keys: unknown;
    NewImage: unknown;
    SequenceNumber: string | undefined;
    SizeBytes: number | undefined;
    StreamViewType: string | undefined;
  };
}

export function toPipeRecord(record: StreamRecord, streamArn: string): PipeStreamRecord {
  const change = record.dynamodb;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource,
    awsRegion: record.awsRegion,
    eventSourceARN: streamArn,
    dynamodb: {
      ApproximateCreationDateTime:
        change?.ApproximateCreationDateTime === undefined
          ? undefined
          : Math.floor(change.ApproximateCreationDateTime.getTime() / 1000),
      Keys: change?.Keys,
      NewImage: change?.NewImage,
      SequenceNumber: change?.SequenceNumber,
      SizeBytes: change?.SizeBytes,
      StreamViewType: change?.StreamViewType,
    },
  };
}

export function passesOutboxFilter(record: PipeStreamRecord): boolean {
  return matchesPattern(compiledFilter, record);
}
