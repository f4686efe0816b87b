import { SESClient } from '@aws-sdk/client-ses';
import { handle } from 'hono/aws-lambda';
import { SesReceiptRules } from './adapters/ses-receipt-rules.ts';
import { SqsSkillQueues } from './adapters/sqs-skill-queues.ts';
import { createAdminApp } from './api/app.ts';
import { apiGatewayPrincipal } from './api/auth.ts';
import { AdminEnvSchema } from './runtime/admin-env.ts';
import { createAdminDeps } from './runtime/admin-deps.ts';
import { createDocumentClient, createS3Client, createSqsClient } from './runtime/clients.ts';
import { readEnv } from './runtime/env.ts';
import { lazy } from './runtime/lazy.ts';
import { DynamoSuppressionList } from './adapters/dynamo-suppression-list.ts';
import { createQueueReplyDeps } from './runtime/queue-reply-deps.ts';
import { QueueReplySender } from './runtime/reply-sender.ts';
import { createObservability } from './runtime/observability.ts';

// Composition root: environment, observability, clients and the app once per container.
const env = readEnv(AdminEnvSchema);
const { logger, tracer } = createObservability({ serviceName: env.POWERTOOLS_SERVICE_NAME, namespace: env.POWERTOOLS_METRICS_NAMESPACE });
const sqs = tracer.captureAWSv3Client(createSqsClient());
const outbound = lazy(() => import('./runtime/admin-outbound.ts').then((m) => m.createAdminOutbound({ keyArn: env.CREDENTIAL_KEY_ARN, allowedCidrs: env.ALLOWED_PRIVATE_CIDRS })));

const db = tracer.captureAWSv3Client(createDocumentClient());
const s3 = tracer.captureAWSv3Client(createS3Client());
const deps = createAdminDeps({
  db,
  s3,
  sqs,
  tableName: env.TABLE_NAME,
  auditTableName: env.AUDIT_TABLE_NAME,
  bucket: env.RAW_MAIL_BUCKET,
  domains: env.DOMAINS,
  queuePrefix: env.SKILL_QUEUE_PREFIX,
  queueUrls: {},
  outboundQueueUrl: env.OUTBOUND_QUEUE_URL,
  leaseMs: env.LEASE_SECONDS * 1000,
  receipt: new SesReceiptRules(tracer.captureAWSv3Client(new SESClient({})), {
    ruleSetName: env.RECEIPT_RULE_SET, bucketName: env.RAW_MAIL_BUCKET, objectKeyPrefix: env.RAW_MAIL_PREFIX,
    functionArn: env.INBOUND_FUNCTION_ARN, scanEnabled: env.SCAN_ENABLED, requireTls: env.REQUIRE_TLS,
  }),
  queues: new SqsSkillQueues(sqs, { prefix: env.SKILL_QUEUE_PREFIX }),
  cipher: async () => (await outbound()).cipher,
  oauth: async () => (await outbound()).oauth,
  tester: async () => (await outbound()).tester(),
  suppressions: new DynamoSuppressionList(db, env.TABLE_NAME),
  replies: new QueueReplySender(createQueueReplyDeps({ db, s3, sqs, tableName: env.TABLE_NAME, bucket: env.RAW_MAIL_BUCKET, outboundQueueUrl: env.OUTBOUND_QUEUE_URL, channelCacheMs: 5_000 })),
});

/** API Gateway HTTP API (payload v2) events; the authorizer (IAM or JWT) ran before. */
export const handler = handle(createAdminApp(deps, { authenticate: apiGatewayPrincipal(), logger, roleClaim: env.API_ROLE_CLAIM }));
