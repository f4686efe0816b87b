import type { ConversationRef } from '../model/conversation.ts';
import type { ConversationStore, MessageIdClaim, ThreadLookup } from '../ports/conversation-store.ts';

/** What the lookup learnt of a message's own Message-ID: its claim, and the conversation that claim ends in. */
export interface OwnIdSeen {
  readonly claim: MessageIdClaim | null;
  readonly conversation: ConversationRef | null;
}

/**
 * The thread lookup for one message that also reads the claim of the message's own Message-ID,
 * in the same requests as the claims of its In-Reply-To and References: whether another stored
 * message carries that id (a second copy) is then known before anything is written, at no cost
 * of its own. `seen` stays undefined when threading read no claims (no header ids).
 */
export class OwnIdProbe implements ThreadLookup {
  seen: OwnIdSeen | undefined;

  constructor(
    private readonly store: ConversationStore,
    private readonly ownId: string | null,
  ) {}

  async findByMessageIds(channelId: string, messageIds: readonly string[]): Promise<Map<string, ConversationRef>> {
    const own = this.ownId;
    const claims = await this.store.findClaims(channelId, own && !messageIds.includes(own) ? [...messageIds, own] : messageIds);
    const targets = [...new Set([...claims.values()].flatMap((c) => (c.conversationId ? [c.conversationId] : [])))];
    const conversations = await this.store.getConversations(targets);
    const conversationOf = (id: string): ConversationRef | undefined => {
      const target = claims.get(id)?.conversationId;
      return target ? conversations.get(target) : undefined;
    };
    if (own) this.seen = { claim: claims.get(own) ?? null, conversation: conversationOf(own) ?? null };
    const found = new Map<string, ConversationRef>();
    for (const id of messageIds) {
      const conversation = conversationOf(id);
      if (conversation) found.set(id, conversation);
    }
    return found;
  }

  findByTicketNumber(channelId: string, ticketNumber: string): Promise<ConversationRef | null> {
    return this.store.findByTicketNumber(channelId, ticketNumber);
  }

  findByReplyToken(channelId: string, token: string): Promise<ConversationRef | null> {
    return this.store.findByReplyToken(channelId, token);
  }
}
