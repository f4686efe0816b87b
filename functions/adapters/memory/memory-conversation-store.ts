import { BusyError, NotFoundError } from '../../core/errors.ts';
import { rootOf } from '../../core/conversation/merge-chain.ts';
import type { ConversationRef } from '../../core/model/conversation.ts';
import type { ConversationStore, JoinOptions, MessageIdClaim, NewConversation } from '../../core/ports/conversation-store.ts';

interface Conversation {
  id: string;
  channelId: string;
  ticketNumber: string;
  createdAt: string;
  participants: Set<string>;
  externalParties: Set<string>;
  status: 'open' | 'closed';
  lastAgent: string | null;
  replyToken: string | null;
  visibility: 'pending' | 'published' | 'merged';
  mergedInto: string | null;
}

/**
 * In-memory conversation store with the persistent store's semantics (first-writer-wins claims,
 * candidates pending until published or merged, merge pointers followed the same way), for the
 * CLI, the conformance run and tests. Threading goes through the same use cases as the Lambda,
 * so a duplicate delivery, a late-arriving parent and two racing replies to an unseen thread end
 * in one conversation here as they do in DynamoDB.
 */
export class MemoryConversationStore implements ConversationStore {
  private readonly conversations = new Map<string, Conversation>();
  private readonly claims = new Map<string, string>();
  /** Stored message carrying each Message-ID as its own. */
  private readonly owners = new Map<string, string>();
  /** SES message id of the mail each inbound owner was stored from. */
  private readonly receipts = new Map<string, string>();
  private readonly external = new Set<string>();

  async findByMessageIds(channelId: string, messageIds: readonly string[]): Promise<Map<string, ConversationRef>> {
    const found = new Map<string, ConversationRef>();
    for (const id of messageIds) {
      const owner = this.claims.get(claimKey(channelId, id));
      if (owner) found.set(id, await this.resolved(owner));
    }
    return found;
  }

  async findByTicketNumber(channelId: string, ticketNumber: string): Promise<ConversationRef | null> {
    return this.published((c) => c.channelId === channelId && c.ticketNumber === ticketNumber);
  }

  async findByReplyToken(channelId: string, token: string): Promise<ConversationRef | null> {
    const wanted = token.toLowerCase();
    return this.published((c) => c.channelId === channelId && c.replyToken === wanted);
  }

  async create(c: NewConversation): Promise<NewConversation> {
    const stored = this.conversations.get(c.id) ?? {
      id: c.id,
      channelId: c.channelId,
      ticketNumber: c.ticketNumber,
      createdAt: c.createdAt,
      participants: new Set<string>(),
      externalParties: new Set<string>(),
      status: c.status ?? ('open' as const),
      lastAgent: null,
      replyToken: c.replyToken,
      visibility: 'pending' as const,
      mergedInto: null,
    };
    this.conversations.set(c.id, stored);
    return { id: stored.id, channelId: stored.channelId, ticketNumber: stored.ticketNumber, replyToken: stored.replyToken, createdAt: stored.createdAt };
  }

  async claim(channelId: string, messageId: string, conversationId: string): Promise<string> {
    const key = claimKey(channelId, messageId);
    if (!this.claims.has(key)) this.claims.set(key, conversationId);
    return this.claims.get(key) ?? conversationId;
  }

  async claimOwn(
    channelId: string,
    messageId: string,
    owner: string,
    conversationId: string | null,
    receipt?: string,
    options: { readonly external?: boolean } = {},
  ): Promise<MessageIdClaim> {
    const key = claimKey(channelId, messageId);
    const first = this.owners.get(key);
    // Owned by another message: a second copy writes nothing, as in DynamoDB.
    if (first !== undefined && first !== owner) return this.claimOf(key) ?? { owner: first, conversationId: null };
    this.owners.set(key, owner);
    if (receipt !== undefined) this.receipts.set(key, receipt);
    if (options.external) this.external.add(key);
    if (conversationId !== null && !this.claims.has(key)) this.claims.set(key, conversationId);
    return this.claimOf(key) ?? { owner, conversationId: null };
  }

  async findClaims(channelId: string, messageIds: readonly string[]): Promise<Map<string, MessageIdClaim>> {
    const found = new Map<string, MessageIdClaim>();
    for (const id of messageIds) {
      const claim = this.claimOf(claimKey(channelId, id));
      if (claim) found.set(id, claim);
    }
    return found;
  }

  private claimOf(key: string): MessageIdClaim | null {
    const conversationId = this.claims.get(key) ?? null;
    const owner = this.owners.get(key) ?? null;
    if (conversationId === null && owner === null) return null;
    const receipt = this.receipts.get(key);
    return { conversationId, owner, ...(receipt === undefined ? {} : { receipt }), ...(this.external.has(key) ? { external: true as const } : {}) };
  }

  async getConversations(ids: readonly string[]): Promise<Map<string, ConversationRef>> {
    const found = new Map<string, ConversationRef>();
    for (const id of ids) if (this.conversations.has(id)) found.set(id, await this.resolved(id));
    return found;
  }

  async moveClaim(channelId: string, messageId: string, from: string, to: string): Promise<void> {
    const key = claimKey(channelId, messageId);
    if (this.claims.get(key) === from) this.claims.set(key, to);
  }

  async join(conversationId: string, participants: readonly string[], _at: string, options: JoinOptions): Promise<ConversationRef> {
    const c = this.get(await this.rootOf(conversationId));
    if (c.visibility === 'pending') throw new BusyError(`conversation ${c.id} is another attempt's pending candidate`);
    for (const p of participants) (options.external ? c.externalParties : c.participants).add(p);
    if (options.reopen) c.status = 'open';
    if (options.agent !== undefined) c.lastAgent = options.agent;
    return this.ref(c.id);
  }

  async publish(conversation: NewConversation, participants: readonly string[], at: string, options: JoinOptions): Promise<ConversationRef> {
    const c = this.get(conversation.id);
    if (c.visibility === 'pending') c.visibility = 'published';
    return this.join(c.id, participants, at, options);
  }

  async markMerged(conversationId: string, into: string, _at: string): Promise<string> {
    const root = await this.rootOf(into);
    const c = this.conversations.get(conversationId);
    // Never created (an attempt that crashed before it): nothing to merge, as in DynamoDB.
    if (!c || root === conversationId) return conversationId;
    if (c.visibility === 'merged') return this.rootOf(conversationId);
    if (c.visibility === 'published') return conversationId;
    c.visibility = 'merged';
    c.mergedInto = root;
    return root;
  }

  /** Closes a conversation (as an agent would); the next human message joining reopens it. */
  close(conversationId: string): void {
    this.get(conversationId).status = 'closed';
  }

  /** A snapshot of one conversation. */
  conversation(conversationId: string): ConversationRef {
    return this.ref(conversationId);
  }

  /** Snapshots of every conversation that was not merged into another, in creation order. */
  list(): ConversationRef[] {
    return [...this.conversations.values()].filter((c) => c.visibility !== 'merged').map((c) => this.ref(c.id));
  }

  private published(match: (c: Conversation) => boolean): ConversationRef | null {
    const c = [...this.conversations.values()].find((x) => x.visibility === 'published' && match(x));
    return c ? this.ref(c.id) : null;
  }

  private rootOf(id: string): Promise<string> {
    return rootOf((current) => this.get(current), id);
  }

  private async resolved(id: string): Promise<ConversationRef> {
    return this.ref(await this.rootOf(id));
  }

  private get(id: string): Conversation {
    const c = this.conversations.get(id);
    if (!c) throw new NotFoundError(`conversation ${id} not found`);
    return c;
  }

  private ref(id: string): ConversationRef {
    const c = this.get(id);
    return {
      id: c.id,
      channelId: c.channelId,
      ticketNumber: c.ticketNumber,
      participants: [...c.participants],
      status: c.status,
      lastAgent: c.lastAgent,
      replyToken: c.replyToken,
      ...(c.externalParties.size > 0 ? { externalParties: [...c.externalParties].sort() } : {}),
    };
  }
}

function claimKey(channelId: string, messageId: string): string {
  return `${channelId}\u0000${messageId}`;
}
