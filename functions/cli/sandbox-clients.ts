import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { SandboxInfo } from '../local/sandbox.ts';
import { createDocumentClient, createS3Client, createSqsClient } from '../runtime/clients.ts';
import { createQueueReplyDeps } from '../runtime/queue-reply-deps.ts';
import { UsageError } from './command.ts';

/** SDK clients of a running sandbox's local servers. */
export interface SandboxClients {
  readonly db: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  destroy(): void;
}

/** SDK clients pointed at a running sandbox's local servers. */
export function sandboxClients(info: SandboxInfo): SandboxClients {
  const common = () => ({ region: info.aws.region, credentials: { ...info.aws.credentials } });
  const db = createDocumentClient({ ...common(), endpoint: info.aws.endpoints.dynamodb });
  const s3 = createS3Client({ ...common(), endpoint: info.aws.endpoints.s3 });
  const sqs = createSqsClient({ ...common(), endpoint: info.aws.endpoints.sqs });
  return {
    db,
    s3,
    sqs,
    destroy() {
      db.destroy();
      s3.destroy();
      sqs.destroy();
    },
  };
}

/** A refused connection means the sandbox that wrote the state file is gone: say so, and how to start one. */
export function unreachable(error: unknown, endpoint: string): unknown {
  const text = error instanceof Error ? `${error.name} ${error.message} ${String((error as { code?: unknown }).code ?? '')}` : '';
  if (/ECONNREFUSED|ECONNRESET|socket hang up/i.test(text)) {
    return new UsageError(`the sandbox's DynamoDB at ${endpoint} does not answer (stopped without cleaning up?): start one with \`npm start\``);
  }
  return error;
}

/** The adapters `postroom reply` and `postroom compose` queue agents' mail with: the sandbox's table, bucket, outbound queue and retention. */
export function sandboxQueueReplyDeps(clients: SandboxClients, info: SandboxInfo): ReturnType<typeof createQueueReplyDeps> {
  return createQueueReplyDeps({
    db: clients.db,
    s3: clients.s3,
    sqs: clients.sqs,
    tableName: info.table,
    bucket: info.bucket,
    outboundQueueUrl: info.outboundQueue.url,
    ...(info.retention ? { retention: info.retention } : {}),
  });
}
