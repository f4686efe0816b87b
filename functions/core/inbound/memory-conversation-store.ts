import { AppError, BusyError, NotFoundError } from '../errors.ts';
import type { ChannelSettings } from '../model/channel.ts';
import type { Lane } from '../model/classification.ts';
import type { ConversationRef, ThreadDecision } from '../model/conversation.ts';
import type { ParsedMessage } from '../model/message.ts';
import type { ConversationStore, IdGenerator, JoinOptions, MessageIdClaim, NewConversation, TicketSequence } from '../ports.ts';
import { applyThread, newCandidate, type AppliedThread } from './apply-thread.ts';

export interface ApplyThreadInput {
  readonly channel: ChannelSettings;
  readonly message: ParsedMessage;
  /** @default 'human' */
  readonly lane?: Lane;
  /** Tags of the inbound decision (verdicts, flags). @default [] */
  readonly tags?: readonly string[];
}

/** The conversation a message ended in; `created` is false when it joined one, even for a `new` decision. */
export type AppliedConversation = AppliedThread;

interface Conversation {
  id: string;
  channelId: string;
  ticketNumber: string;
  createdAt: string;
  participants: Set<string>;
  status: 'open' | 'closed';
  lastAgent: string | null;
  replyToken: string | null;
  visibility: 'pending' | 'published' | 'merged';
  mergedInto: string | null;
}

/** Counts per channel from 1, like the DynamoDB atomic counter will. */
export class MemoryTicketSequence implements TicketSequence {
  private readonly values = new Map<string, number>();

  async next(channelId: string): Promise<number> {
    const value = (this.values.get(channelId) ?? 0) + 1;
    this.values.set(channelId, value);
    return value;
  }
}

/** Merge pointers followed at most before the data counts as broken. */
const MAX_MERGE_HOPS = 16;

/**
 * In-memory conversation store with the persistent store's semantics (first-writer-wins claims,
 * candidates pending until published or merged), for the CLI and tests. `apply` threads through
 * the same `applyThread` as the Lambda, so a duplicate delivery, a late-arriving parent and two
 * racing replies to an unseen thread end in one conversation here as they do in DynamoDB.
 */
export class MemoryConversationStore implements ConversationStore {
  private readonly conversations = new Map<string, Conversation>();
  private readonly claims = new Map<string, string>();
  /** Stored message carrying each Message-ID as its own. */
  private readonly owners = new Map<string, string>();
  private readonly ids: IdGenerator;
  private readonly tickets: TicketSequence;

  constructor(deps: { readonly ids: IdGenerator; readonly tickets?: TicketSequence }) {
    this.ids = deps.ids;
    this.tickets = deps.tickets ?? new MemoryTicketSequence();
  }

  async findByMessageIds(channelId: string, messageIds: readonly string[]): Promise<Map<string, ConversationRef>> {
    const found = new Map<string, ConversationRef>();
    for (const id of messageIds) {
      const owner = this.claims.get(claimKey(channelId, id));
      if (owner) found.set(id, this.ref(this.rootOf(owner)));
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
      id: c.id, channelId: c.channelId, ticketNumber: c.ticketNumber, createdAt: c.createdAt, participants: new Set<string>(),
      status: 'open' as const, lastAgent: null, replyToken: c.replyToken, visibility: 'pending' as const, mergedInto: null,
    };
    this.conversations.set(c.id, stored);
    return { id: stored.id, channelId: stored.channelId, ticketNumber: stored.ticketNumber, replyToken: stored.replyToken, createdAt: stored.createdAt };
  }

  async claim(channelId: string, messageId: string, conversationId: string): Promise<string> {
    const key = claimKey(channelId, messageId);
    if (!this.claims.has(key)) this.claims.set(key, conversationId);
    return this.claims.get(key) ?? conversationId;
  }

  async claimOwn(channelId: string, messageId: string, owner: string, conversationId: string | null): Promise<MessageIdClaim> {
    const key = claimKey(channelId, messageId);
    const first = this.owners.get(key);
    // Owned by another message: a second copy writes nothing, as in DynamoDB.
    if (first !== undefined && first !== owner) return { owner: first, conversationId: this.claims.get(key) ?? null };
    this.owners.set(key, owner);
    if (conversationId !== null && !this.claims.has(key)) this.claims.set(key, conversationId);
    return { owner, conversationId: this.claims.get(key) ?? null };
  }

  async findClaims(channelId: string, messageIds: readonly string[]): Promise<Map<string, MessageIdClaim>> {
    const found = new Map<string, MessageIdClaim>();
    for (const id of messageIds) {
      const key = claimKey(channelId, id);
      const claim = { conversationId: this.claims.get(key) ?? null, owner: this.owners.get(key) ?? null };
      if (claim.conversationId !== null || claim.owner !== null) found.set(id, claim);
    }
    return found;
  }

  async getConversations(ids: readonly string[]): Promise<Map<string, ConversationRef>> {
    return new Map(ids.filter((id) => this.conversations.has(id)).map((id) => [id, this.ref(this.rootOf(id))]));
  }

  async moveClaim(channelId: string, messageId: string, from: string, to: string): Promise<void> {
    const key = claimKey(channelId, messageId);
    if (this.claims.get(key) === from) this.claims.set(key, to);
  }

  async join(conversationId: string, participants: readonly string[], _at: string, options: JoinOptions): Promise<ConversationRef> {
    const c = this.get(this.rootOf(conversationId));
    if (c.visibility === 'pending') throw new BusyError(`conversation ${c.id} is another attempt's pending candidate`);
    for (const p of participants) c.participants.add(p);
    if (options.reopen) c.status = 'open';
    return this.ref(c.id);
  }

  async publish(conversation: NewConversation, participants: readonly string[], at: string, options: JoinOptions): Promise<ConversationRef> {
    const c = this.get(conversation.id);
    if (c.visibility === 'pending') c.visibility = 'published';
    return this.join(c.id, participants, at, options);
  }

  async markMerged(conversationId: string, into: string, _at: string): Promise<string> {
    const root = this.rootOf(into);
    const c = this.conversations.get(conversationId);
    // Never created (an attempt that crashed before it): nothing to merge, as in DynamoDB.
    if (!c || root === conversationId) return conversationId;
    if (c.visibility === 'merged') return this.rootOf(conversationId);
    if (c.visibility === 'published') return conversationId;
    c.visibility = 'merged';
    c.mergedInto = root;
    return root;
  }

  /**
   * Threads a decision as the Lambda does: a `new` decision gets a candidate (next ticket number,
   * an id, a reply token if the channel uses them), then `applyThread` writes it. Returns null for
   * `unattached`.
   */
  async apply(channelId: string, decision: ThreadDecision, input: ApplyThreadInput): Promise<AppliedConversation | null> {
    const joined = decision.action === 'join' ? decision.conversation?.id : undefined;
    if (decision.action === 'join' && (!joined || this.conversations.get(joined)?.channelId !== channelId)) {
      throw new NotFoundError(`conversation ${joined ?? '(none)'} not found in channel ${channelId}`);
    }
    const channel = { ...input.channel, id: channelId };
    const candidate = decision.action === 'new' ? await newCandidate({ tickets: this.tickets, ids: this.ids }, channel) : null;
    return applyThread({ store: this, pause: yieldTurn }, { ...input, channel, decision, candidate, at: new Date(0).toISOString() });
  }

  /** Records a message the system sent: its Message-ID becomes a threading target, its recipients participants. */
  recordOutbound(conversationId: string, messageId: string, recipients: readonly string[], agent?: string): void {
    const c = this.get(conversationId);
    const key = claimKey(c.channelId, messageId);
    if (!this.claims.has(key)) this.claims.set(key, c.id);
    for (const r of recipients) c.participants.add(r.toLowerCase());
    if (agent !== undefined) c.lastAgent = agent;
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

  private rootOf(id: string): string {
    let c = this.get(id);
    for (let hops = 0; c.visibility === 'merged' && c.mergedInto; hops++) {
      if (hops >= MAX_MERGE_HOPS) throw new AppError('merge-loop', `conversation merge pointers loop at ${id}`);
      c = this.get(c.mergedInto);
    }
    return c.id;
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
    };
  }
}

/** Lets a racing `apply` run on; in memory a pending candidate settles within a few turns. */
function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function claimKey(channelId: string, messageId: string): string {
  return `${channelId}\u0000${messageId}`;
}
