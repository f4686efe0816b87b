import { AdminEnvSchema } from './runtime/admin-env.ts';
import { readEnv } from './runtime/env.ts';
import { createAdminHandler } from './runtime/admin-handler.ts';

/** API Gateway HTTP API (payload v2) events: the environment read once at cold start, the wiring in `runtime/`. */
export const handler = createAdminHandler(readEnv(AdminEnvSchema));
