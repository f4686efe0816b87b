import { BusyError, NotFoundError } from '../errors.ts';
import type { ChannelSettings } from '../model/channel.ts';
import { ANSWERING_LANES, type Lane } from '../model/classification.ts';
import { type ConversationRef, TAG_EXTERNAL_PARTY, type ThreadDecision } from '../model/conversation.ts';
import type { Candidate } from '../model/inbound-record.ts';
import type { ParsedMessage } from '../model/message.ts';
import type { ConversationStore, MessageIdClaim, TicketSequence } from '../ports/conversation-store.ts';
import { participantsOf } from '../mail/participants.ts';
import { referencedIds, settleCandidate } from './settle-candidate.ts';
import { formatTicketNumber } from '../mail/ticket-number.ts';
import { isCustomerAnswer, slaOnCustomerMail, slaStart } from '../sla/customer-mail.ts';
import type { SlaPolicies } from '../sla/sla-policies.ts';
import type { SlaStateStore } from '../sla/ports.ts';

export interface ApplyThreadDeps {
  readonly store: ConversationStore;
  /**
   * Waits between tries while the conversation to join is another attempt's pending candidate.
   * Without it the first `BusyError` is thrown at once.
   */
  readonly pause?: (ms: number) => Promise<void>;
  /** Draws the ticket number of a candidate that has none yet; required for such a candidate. */
  readonly tickets?: TicketSequence;
  /** SLA clocks (`docs/sla.md`): a person's mail starts or resumes them. Without it no clocks are written. */
  readonly sla?: SlaDeps;
}

/** What the SLA clocks of threading need: the policies and the conditional write of a state. */
export interface SlaDeps {
  readonly policies: SlaPolicies;
  readonly store: SlaStateStore;
}

export interface ApplyThreadInput {
  readonly channel: ChannelSettings;
  readonly message: ParsedMessage;
  readonly decision: ThreadDecision;
  /** The conversation to create for a `new` decision; required then, fixed before the first attempt. */
  readonly candidate: Candidate | null;
  /**
   * The stored message this is. Given, its own Message-ID is claimed as owned by it, in the same
   * write as the claim; a Message-ID another stored message owns makes it a second `copy`.
   */
  readonly owner?: string;
  /** The SES message id of the owner's mail, recorded with its ownership (a later copy finds its inbound record by it). */
  readonly receipt?: string;
  /** ISO time of the write. */
  readonly at: string;
  /** Lane of the message: automatic answers join a closed conversation without reopening it. @default 'human' */
  readonly lane?: Lane;
  /** Tags of the inbound decision (verdicts, flags): untrusted mail adds fewer participants. @default [] */
  readonly tags?: readonly string[];
  /**
   * An earlier attempt may have written with this candidate (a retry after a crash, or a replay).
   * A message that then ends in another conversation settles the candidate there, so no claim it
   * holds leads to a conversation that stays pending. Off on a first attempt, which costs nothing.
   * @default false
   */
  readonly retry?: boolean;
  /** The skill the message is routed to, recorded on the conversation it joins (for lists by skill). */
  readonly skill?: string | undefined;
  /** Old mail being imported: it creates closed conversations and reopens none. @default false */
  readonly imported?: boolean | undefined;
}

/**
 * The conversation a message ended in; `created` is true only when this message created it.
 * `copy` is set when another stored message owns its Message-ID (the same mail delivered again).
 * `applyThread` returns null instead for an unattached decision, and for a second copy of a
 * message that is in no conversation (nothing is threaded for it).
 */
export type AppliedThread = ConversationRef & { readonly created: boolean; readonly copy?: true };

/** The stored message that owns a copy's Message-ID, and the SES message id it was stored from (null when not recorded). */
export interface OriginalMessage {
  readonly messageId: string;
  readonly receipt: string | null;
}

/** Waits while a joined conversation is still pending: its creator settles it within milliseconds unless it crashed. */
const SETTLE_DELAYS_MS = [20, 40, 80, 160, 320, 640];

/**
 * Writes a threading decision safely under concurrency, without transactions.
 *
 * For `new`: the candidate conversation is written first (pending), then the decision's
 * Message-IDs are claimed with first-writer-wins conditional writes, in one global order (sorted)
 * for every racer. At the first id another conversation owns, the candidate lost: it is marked
 * merged into the conversation that owner ends in, the message joins that one, the claims won
 * move over to it and the remaining ids are claimed for it. The shared order is what keeps merge
 * pointers acyclic: a racer only ever claims for itself ids below the first one it loses, so two
 * candidates cannot each hold an id the other lost.
 *
 * A join never lands in a conversation whose fate is open: a pending one (another attempt's
 * candidate) is waited for and then joined where it ended, or the attempt fails with a retryable
 * `BusyError`. Lookups still return pending candidates, since a retry after a crash must find
 * its own; only the write refuses them.
 *
 * Given the stored message (`owner`), its own Message-ID is claimed together with its ownership
 * in one write, in its place in the order. Owned by another message, it is a second copy: in the
 * creation race the candidate is settled (merged where the first copy is) and nothing is joined;
 * after a join it is a copy that raced the first one and joined the same conversation with the
 * same addresses. A copy arriving later is the caller's to find before threading.
 *
 * Every step is idempotent, so a retry after a crash resumes with the same candidate; a candidate
 * without a ticket number draws one, and the conversation keeps the number its creation wrote.
 * A retry that ends elsewhere (a parent arrived since, or an id was lost before the crash) merges
 * the candidate there, so no claim it holds leads to a conversation pending forever.
 */
export async function applyThread(deps: ApplyThreadDeps, input: ApplyThreadInput): Promise<AppliedThread | null> {
  return (await applyThreadOf(deps, input)).conversation;
}

/**
 * `applyThread`, the stored message that owns the Message-ID when this one turned out a copy, and
 * the claim of the message's own Message-ID as its ownership write left it (null when it wrote
 * none, or another message owns the id).
 */
export async function applyThreadOf(
  deps: ApplyThreadDeps,
  input: ApplyThreadInput,
): Promise<{ readonly conversation: AppliedThread | null; readonly original: OriginalMessage | null; readonly ownClaim: MessageIdClaim | null }> {
  const claims = claimer(deps.store, input);
  const conversation = await write(deps, input, claims);
  return { conversation, original: claims.original, ownClaim: claims.copy ? null : claims.own };
}

async function write(deps: ApplyThreadDeps, input: ApplyThreadInput, claims: Claimer): Promise<AppliedThread | null> {
  const { decision, channel } = input;
  const { store } = deps;
  if (decision.action === 'unattached') return null;
  const participants = participantsOf(channel, input.message, [...(input.tags ?? []), ...decision.flags]);
  const options = {
    reopen: !input.imported && !ANSWERING_LANES.includes(input.lane ?? 'human'),
    ...(input.skill ? { skill: input.skill } : {}),
    // An answer to a forward: its addresses are the conversation's external parties, never its participants.
    ...(decision.flags.includes(TAG_EXTERNAL_PARTY) ? { external: true } : {}),
  };
  // The customer's own mail starts or resumes the SLA clocks (never automatic mail, a stranger's or an external party's).
  const customer = deps.sla && isCustomerAnswer(input.lane ?? 'human', [...(input.tags ?? []), ...decision.flags], input.imported === true) ? deps.sla : null;
  const join = async (id: string): Promise<ConversationRef> => {
    const joined = await settled(deps, () => store.join(id, participants, input.at, options));
    if (!customer) return joined;
    return slaOnCustomerMail(customer, channel, joined, input.at);
  };

  const candidate = input.candidate;
  const joined = decision.action === 'join' ? decision.conversation?.id : undefined;
  // A retry of a creator that crashed after claiming finds its own candidate through the claims.
  const resumesOwnCandidate = joined !== undefined && joined === candidate?.conversationId;
  if (decision.action === 'join' && !resumesOwnCandidate) {
    if (!joined) throw new TypeError('join decision without a conversation');
    const conversation = await join(joined);
    await claims.all(decision.claimIds, conversation.id);
    // An earlier attempt decided `new` (its parent had not arrived yet) and may have claimed ids for its candidate.
    if (input.retry && candidate) await settleCandidate(store, input, candidate.conversationId, conversation.id);
    return applied(conversation, false, claims.copy);
  }

  if (!candidate) throw new TypeError('new conversation decision without a candidate');
  const own = candidate.conversationId;
  const ticketNumber = candidate.ticketNumber ?? (await drawTicket(deps, channel));
  const conversation = await store.create({
    id: own,
    channelId: channel.id,
    ticketNumber,
    replyToken: candidate.replyToken,
    createdAt: input.at,
    ...(input.imported ? { status: 'closed' as const } : {}),
    // The channel's own retention, fixed for the conversation's life; without one the store applies the account's.
    ...(channel.retention ? { retentionDays: channel.retention.mailDays } : {}),
  });

  // A resumed creation claims what its first attempt did (every header id was unknown then, or it
  // would have joined): an id lost to another conversation before the crash is now known, so it
  // is no longer in the decision's claims, yet losing it must still merge the candidate.
  const resumed = resumesOwnCandidate && channel.threading === 'prefer-in-reply-to' ? referencedIds(input.message) : [];
  const order = [...new Set([...decision.claimIds, ...resumed])].sort();
  const won: string[] = [];
  for (const [i, messageId] of order.entries()) {
    const owner = await claims.one(messageId, own);
    if (owner === own) {
      won.push(messageId);
      continue;
    }
    if (owner === null) {
      // A second copy of a message in no conversation (an unattached one) threads nothing and
      // creates nothing; only claims won already must not lead to a candidate pending forever.
      if (won.length > 0) await store.publish(conversation, [], input.at, options);
      return null;
    }
    const into = await store.markMerged(own, owner, input.at);
    if (into === own) continue;
    // A second copy joins nothing; its settled candidate and the claims it won lead where the first copy is.
    if (claims.copy) return applied(await conversationOf(store, into), false, true);
    const winner = await join(into);
    for (const id of won) await store.moveClaim(channel.id, id, own, winner.id);
    await claims.all(order.slice(i + 1), winner.id);
    return applied(winner, false, claims.copy);
  }
  const sla = customer ? await slaStart(customer.policies, channel, input.at) : null;
  return applied(await store.publish(conversation, participants, input.at, sla ? { ...options, sla } : options), true, claims.copy);
}

/**
 * Claims Message-IDs for a conversation (an id someone else holds stays theirs). The message's
 * own id, when an owner is given, is claimed with its ownership in one write, and `copy` turns
 * true if another stored message owns it; the claim is then not written, and `one` returns the
 * conversation of that copy, or null when it is in none.
 */
type Claimer = ReturnType<typeof claimer>;

function claimer(store: ConversationStore, input: ApplyThreadInput) {
  const channelId = input.channel.id;
  const ownId = input.owner !== undefined ? input.message.messageId : null;
  const state = {
    copy: false,
    original: null as OriginalMessage | null,
    /** The own id's claim after this message's last ownership write. */
    own: null as MessageIdClaim | null,
    async one(messageId: string, conversationId: string): Promise<string | null> {
      if (messageId !== ownId || input.owner === undefined) return store.claim(channelId, messageId, conversationId);
      // An external party's mail: a mail answering it is theirs too (their colleague's, or a second answer).
      const external = input.decision.flags.includes(TAG_EXTERNAL_PARTY) ? { external: true } : {};
      const claim: MessageIdClaim = await store.claimOwn(channelId, messageId, input.owner, conversationId, input.receipt, external);
      if (claim.owner === input.owner) {
        state.own = claim;
        return claim.conversationId ?? conversationId;
      }
      state.copy = true;
      state.original = claim.owner === null ? null : { messageId: claim.owner, receipt: claim.receipt ?? null };
      return claim.conversationId;
    },
    /** Claims for a settled conversation. */
    async all(messageIds: readonly string[], conversationId: string): Promise<void> {
      for (const messageId of new Set(messageIds)) await state.one(messageId, conversationId);
    },
  };
  return state;
}

function applied(conversation: ConversationRef, created: boolean, copy: boolean): AppliedThread {
  return copy ? { ...conversation, created, copy: true } : { ...conversation, created };
}

async function conversationOf(store: ConversationStore, id: string): Promise<ConversationRef> {
  const found = (await store.getConversations([id])).get(id);
  if (!found) throw new NotFoundError(`conversation ${id} not found`);
  return found;
}

async function drawTicket(deps: ApplyThreadDeps, channel: ChannelSettings): Promise<string> {
  if (!deps.tickets) throw new TypeError('candidate without a ticket number and no ticket sequence');
  return formatTicketNumber(await deps.tickets.next(channel.id), channel.ticket);
}

async function settled<T>(deps: ApplyThreadDeps, attempt: () => Promise<T>): Promise<T> {
  for (const delay of deps.pause ? SETTLE_DELAYS_MS : []) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof BusyError)) throw error;
      await deps.pause?.(delay);
    }
  }
  return attempt();
}
