import type { TicketSequence } from '../../core/ports/conversation-store.ts';

/** Counts per channel from 1, like the DynamoDB atomic counter. */
export class MemoryTicketSequence implements TicketSequence {
  private readonly values = new Map<string, number>();

  async next(channelId: string): Promise<number> {
    const value = (this.values.get(channelId) ?? 0) + 1;
    this.values.set(channelId, value);
    return value;
  }
}
