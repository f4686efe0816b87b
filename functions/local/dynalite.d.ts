declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    readonly createTableMs?: number;
    readonly deleteTableMs?: number;
    readonly updateTableMs?: number;
    readonly path?: string;
  }

  /** An in-memory DynamoDB-compatible HTTP server (not yet listening). */
  export default function dynalite(options?: DynaliteOptions): Server;
}
