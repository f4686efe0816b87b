import { readEnv } from './runtime/env.ts';
import { createReconcileHandler } from './runtime/reconcile-handler.ts';
import { ReconcileEnvSchema } from './runtime/reconcile-env.ts';

/** The reconciliation of raw mail with processing records, every 15 minutes: the wiring in `runtime/`. */
export const handler = createReconcileHandler(readEnv(ReconcileEnvSchema));
