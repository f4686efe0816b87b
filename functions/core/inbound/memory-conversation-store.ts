import { NotFoundError } from '../errors.ts';
import type { ChannelSettings } from '../model/channel.ts';
import type { ConversationRef, ThreadDecision } from '../model/conversation.ts';
import type { ParsedMessage } from '../model/message.ts';
import type { IdGenerator, ThreadLookup, TicketSequence } from '../ports.ts';
import { formatTicketNumber } from './ticket-number.ts';

export interface ApplyThreadInput {
  readonly channel: ChannelSettings;
  readonly message: ParsedMessage;
}

/** The conversation a message ended in; `created` is false when it joined one, even for a `new` decision. */
export type AppliedConversation = ConversationRef & { readonly created: boolean };

interface Conversation {
  id: string;
  channelId: string;
  ticketNumber: string;
  participants: Set<string>;
  status: 'open' | 'closed';
  lastAgent: string | null;
  replyToken: string | null;
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

/**
 * In-memory conversation store: the reference semantics for threading that persistent stores
 * copy. Message-ID claims are first-writer-wins per channel (a conditional put in DynamoDB), and a
 * `new` decision whose claims are already owned joins the owner instead, so a duplicate delivery,
 * a late-arriving parent and two racing replies to an unseen thread all end in one conversation.
 */
export class MemoryConversationStore implements ThreadLookup {
  private readonly conversations = new Map<string, Conversation>();
  private readonly claims = new Map<string, string>();
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
      if (owner) found.set(id, this.ref(owner));
    }
    return found;
  }

  async findByTicketNumber(channelId: string, ticketNumber: string): Promise<ConversationRef | null> {
    const c = [...this.conversations.values()].find((x) => x.channelId === channelId && x.ticketNumber === ticketNumber);
    return c ? this.ref(c.id) : null;
  }

  async findByReplyToken(channelId: string, token: string): Promise<ConversationRef | null> {
    const wanted = token.toLowerCase();
    const c = [...this.conversations.values()].find((x) => x.channelId === channelId && x.replyToken === wanted);
    return c ? this.ref(c.id) : null;
  }

  /**
   * Writes a threading decision: creates or joins the conversation, claims the decision's ids,
   * adds the message's addresses (From, Reply-To, To, Cc minus the channel's own) as participants
   * and reopens a closed conversation. Returns null for `unattached`.
   */
  async apply(channelId: string, decision: ThreadDecision, input: ApplyThreadInput): Promise<AppliedConversation | null> {
    if (decision.action === 'unattached') return null;
    if (decision.action === 'join') {
      const id = decision.conversation?.id;
      if (!id || this.conversations.get(id)?.channelId !== channelId) {
        throw new NotFoundError(`conversation ${id ?? '(none)'} not found in channel ${channelId}`);
      }
      return this.join(channelId, id, decision.claimIds, input, false);
    }
    const owner = this.firstOwner(channelId, decision.claimIds);
    if (owner) return this.join(channelId, owner, decision.claimIds, input, false);
    const sequence = await this.tickets.next(channelId);
    // Claims may have been taken while the counter was awaited; that ticket number is then skipped.
    const raced = this.firstOwner(channelId, decision.claimIds);
    if (raced) return this.join(channelId, raced, decision.claimIds, input, false);
    const id = this.ids.next();
    this.conversations.set(id, {
      id,
      channelId,
      ticketNumber: formatTicketNumber(sequence, input.channel.ticket),
      participants: new Set(),
      status: 'open',
      lastAgent: null,
      replyToken: input.channel.replyToken ? this.ids.next().toLowerCase() : null,
    });
    return this.join(channelId, id, decision.claimIds, input, true);
  }

  /** Records a message the system sent: its Message-ID becomes a threading target, its recipients participants. */
  recordOutbound(conversationId: string, messageId: string, recipients: readonly string[], agent?: string): void {
    const c = this.get(conversationId);
    this.claim(c.channelId, messageId, c.id);
    for (const r of recipients) c.participants.add(r.toLowerCase());
    if (agent !== undefined) c.lastAgent = agent;
  }

  /** Closes a conversation (as an agent would); the next joining message reopens it. */
  close(conversationId: string): void {
    this.get(conversationId).status = 'closed';
  }

  /** A snapshot of one conversation. */
  conversation(conversationId: string): ConversationRef {
    return this.ref(conversationId);
  }

  /** Snapshots of every conversation, in creation order. */
  list(): ConversationRef[] {
    return [...this.conversations.keys()].map((id) => this.ref(id));
  }

  private join(channelId: string, id: string, claimIds: readonly string[], input: ApplyThreadInput, created: boolean): AppliedConversation {
    const c = this.get(id);
    for (const messageId of claimIds) this.claim(channelId, messageId, id);
    for (const address of addressesOf(input)) c.participants.add(address);
    c.status = 'open';
    return { ...this.ref(id), created };
  }

  private firstOwner(channelId: string, claimIds: readonly string[]): string | null {
    for (const id of claimIds) {
      const owner = this.claims.get(claimKey(channelId, id));
      if (owner) return owner;
    }
    return null;
  }

  private claim(channelId: string, messageId: string, conversationId: string): void {
    const key = claimKey(channelId, messageId);
    if (!this.claims.has(key)) this.claims.set(key, conversationId);
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

function claimKey(channelId: string, messageId: string): string {
  return `${channelId}\u0000${messageId}`;
}

/** Everyone on the message except the channel itself (its address, aliases and their `+token` forms). */
function addressesOf({ channel, message }: ApplyThreadInput): string[] {
  const own = [channel.address, ...channel.aliases].map((a) => a.toLowerCase());
  const isOwn = (a: string): boolean =>
    own.some((o) => {
      const at = o.lastIndexOf('@');
      return a === o || (a.startsWith(`${o.slice(0, at)}+`) && a.endsWith(o.slice(at)));
    });
  const all = [message.from, ...message.replyTo, ...message.to, ...message.cc];
  return all.map((a) => a?.address.toLowerCase() ?? '').filter((a) => a.length > 0 && !isOwn(a));
}
