import { InboundEnvSchema, readEnv } from './runtime/env.ts';
import { createInboundHandler } from './runtime/inbound-handler.ts';

/** SES's receipt rule Lambda action: the environment read once at cold start, the wiring in `runtime/`. */
export const handler = createInboundHandler(readEnv(InboundEnvSchema));
