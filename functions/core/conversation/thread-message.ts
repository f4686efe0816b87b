import type { ChannelSettings } from '../model/channel.ts';
import type { ConversationRef, ThreadDecision } from '../model/conversation.ts';
import type { Lane } from '../model/classification.ts';
import type { Candidate } from '../model/inbound-record.ts';
import type { ParsedMessage } from '../model/message.ts';
import type { ConversationStore, MessageIdClaim, TicketSequence } from '../ports/conversation-store.ts';
import { type AppliedThread, applyThreadOf, type OriginalMessage, type SlaDeps } from './apply-thread.ts';
import type { OwnIdSeen } from './own-id-probe.ts';
import { settleCandidate } from './settle-candidate.ts';

export interface ThreadMessageDeps {
  readonly store: ConversationStore;
  /** Draws the ticket number of a candidate that has none yet. */
  readonly tickets?: TicketSequence;
  /** Waits a little (a racing attempt's conversation is about to settle); without it such a race is retried at once. */
  readonly pause?: (ms: number) => Promise<void>;
  /** SLA clocks a person's mail starts or resumes; none written without. */
  readonly sla?: SlaDeps | undefined;
}

export interface ThreadMessageInput {
  readonly channel: ChannelSettings;
  readonly message: ParsedMessage;
  readonly decision: ThreadDecision;
  /** The conversation a `new` decision creates; fixed before the first attempt, so retries reuse it. */
  readonly candidate: Candidate | null;
  /** The stored message this is: its own Message-ID is claimed as owned by it. */
  readonly owner: string;
  /** The SES message id of the mail, recorded with the ownership. */
  readonly receipt: string;
  /** ISO time of the writes. */
  readonly at: string;
  readonly lane: Lane;
  readonly tags: readonly string[];
  /** An earlier attempt may have written with the candidate (a retry after a crash, or a replay). */
  readonly retry: boolean;
  /** What the thread lookup read of the message's own Message-ID (`OwnIdProbe.seen`), if it read claims. */
  readonly seen: OwnIdSeen | undefined;
  /** The skill the message is routed to, if any. */
  readonly skill?: string | undefined;
  /** Old mail being imported: closed conversations, nothing reopened. */
  readonly imported?: boolean | undefined;
}

/**
 * Where a message ended: its conversation (null when in none) and whether it is a second copy of
 * a stored message, with that message (`original`, null when unknown or not a copy).
 */
export interface ThreadedMessage {
  readonly conversation: AppliedThread | null;
  readonly copy: boolean;
  readonly original?: OriginalMessage | null;
  /** The claim of the message's own Message-ID as its ownership write left it; null when it wrote none (or is a copy). */
  readonly ownClaim: MessageIdClaim | null;
}

/**
 * Threads one stored message into its conversation: the one entry for writing a threading
 * decision. A second copy of a stored message (same Message-ID, a new delivery) is found first
 * and joins nothing; otherwise `applyThread` writes the decision safely under concurrency.
 */
export async function threadMessage(deps: ThreadMessageDeps, input: ThreadMessageInput): Promise<ThreadedMessage> {
  const { decision } = input;
  const earlierCopy = await storedCopyOf(deps.store, input);
  if (earlierCopy) {
    const { conversation, original } = earlierCopy;
    // An earlier attempt may have threaded it before the first copy took its id: its candidate goes where that copy is.
    if (input.retry && input.candidate && conversation) {
      await settleCandidate(deps.store, input, input.candidate.conversationId, conversation.id);
    }
    return { conversation, copy: true, original, ownClaim: null };
  }
  const { conversation, original, ownClaim } = await applyThreadOf(
    {
      store: deps.store,
      ...(deps.tickets ? { tickets: deps.tickets } : {}),
      ...(deps.pause ? { pause: deps.pause } : {}),
      ...(deps.sla ? { sla: deps.sla } : {}),
    },
    { ...input, owner: input.owner, receipt: input.receipt },
  );
  // A copy that raced the first one: the own-id claim found the other owner (null: that copy is in no conversation).
  const copy = conversation?.copy === true || (conversation === null && decision.action !== 'unattached');
  return { conversation, copy, original: copy ? original : null, ownClaim: copy ? null : ownClaim };
}

/**
 * A second copy of a stored message (the sender delivered it again under a new SES id): its own
 * Message-ID is owned by another stored message. Returns that message's conversation, or null
 * when this is no copy as far as is known before threading. An id only referenced by earlier mail
 * (a parent arriving late) is not owned, so that message is no copy.
 *
 * The owner is known when threading read claims (`seen`). Otherwise a message that joins a
 * conversation, or stays unattached, records its ownership with a write of its own before the
 * join, so that a copy coming later never joins (and reopens) anything; a new conversation's
 * claims find a copy in their order.
 */
async function storedCopyOf(
  store: ConversationStore,
  input: ThreadMessageInput,
): Promise<{ conversation: AppliedThread | null; original: OriginalMessage | null } | null> {
  const { decision, channel, owner: me, seen } = input;
  const ownId = input.message.messageId;
  // resolveThread claims the own id only when it is well-formed.
  if (!ownId || !decision.claimIds.includes(ownId)) return null;
  const seenOwner = seen?.claim?.owner ?? null;
  if (seen && seenOwner !== null && seenOwner !== me) {
    // Read now if the lookup answered on claims alone.
    const found = seen.conversation !== undefined ? seen.conversation : await claimedConversation(store, seen.claim);
    return { conversation: found ? { ...found, created: false } : null, original: originalOf(seen.claim) };
  }
  const { action, conversation: target } = decision;
  const joinsUnread = action === 'join' && seen === undefined && target?.id !== input.candidate?.conversationId;
  const unattachedUnowned = action === 'unattached' && seenOwner !== me;
  if (!joinsUnread && !unattachedUnowned) return null;
  const claim = await store.claimOwn(channel.id, ownId, me, null, input.receipt);
  if (claim.owner === me) return null;
  const found = claim.conversationId ? (await store.getConversations([claim.conversationId])).get(claim.conversationId) : undefined;
  // The first copy claimed its id before joining and has not claimed it for the conversation yet:
  // this copy, with the same signals, belongs where it was going (recorded only, nothing joined).
  const conversation = found ?? target;
  return { conversation: conversation ? { ...conversation, created: false } : null, original: originalOf(claim) };
}

async function claimedConversation(store: ConversationStore, claim: MessageIdClaim | null): Promise<ConversationRef | null> {
  const id = claim?.conversationId;
  return id ? ((await store.getConversations([id])).get(id) ?? null) : null;
}

function originalOf(claim: MessageIdClaim | null): OriginalMessage | null {
  return claim?.owner ? { messageId: claim.owner, receipt: claim.receipt ?? null } : null;
}
