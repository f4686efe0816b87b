import { readEnv } from './runtime/env.ts';
import { RetentionExpiryEnvSchema } from './runtime/retention-env.ts';
import { createRetentionHandler } from './runtime/retention-handler.ts';

/** What DynamoDB's TTL removed, from the table's stream: the environment read once at cold start, the wiring in `runtime/`. */
export const handler = createRetentionHandler(readEnv(RetentionExpiryEnvSchema));
