import { readEnv } from './runtime/env.ts';
import { createSourceHandler } from './runtime/source-handler.ts';
import { SourceEnvSchema } from './runtime/source-env.ts';

/** The mailbox function: the schedule dispatches due mailboxes, the poll queue polls them. */
export const handler = createSourceHandler(readEnv(SourceEnvSchema));
