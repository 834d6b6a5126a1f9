// s3rver ships no types; these cover the parts the local S3 uses (read from s3rver 3.7 lib/).

declare module 's3rver' {
  import { EventEmitter } from 'node:events';
  import type { IncomingMessage, ServerResponse } from 'node:http';

  class S3rver extends EventEmitter {
    constructor(options?: S3rver.S3rverOptions);
    store: S3rver.FilesystemStore;
    logger: { close(): void; exceptions: { unhandle(): void } };
    configureBuckets(): Promise<void>;
    callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  }

  namespace S3rver {
    export interface S3rverOptions {
      address?: string;
      port?: number;
      silent?: boolean;
      directory?: string;
      resetOnClose?: boolean;
      allowMismatchedSignatures?: boolean;
      vhostBuckets?: boolean;
      configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
    }

    /** One S3 event notification record, as s3rver emits it (the S3 -> SNS/SQS/Lambda shape). */
    export interface S3rverEventRecord {
      eventName: string;
      eventTime: string;
      requestParameters: { sourceIPAddress: string };
      responseElements: { 'x-amz-request-id': string };
      s3: {
        bucket: { name: string };
        object: { key: string; size?: number; eTag?: string; sequencer: string };
      };
    }

    export interface FilesystemStore {
      rootDirectory: string;
      getResourcePath(bucket: string, key: string | undefined, resource: string): string;
      getBucket(bucket: string): Promise<{ name: string } | null>;
      /** etag (quoted), last-modified (HTTP date) and content-length, among the stored metadata */
      getMetadata(bucket: string, key: string): Promise<Record<string, string | number>>;
      existsObject(bucket: string, key: string): Promise<boolean>;
    }
  }

  export = S3rver;
}

declare module 's3rver/lib/models/account.js' {
  class AWSAccount {
    id: number;
    accessKeys: Map<string, string>;
    static registry: Map<string, AWSAccount>;
    static DUMMY_ACCOUNT: AWSAccount;
  }
  export = AWSAccount;
}
