import type { ConversationRef } from '../model/conversation.ts';
import type { ConversationStore, MessageIdClaim, ThreadLookup } from '../ports/conversation-store.ts';

/** What the lookup learnt of a message's own Message-ID: its claim, and the conversation that claim ends in. */
export interface OwnIdSeen {
  readonly claim: MessageIdClaim | null;
  /** Undefined until the probe has read the conversations (`resolve`). */
  readonly conversation: ConversationRef | null | undefined;
}

/**
 * The thread lookup for one message. It reads the claims of the message's In-Reply-To and
 * References together with the claim of its own Message-ID, in one request: whether another
 * stored message carries that id (a second copy) is then known before anything is written, at no
 * cost of its own. `seen` stays undefined when threading read no claims (no header ids).
 *
 * The claims alone answer first: a conversation they name is known by its id only (`provisional`),
 * so a join can stand in for reading it (the join's write returns the conversation). A decision
 * that needs more of it (participants, status, where a merged one ended) calls `resolve`, which
 * reads the conversations once; from then on the lookup answers with them. Every lookup is read
 * once per probe, so deciding again costs no request.
 */
export class OwnIdProbe implements ThreadLookup {
  seen: OwnIdSeen | undefined;
  private readonly read = new Set<string>();
  private readonly claims = new Map<string, MessageIdClaim>();
  private readonly provisionalIds = new Set<string>();
  private conversations: Map<string, ConversationRef> | null = null;
  private readonly byTicket = new Map<string, Promise<ConversationRef | null>>();
  private readonly byToken = new Map<string, Promise<ConversationRef | null>>();

  constructor(
    private readonly store: ConversationStore,
    private readonly ownId: string | null,
  ) {}

  async findByMessageIds(channelId: string, messageIds: readonly string[]): Promise<Map<string, ConversationRef>> {
    const own = this.ownId;
    const unread = [...new Set(own ? [...messageIds, own] : messageIds)].filter((id) => !this.read.has(id));
    if (unread.length > 0) {
      const found = await this.store.findClaims(channelId, unread);
      for (const id of unread) {
        this.read.add(id);
        const claim = found.get(id);
        if (claim) this.claims.set(id, claim);
      }
      if (this.conversations) await this.readConversations();
    }
    if (own) this.seen = { claim: this.claims.get(own) ?? null, conversation: this.conversations ? (this.refOf(channelId, own) ?? null) : undefined };
    const found = new Map<string, ConversationRef>();
    for (const id of messageIds) {
      const conversation = this.refOf(channelId, id);
      if (conversation) found.set(id, conversation);
    }
    return found;
  }

  /** True when the claim read for this Message-ID is an external party's thread (`MessageIdClaim.external`). */
  isExternal(messageId: string): boolean {
    return this.claims.get(messageId)?.external === true;
  }

  findByTicketNumber(channelId: string, ticketNumber: string): Promise<ConversationRef | null> {
    return once(this.byTicket, `${channelId}\u0000${ticketNumber}`, () => this.store.findByTicketNumber(channelId, ticketNumber));
  }

  findByReplyToken(channelId: string, token: string): Promise<ConversationRef | null> {
    return once(this.byToken, `${channelId}\u0000${token}`, () => this.store.findByReplyToken(channelId, token));
  }

  /** True while the lookup has named this conversation by its claim alone (its participants and status unknown). */
  isProvisional(conversationId: string | null | undefined): boolean {
    return conversationId !== null && conversationId !== undefined && this.provisionalIds.has(conversationId);
  }

  /** True when some answer so far named a conversation by its claim alone. */
  get provisional(): boolean {
    return this.provisionalIds.size > 0;
  }

  /** Reads the conversations the claims name (following merges, one request); the lookup answers with them from now on. */
  async resolve(channelId: string): Promise<void> {
    if (this.conversations) return;
    await this.readConversations();
    this.provisionalIds.clear();
    const own = this.ownId;
    if (own && this.seen) this.seen = { claim: this.seen.claim, conversation: this.refOf(channelId, own) ?? null };
  }

  /** Reads the conversations the claims name that are not read yet. */
  private async readConversations(): Promise<void> {
    const known = this.conversations ?? new Map<string, ConversationRef>();
    const targets = [...new Set([...this.claims.values()].flatMap((c) => (c.conversationId && !known.has(c.conversationId) ? [c.conversationId] : [])))];
    const found = targets.length > 0 ? await this.store.getConversations(targets) : new Map<string, ConversationRef>();
    this.conversations = new Map([...known, ...found]);
  }

  /** The conversation a Message-ID's claim names: as read once resolved, else known by its id alone. */
  private refOf(channelId: string, messageId: string): ConversationRef | undefined {
    const target = this.claims.get(messageId)?.conversationId;
    if (!target) return undefined;
    if (this.conversations) return this.conversations.get(target);
    this.provisionalIds.add(target);
    return { id: target, channelId, ticketNumber: '', participants: [], status: 'open', lastAgent: null, replyToken: null };
  }
}

function once<T>(memo: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> {
  const known = memo.get(key);
  if (known) return known;
  const reading = read();
  memo.set(key, reading);
  return reading;
}
