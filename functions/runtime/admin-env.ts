import { z } from 'zod';
import { positiveInt, RetentionFields } from './env-fields.ts';
import { CidrListSchema } from './outbound-env.ts';

const flag = (fallback: 'true' | 'false') =>
  z
    .enum(['true', 'false'])
    .default(fallback)
    .transform((v) => v === 'true');

/** Environment of `admin-api`. The CDK construct sets exactly `AdminEnvInput`. */
export const AdminEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** The append-only audit table (the function may only put and query entries). */
  AUDIT_TABLE_NAME: z.string().min(1),
  /** The mail bucket: raw mail (bodies, attachments, replays), planned mails and uploads. */
  MAIL_BUCKET: z.string().min(1),
  /** Comma-separated domains SES receives for; a channel address must be in one. */
  DOMAINS: z
    .string()
    .min(1)
    .transform((s) =>
      s
        .split(',')
        .map((d) => d.trim().toLowerCase())
        .filter((d) => d.length > 0),
    ),
  /** Name prefix of skill queues created through the API (`<prefix><skill>.fifo`). */
  SKILL_QUEUE_PREFIX: z.string().min(1),
  /** The stack's SES receipt rule set, where the API manages rules of its channels. */
  RECEIPT_RULE_SET: z.string().min(1),
  /** ARN of the inbound function the receipt rules invoke. */
  INBOUND_FUNCTION_ARN: z.string().min(1),
  SCAN_ENABLED: flag('true'),
  REQUIRE_TLS: flag('true'),
  /** KMS key of channel credentials (envelope encryption): the one the outbound function decrypts with. */
  CREDENTIALS_KEY_ARN: z.string().min(1),
  /** The outbound FIFO queue, where the reply route queues agents' replies. */
  OUTBOUND_QUEUE_URL: z.url(),
  /** Private ranges the credential test and the OAuth code exchange may reach, as the outbound function (config `outbound.allowedPrivateCidrs`). */
  ALLOWED_PRIVATE_CIDRS: CidrListSchema,
  /** The mailbox function's FIFO poll queue: a started import is handed to it (`{"import": …}`). */
  POLL_QUEUE_URL: z.url(),
  /** The privacy function's queue: a requested export or erasure is handed to it (`{"privacyJob": id}`). */
  PRIVACY_QUEUE_URL: z.url(),
  /** Lease of a replayed inbound mail: the function timeout plus a margin. */
  LEASE_SECONDS: positiveInt('70'),
  /** Under JWT: the claim whose values name roles (config `api.roleClaim`); empty when roles come from agent records only. */
  API_ROLE_CLAIM: z
    .string()
    .default('')
    .transform((v) => v.trim() || undefined),
  /** Replays, notes and holds write what expires; a lifted hold restores the expiry. */
  ...RetentionFields,
  POWERTOOLS_SERVICE_NAME: z.string().default('postroom-admin'),
  POWERTOOLS_METRICS_NAMESPACE: z.string().default('Postroom'),
});
export type AdminEnv = z.infer<typeof AdminEnvSchema>;
export type AdminEnvInput = { readonly [K in keyof z.input<typeof AdminEnvSchema>]-?: string };
