/**
 * AWS clients, created once per sandbox. They take their endpoints from the standard
 * AWS_ENDPOINT_URL_* variables, so the same code talks to AWS or to the local runtime.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ProcessStore } from '../store/process-store.ts';
import { resources } from './environment.ts';

let documents: DynamoDBDocumentClient | undefined;
let s3: S3Client | undefined;
let ses: SESv2Client | undefined;
let scheduler: SchedulerClient | undefined;
let processStore: ProcessStore | undefined;

export function documentClient(): DynamoDBDocumentClient {
  documents ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return documents;
}

/** Checksums only when S3 requires them: presigned PUTs then carry no checksum of an empty body. */
export function s3Client(): S3Client {
  s3 ??= new S3Client({
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return s3;
}

export function sesClient(): SESv2Client {
  ses ??= new SESv2Client({});
  return ses;
}

export function schedulerClient(): SchedulerClient {
  scheduler ??= new SchedulerClient({});
  return scheduler;
}

export function processes(): ProcessStore {
  processStore ??= new ProcessStore(documentClient(), resources.tableName);
  return processStore;
}

let sqs: SQSClient | undefined;
let lambda: LambdaClient | undefined;

/** The failure queues (AWS_ENDPOINT_URL_SQS locally): the operations routes only. */
export function sqsClient(): SQSClient {
  sqs ??= new SQSClient({});
  return sqs;
}

/** Invokes a consumer again on a redrive (AWS_ENDPOINT_URL_LAMBDA locally): the operations routes only. */
export function lambdaClient(): LambdaClient {
  lambda ??= new LambdaClient({});
  return lambda;
}

let cloudWatch: CloudWatchClient | undefined;

/** The functions' Lambda metrics (AWS_ENDPOINT_URL_CLOUDWATCH locally): the operations routes only. */
export function cloudWatchClient(): CloudWatchClient {
  cloudWatch ??= new CloudWatchClient({});
  return cloudWatch;
}
