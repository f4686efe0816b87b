import { BusyError } from '../../core/errors.ts';
import type { OutboundStoredMessage } from '../../core/model/stored-message.ts';
import type { OutboundMessageStore } from '../../core/ports/outbound-messages.ts';
import { bareMessageId } from '../../core/model/outbound-mail.ts';

/** Lookups are keyed by the bare id, however a report or a header wrote it. */
const bare = (id: string): string => bareMessageId(id.trim());

/** Messages we sent, in memory, findable as in DynamoDB by SES id and by any of their Message-IDs. */
export class MemoryOutboundMessages implements OutboundMessageStore {
  private readonly messages = new Map<string, OutboundStoredMessage>();
  private readonly byProviderId = new Map<string, string>();
  private readonly byInternetId = new Map<string, string>();

  async findBySesMessageId(sesMessageId: string): Promise<OutboundStoredMessage | null> {
    const id = this.byProviderId.get(sesMessageId);
    return id ? (this.messages.get(id) ?? null) : null;
  }

  async findByInternetMessageId(channelId: string, internetMessageId: string): Promise<OutboundStoredMessage | null> {
    const id = this.byInternetId.get(`${channelId}\u0000${bare(internetMessageId)}`);
    return id ? (this.messages.get(id) ?? null) : null;
  }

  async put(message: OutboundStoredMessage, options: { readonly expectedUpdatedAt?: string } = {}): Promise<void> {
    const stored = this.messages.get(message.messageId);
    if (options.expectedUpdatedAt !== undefined && stored?.updatedAt !== options.expectedUpdatedAt) {
      throw new BusyError(`outbound message ${message.messageId} changed since it was read`);
    }
    this.messages.set(message.messageId, structuredClone(message));
    if (message.providerMessageId) this.byProviderId.set(message.providerMessageId, message.messageId);
    for (const id of [message.internetMessageId, ...message.threadIds]) {
      if (id) this.byInternetId.set(`${message.channelId}\u0000${bare(id)}`, message.messageId);
    }
  }

  /** The stored message, for checks. */
  get(messageId: string): OutboundStoredMessage | undefined {
    return this.messages.get(messageId);
  }
}
