import type { TicketSequence } from '../../core/ports/conversation-store.ts';

/** One counter for every channel from 1, like the deployment's DynamoDB counter. */
export class MemoryTicketSequence implements TicketSequence {
  private value = 0;

  async next(_channelId: string): Promise<number> {
    this.value += 1;
    return this.value;
  }
}
