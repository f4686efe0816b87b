import { type Api, ApiError, path } from './api.ts';
import type { Lease } from './types.ts';

/** Seconds a taken mail stays invisible to other agents; extended while the agent works on it. */
export const LEASE_SECONDS = 300;
/** Extend when less than this is left: two heartbeats' worth, so one failed request loses nothing. */
const EXTEND_BEFORE_MS = 120_000;
const CHECK_EVERY_MS = 20_000;

/**
 * The mail this agent took from a queue and holds (`POST /work/queues/{skill}/take`): kept in the
 * tab's session storage (a reload keeps working on it) and extended while it is held. A reply or a
 * close by the holder completes the lease on the server (the queue message is deleted), so the
 * console only forgets it then; "Put back" releases it for the next agent.
 */
export class Leases {
  private readonly held = new Map<string, Lease>();
  private timer: number | undefined;

  constructor(
    private readonly api: Api,
    private readonly agentId: string,
    private readonly onChange: () => void,
    private readonly onLost: (lease: Lease, reason: string) => void,
  ) {
    for (const lease of this.stored()) this.held.set(lease.id, lease);
  }

  all(): Lease[] {
    return [...this.held.values()];
  }

  forConversation(conversationId: string): Lease | undefined {
    return this.all().find((l) => l.conversationId === conversationId);
  }

  /** Takes the next mail of a skill; null when nothing is waiting. */
  async take(skill: string): Promise<Lease | null> {
    const answer = await this.api.post<{ lease: Lease } | null>(path('/work/queues/{skill}/take', { skill }), { visibilitySeconds: LEASE_SECONDS });
    if (answer.status === 204 || !answer.data) return null;
    const { lease } = answer.data;
    this.held.set(lease.id, lease);
    this.changed();
    return lease;
  }

  /** Puts the mail back on its queue for the next agent. */
  async release(lease: Lease): Promise<void> {
    try {
      await this.api.post(path('/work/leases/{leaseId}/release', { leaseId: lease.id }));
    } catch (error) {
      // Gone already (expired, or completed by a reply): there is nothing left to put back.
      if (!(error instanceof ApiError && (error.status === 404 || error.status === 410))) throw error;
    }
    this.held.delete(lease.id);
    this.changed();
  }

  /** The server completed the lease (a reply or close by its holder): forget it. */
  forget(conversationId: string): void {
    for (const lease of this.all()) if (lease.conversationId === conversationId) this.held.delete(lease.id);
    this.changed();
  }

  start(): void {
    this.stop();
    this.timer = window.setInterval(() => void this.extendDue(), CHECK_EVERY_MS);
    void this.extendDue();
  }

  stop(): void {
    if (this.timer !== undefined) window.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Releases everything held, for signing out: the mail goes back to the queue at once. */
  async releaseAll(): Promise<void> {
    await Promise.allSettled(this.all().map((l) => this.release(l)));
  }

  private async extendDue(): Promise<void> {
    const now = Date.now();
    for (const lease of this.all()) {
      if (Date.parse(lease.expiresAt) - now > EXTEND_BEFORE_MS) continue;
      try {
        const answer = await this.api.post<{ expiresAt: string }>(path('/work/leases/{leaseId}/extend', { leaseId: lease.id }));
        this.held.set(lease.id, { ...lease, expiresAt: answer.data.expiresAt });
        this.changed();
      } catch (error) {
        if (error instanceof ApiError && (error.status === 404 || error.status === 410 || error.status === 403)) {
          this.held.delete(lease.id);
          this.changed();
          this.onLost(lease, error.message);
        }
      }
    }
  }

  private key(): string {
    return `postroom.leases.${this.agentId}`;
  }

  private stored(): Lease[] {
    try {
      const parsed = JSON.parse(sessionStorage.getItem(this.key()) ?? '[]') as unknown;
      return Array.isArray(parsed) ? (parsed as Lease[]).filter((l) => typeof l?.id === 'string') : [];
    } catch {
      return [];
    }
  }

  private changed(): void {
    sessionStorage.setItem(this.key(), JSON.stringify(this.all()));
    this.onChange();
  }
}
