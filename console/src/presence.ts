import { type Api, path } from './api.ts';
import type { PresenceEntry } from './types.ts';

/** The server forgets a presence after 60 s without a heartbeat; three heartbeats fit in that. */
const HEARTBEAT_MS = 20_000;
/** How often the others' presence is read: often enough that a collision shows within seconds. */
const READ_MS = 5_000;

export type PresenceState = PresenceEntry['state'];

/**
 * This agent's presence on one conversation (viewing, or answering while the reply box holds
 * text), sent as heartbeats, and the other agents' presence read back, so two agents see each
 * other before both answer the same customer.
 */
export class Presence {
  private state: PresenceState = 'viewing';
  private timers: number[] = [];
  private stopped = false;

  constructor(
    private readonly api: Api,
    private readonly conversationId: string,
    private readonly show: (others: readonly PresenceEntry[]) => void,
  ) {}

  start(): void {
    void this.beat();
    void this.read();
    this.timers = [window.setInterval(() => void this.beat(), HEARTBEAT_MS), window.setInterval(() => void this.read(), READ_MS)];
  }

  /** Changes the state; sent at once when it differs. */
  set(state: PresenceState): void {
    if (state === this.state || this.stopped) return;
    this.state = state;
    void this.beat();
  }

  /** Leaves the conversation: the others see it at their next read. */
  stop(keepalive = false): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const t of this.timers) window.clearInterval(t);
    void this.api.delete(this.url(), keepalive).catch(() => undefined);
  }

  private url(): string {
    return path('/conversations/{id}/presence', { id: this.conversationId });
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    await this.api.put(this.url(), { state: this.state }).catch(() => undefined);
  }

  private async read(): Promise<void> {
    if (this.stopped) return;
    try {
      const answer = await this.api.get<{ agents: PresenceEntry[] }>(this.url());
      if (!this.stopped) this.show(answer.agents.filter((a) => !a.self));
    } catch {
      // Presence is a hint: a failed read leaves the last one shown.
    }
  }
}
