import type { Api } from './api.ts';
import type { Leases } from './leases.ts';
import type { Me } from './types.ts';

/** What every view of the signed-in console shares. */
export interface ConsoleContext {
  readonly api: Api;
  readonly me: Me;
  readonly leases: Leases;
  /** A short status line, read out by screen readers (`role=status`). */
  announce(text: string): void;
  /** An error the agent must see (`role=alert`), with the API's problem message. */
  fail(error: unknown): void;
  /** Shows a conversation (`#/conversations/<id>`). */
  open(conversationId: string): void;
  /** Reads the queues' counts again (after a take, a release, a reply). */
  refreshQueues(): void;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
