import { readEnv } from './runtime/env.ts';
import { OutboundEnvSchema } from './runtime/outbound-env.ts';
import { createOutboundHandler } from './runtime/outbound-handler.ts';

/** Jobs from the outbound FIFO queue: the environment read once at cold start, the wiring in `runtime/`. */
export const handler = createOutboundHandler(readEnv(OutboundEnvSchema));
