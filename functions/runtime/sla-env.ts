import { z } from 'zod';
import { SlaSettingsSchema, type SlaSettings } from '../core/sla/sla-settings.ts';
import { jsonText } from './env-fields.ts';

/** The account's default SLA (config `sla`) as JSON, `null` when none: in every function that starts the clocks. */
export const SlaDefaultFields = {
  SLA_DEFAULT: jsonText('null').pipe(SlaSettingsSchema.nullable()),
  /** How long calendars are cached per container, in seconds. */
  CALENDAR_CACHE_SECONDS: z.string().default('60').transform(Number).pipe(z.number().int().min(0).max(3600)),
};

/** The variable that carries the account default (the CDK constructs and the sandbox set it). */
export function slaEnv(settings: SlaSettings | undefined | null): { SLA_DEFAULT: string } {
  return { SLA_DEFAULT: JSON.stringify(settings ?? null) };
}

/** Environment of `sla-check`, the scheduled SLA check. The CDK construct sets exactly `SlaCheckEnvInput`. */
export const SlaCheckEnvSchema = z.object({
  TABLE_NAME: z.string().min(1),
  /** The SNS topic warning and breach events are published to. */
  SLA_TOPIC_ARN: z.string().min(1),
  POWERTOOLS_SERVICE_NAME: z.string().default('postroom-sla'),
  POWERTOOLS_METRICS_NAMESPACE: z.string().default('Postroom'),
});
export type SlaCheckEnv = z.infer<typeof SlaCheckEnvSchema>;
export type SlaCheckEnvInput = { readonly [K in keyof z.input<typeof SlaCheckEnvSchema>]-?: string };
