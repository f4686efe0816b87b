import { z } from 'zod';

/** Environment of `retention-expire`, the function behind the table's stream. The CDK construct sets exactly `RetentionExpiryEnvInput`. */
export const RetentionExpiryEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** The mail bucket: raw copies, extracted attachments and plans of expired messages. */
  MAIL_BUCKET: z.string().min(1),
  POWERTOOLS_SERVICE_NAME: z.string().default('postroom-retention'),
  POWERTOOLS_METRICS_NAMESPACE: z.string().default('Postroom'),
});
export type RetentionExpiryEnv = z.infer<typeof RetentionExpiryEnvSchema>;
export type RetentionExpiryEnvInput = { readonly [K in keyof z.input<typeof RetentionExpiryEnvSchema>]-?: string };
