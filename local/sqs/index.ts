export { type LocalSqs, SqsError, type StartSqsOptions, startSqs } from './local-sqs.ts';
export {
  eventBridgeErrorCode,
  type LambdaFailureRecord,
  type MessageAttributeValue,
  sqsView,
} from './messages.ts';
