import type { WindowCounter } from '../../core/ports/window-counter.ts';

/** Sliding-window counts in memory: one timestamp per event id and key. */
export class MemoryWindowCounter implements WindowCounter {
  private readonly hits = new Map<string, Map<string, number>>();

  async hit(key: string, event: { readonly id: string; readonly at: Date }, windowMs: number): Promise<number> {
    const events = this.hits.get(key) ?? new Map<string, number>();
    events.set(event.id, event.at.getTime());
    this.hits.set(key, events);
    const end = event.at.getTime();
    return [...events.values()].filter((t) => t > end - windowMs && t <= end).length;
  }
}
