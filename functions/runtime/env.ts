import { z } from 'zod';
import { jsonText, positiveInt, RetentionFields } from './env-fields.ts';
import { SlaDefaultFields } from './sla-env.ts';
import { ConfigError } from '../core/errors.ts';
import { describeIssues, validationIssues } from '../core/validation.ts';

const SkillQueueUrlsSchema = jsonText().pipe(z.record(z.string(), z.url()));

/** How feedback suppresses: shared by the feedback function and the inbound one (DSN and ARF reports). */
const SuppressionFields = {
  /** Where feedback suppresses an address: the channel that sent the mail, or every channel of the account. */
  SUPPRESSION_SCOPE: z.enum(['channel', 'account']).default('channel'),
  /** Soft failures (full mailbox, policy refusals) of one address within the window that suppress it. */
  TRANSIENT_FAILURES: z.string().default('3').transform(Number).pipe(z.number().int().min(1)),
  TRANSIENT_WINDOW_SECONDS: positiveInt(String(7 * 24 * 3600)),
};

/** Environment of `inbound-process`. The CDK construct sets exactly `InboundEnvInput`. */
export const InboundEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** The mail bucket: raw mail under the SES prefix, and the plans of queued acknowledgements. */
  MAIL_BUCKET: z.string().min(1),
  /** The outbound FIFO queue acknowledgements are queued on. */
  OUTBOUND_QUEUE_URL: z.url(),
  ...SuppressionFields,
  ...RetentionFields,
  /** The account's default SLA and the calendar cache (`docs/sla.md`). */
  ...SlaDefaultFields,
  /** JSON object: skill name → FIFO queue URL. */
  SKILL_QUEUE_URLS: SkillQueueUrlsSchema,
  /** Name prefix of skill queues the admin API creates (`<prefix><skill>.fifo`); empty: only table items name them. */
  SKILL_QUEUE_PREFIX: z.string().default(''),
  /** How long channel settings are cached per container. */
  CHANNEL_CACHE_SECONDS: positiveInt('60'),
  /** Lease of one processing attempt: the function timeout plus a small margin (see `InboundPipeline`). */
  LEASE_SECONDS: positiveInt('70'),
  POWERTOOLS_SERVICE_NAME: z.string().default('postroom-inbound'),
  POWERTOOLS_METRICS_NAMESPACE: z.string().default('Postroom'),
});
export type InboundEnv = z.infer<typeof InboundEnvSchema>;
/** What a deployment must set: every key a string (CDK tokens included). */
export type InboundEnvInput = { readonly [K in keyof z.input<typeof InboundEnvSchema>]-?: string };

/** Environment of `feedback-process`. The CDK construct sets exactly `FeedbackEnvInput`. */
export const FeedbackEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** Lease of one processing attempt: the function timeout plus a small margin. */
  LEASE_SECONDS: positiveInt('40'),
  ...SuppressionFields,
  POWERTOOLS_SERVICE_NAME: z.string().default('postroom-feedback'),
  POWERTOOLS_METRICS_NAMESPACE: z.string().default('Postroom'),
});
export type FeedbackEnv = z.infer<typeof FeedbackEnvSchema>;
/** What a deployment must set: every key a string (CDK tokens included). */
export type FeedbackEnvInput = { readonly [K in keyof z.input<typeof FeedbackEnvSchema>]-?: string };

/**
 * Parses the environment once at cold start. Throws a `ConfigError` listing every problem, so a
 * misconfigured deployment fails on its first invocation with the whole list, not one at a time.
 */
export function readEnv<S extends z.ZodType>(schema: S, source: Record<string, string | undefined> = process.env): z.infer<S> {
  const result = schema.safeParse(source);
  if (result.success) return result.data;
  throw new ConfigError(`invalid environment: ${describeIssues(validationIssues(result.error))}`);
}
