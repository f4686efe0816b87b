import { readEnv } from './runtime/env.ts';
import { createPrivacyHandler } from './runtime/privacy-handler.ts';
import { PrivacyEnvSchema } from './runtime/privacy-env.ts';

/** SQS events of the privacy queue, one job step each: the environment read once at cold start, the wiring in `runtime/`. */
export const handler = createPrivacyHandler(readEnv(PrivacyEnvSchema));
