import { z } from 'zod';

/** Environment of `privacy-job`. The CDK construct sets exactly `PrivacyEnvInput`. */
export const PrivacyEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** The audit table: the function redacts entries naming an erased address, and appends the erasure's record. */
  AUDIT_TABLE_NAME: z.string().min(1),
  /** The mail bucket: raw mail, attachments, planned mails and uploads, and the export archives. */
  MAIL_BUCKET: z.string().min(1),
  /** The function's own queue: a job that has more to do queues its next step there. */
  PRIVACY_QUEUE_URL: z.url(),
  POWERTOOLS_SERVICE_NAME: z.string().default('postroom-privacy'),
  POWERTOOLS_METRICS_NAMESPACE: z.string().default('Postroom'),
});
export type PrivacyEnv = z.infer<typeof PrivacyEnvSchema>;
export type PrivacyEnvInput = { readonly [K in keyof z.input<typeof PrivacyEnvSchema>]-?: string };
