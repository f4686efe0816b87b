import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SandboxInfo } from '../local/sandbox.ts';
import { createDocumentClient, createS3Client, createSqsClient } from '../runtime/clients.ts';

/** SDK clients pointed at a running sandbox's local servers. */
export function sandboxClients(info: SandboxInfo): { readonly db: DynamoDBDocumentClient; readonly s3: S3Client; readonly sqs: SQSClient; destroy(): void } {
  const common = () => ({ region: info.aws.region, credentials: { ...info.aws.credentials } });
  const db = createDocumentClient({ ...common(), endpoint: info.aws.endpoints.dynamodb });
  const s3 = createS3Client({ ...common(), endpoint: info.aws.endpoints.s3 });
  const sqs = createSqsClient({ ...common(), endpoint: info.aws.endpoints.sqs });
  return {
    db, s3, sqs,
    destroy() {
      db.destroy();
      s3.destroy();
      sqs.destroy();
    },
  };
}
