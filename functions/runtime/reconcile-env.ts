import { z } from 'zod';
import { InboundEnvSchema } from './env.ts';
import { positiveInt } from './env-fields.ts';

/**
 * Environment of `reconcile`: the inbound function's (a lost mail takes its path, on its
 * adapters), plus the reconciliation's window and bounds.
 */
export const ReconcileEnvSchema = InboundEnvSchema.extend({
  /** How far back a run looks: raw mail stored longer ago was an earlier run's to find. */
  RECONCILE_WINDOW_MINUTES: positiveInt('120'),
  /**
   * Raw mail younger than this is left to its own invocation, which normally ends within seconds
   * and is retried within minutes. 0 looks at mail at once (tests); a late invocation then finds
   * the record and does nothing, but the mail was run with unknown verdicts.
   */
  RECONCILE_GRACE_MINUTES: z.string().default('10').transform(Number).pipe(z.number().int().min(0)),
  /** Raw objects of the window checked against the table per run, oldest first. */
  RECONCILE_MAX_CHECKS: positiveInt('5000'),
  /** Mails without a record recovered per run; the rest wait for the next run. */
  RECONCILE_MAX_RECOVERIES: positiveInt('50'),
  POWERTOOLS_SERVICE_NAME: z.string().default('postroom-reconcile'),
});
export type ReconcileEnv = z.infer<typeof ReconcileEnvSchema>;
/** What a deployment must set: every key a string (CDK tokens included). */
export type ReconcileEnvInput = { readonly [K in keyof z.input<typeof ReconcileEnvSchema>]-?: string };
