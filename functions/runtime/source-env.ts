import { z } from 'zod';
import { InboundEnvSchema } from './env.ts';
import { positiveInt } from './env-fields.ts';
import { CidrListSchema } from './outbound-env.ts';

/** Environment of `source-poll`: the inbound function's, plus the credentials key, the poll queue and the host allowance. */
export const SourceEnvSchema = InboundEnvSchema.extend({
  /** KMS key that encrypts channel credentials (the AWS Encryption SDK's KMS keyring). */
  CREDENTIALS_KEY_ARN: z.string().min(1),
  /** The FIFO queue of polls: one message per due mailbox (group = channel, so one poll of a mailbox at a time). */
  POLL_QUEUE_URL: z.url(),
  /** Most messages one poll reads; the next poll resumes. */
  POLL_LIMIT: positiveInt('50'),
  /** Private ranges an admin-set mailbox host may reach (the SSRF guard); none by default. */
  ALLOWED_PRIVATE_CIDRS: CidrListSchema,
  /** The public base URL of the API (`https://…execute-api…`): Graph's change notifications go to `<base>/webhooks/graph/<channel>`; empty: polling only. */
  NOTIFICATION_BASE_URL: z.string().default(''),
  POWERTOOLS_SERVICE_NAME: z.string().default('postroom-sources'),
});
export type SourceEnv = z.infer<typeof SourceEnvSchema>;
/** What a deployment must set: every key a string (CDK tokens included). */
export type SourceEnvInput = { readonly [K in keyof z.input<typeof SourceEnvSchema>]-?: string };
