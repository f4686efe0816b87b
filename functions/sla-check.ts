import { readEnv } from './runtime/env.ts';
import { SlaCheckEnvSchema } from './runtime/sla-env.ts';
import { createSlaCheckHandler } from './runtime/sla-handler.ts';

/** The SLA check, every minute: warning and breach events to the SNS topic. The wiring in `runtime/`. */
export const handler = createSlaCheckHandler(readEnv(SlaCheckEnvSchema));
