import { SESClient } from '@aws-sdk/client-ses';
import { handle } from 'hono/aws-lambda';
import { DynamoSuppressionList } from '../adapters/dynamo-suppression-list.ts';
import { SesReceiptRules } from '../adapters/ses-receipt-rules.ts';
import { SqsSkillQueues } from '../adapters/sqs-skill-queues.ts';
import { createAdminApp } from '../api/app.ts';
import { apiGatewayPrincipal } from '../api/auth.ts';
import { createAdminDeps } from './admin-deps.ts';
import { enqueueImport } from './source-queue.ts';
import { enqueuePrivacyJob } from './privacy-queue.ts';
import type { AdminEnv } from './admin-env.ts';
import { SKILL_MAX_RECEIVES } from './attempts.ts';
import { tracedClients } from './clients.ts';
import { lazy } from './lazy.ts';
import { createObservability } from './observability.ts';
import { createQueueReplyDeps } from './queue-reply-deps.ts';
import { QueueReplySender } from './reply-sender.ts';
import { RAW_MAIL_PREFIX } from './ses-event.ts';
import { retentionOf } from './env-fields.ts';

/**
 * The admin function: observability, clients and the app built once per container, for API
 * Gateway HTTP API (payload v2) events; the authorizer (IAM or JWT) ran before. The sandbox serves
 * the same app on its own adapters (`local/admin-server.ts`, on `createAdminDeps`).
 */
export function createAdminHandler(env: AdminEnv) {
  const { logger, tracer } = createObservability({ serviceName: env.POWERTOOLS_SERVICE_NAME, namespace: env.POWERTOOLS_METRICS_NAMESPACE });
  const { db, s3, sqs } = tracedClients(tracer);
  // Built on the first credential route: the Encryption SDK and nodemailer are heavy for a cold start.
  const outbound = lazy(async () => {
    const { createAdminOutbound } = await import('./admin-outbound.ts');
    return createAdminOutbound({ keyArn: env.CREDENTIALS_KEY_ARN, allowedCidrs: env.ALLOWED_PRIVATE_CIDRS });
  });
  const deps = createAdminDeps({
    db,
    s3,
    sqs,
    tableName: env.TABLE_NAME,
    auditTableName: env.AUDIT_TABLE_NAME,
    bucket: env.MAIL_BUCKET,
    domains: env.DOMAINS,
    queuePrefix: env.SKILL_QUEUE_PREFIX,
    queueUrls: {},
    outboundQueueUrl: env.OUTBOUND_QUEUE_URL,
    leaseMs: env.LEASE_SECONDS * 1000,
    retention: retentionOf(env),
    receipt: new SesReceiptRules(tracer.captureAWSv3Client(new SESClient({})), {
      ruleSetName: env.RECEIPT_RULE_SET,
      bucketName: env.MAIL_BUCKET,
      objectKeyPrefix: RAW_MAIL_PREFIX,
      functionArn: env.INBOUND_FUNCTION_ARN,
      scanEnabled: env.SCAN_ENABLED,
      requireTls: env.REQUIRE_TLS,
    }),
    queues: new SqsSkillQueues(sqs, { prefix: env.SKILL_QUEUE_PREFIX, maxReceiveCount: SKILL_MAX_RECEIVES }),
    cipher: async () => (await outbound()).cipher,
    oauth: async () => (await outbound()).oauth,
    tester: async () => (await outbound()).tester(),
    suppressions: new DynamoSuppressionList(db, env.TABLE_NAME),
    runImport: async (job) => enqueueImport(sqs, env.POLL_QUEUE_URL, job),
    runPrivacyJob: async (job) => enqueuePrivacyJob(sqs, env.PRIVACY_QUEUE_URL, job.id),
    replies: new QueueReplySender(
      createQueueReplyDeps({
        db,
        s3,
        sqs,
        tableName: env.TABLE_NAME,
        bucket: env.MAIL_BUCKET,
        outboundQueueUrl: env.OUTBOUND_QUEUE_URL,
        channelCacheMs: 5_000,
        retention: retentionOf(env),
      }),
    ),
  });
  return handle(createAdminApp(deps, { authenticate: apiGatewayPrincipal(), logger, roleClaim: env.API_ROLE_CLAIM }));
}
