import { z } from 'zod';
import { positiveInt, RetentionFields } from './env-fields.ts';

/** Comma-separated CIDR blocks an admin-set SMTP host or token URL may reach although private. */
export const CidrListSchema = z
  .string()
  .default('')
  .transform((text) =>
    text
      .split(',')
      .map((c) => c.trim())
      .filter((c) => c.length > 0),
  )
  .pipe(z.array(z.string().regex(/^[0-9a-f.:]+\/\d{1,3}$/i, 'a CIDR block such as 10.1.0.0/16')));

/** Environment of `outbound-send`. The CDK construct sets exactly `OutboundEnvInput`. */
export const OutboundEnvSchema = z
  .object({
    TABLE_NAME: z.string().min(1),
    /** The mail bucket: raw inbound mail (forwarded attachments), planned mails and uploaded attachments. */
    MAIL_BUCKET: z.string().min(1),
    /** The outbound FIFO queue, for backing a job off after a transient failure. */
    OUTBOUND_QUEUE_URL: z.url(),
    /** KMS key that encrypts channel credentials (the AWS Encryption SDK's KMS keyring). */
    CREDENTIALS_KEY_ARN: z.string().default(''),
    /** Instead of KMS, a local AES-256 key file (the sandbox); never set in AWS. */
    CREDENTIALS_KEY_FILE: z.string().default(''),
    /** `true` lets admin-set hosts be loopback addresses (the sandbox's local servers); never in AWS. */
    ALLOW_LOOPBACK_HOSTS: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true'),
    /** A PEM file of extra CAs SMTP servers' certificates may chain to (the sandbox's own CA). */
    SMTP_EXTRA_CA_FILE: z.string().default(''),
    /** SES configuration set for channels that name none (event publishing to the feedback function). */
    SES_CONFIGURATION_SET: z.string().default(''),
    /** Private ranges admin-set hosts may reach (`OUT-2` SSRF guard); none by default. */
    ALLOWED_PRIVATE_CIDRS: CidrListSchema,
    /** Lease of one send attempt: the function timeout plus a margin. */
    LEASE_SECONDS: positiveInt('70'),
    CHANNEL_CACHE_SECONDS: positiveInt('60'),
    /** A sent reply moves its conversation's expiry. */
    ...RetentionFields,
    POWERTOOLS_SERVICE_NAME: z.string().default('postroom-outbound'),
    POWERTOOLS_METRICS_NAMESPACE: z.string().default('Postroom'),
  })
  .refine((env) => (env.CREDENTIALS_KEY_ARN === '') !== (env.CREDENTIALS_KEY_FILE === ''), {
    message: 'set exactly one of CREDENTIALS_KEY_ARN (AWS) and CREDENTIALS_KEY_FILE (sandbox)',
    path: ['CREDENTIALS_KEY_ARN'],
  });
export type OutboundEnv = z.infer<typeof OutboundEnvSchema>;
/** What a deployment must set: every key a string (CDK tokens included). */
export type OutboundEnvInput = Omit<
  { readonly [K in keyof z.input<typeof OutboundEnvSchema>]-?: string },
  'CREDENTIALS_KEY_FILE' | 'ALLOW_LOOPBACK_HOSTS' | 'SMTP_EXTRA_CA_FILE'
>;
