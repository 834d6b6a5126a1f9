/** S3 for the local runtime: s3rver behind an S3-faithful front, publishing S3's EventBridge events. */
export { type LocalS3, type S3Metrics, type StartS3Options, startS3 } from './local-s3.ts';
export type {
  ObjectCreatedDetail,
  ObjectCreatedReason,
  ObjectDeletedDetail,
  S3Notification,
} from './notifications.ts';
