import type { ChannelSettings } from '../model/channel.ts';
import type { ConversationRef, ThreadDecision } from '../model/conversation.ts';
import type { Candidate } from '../model/inbound-record.ts';
import type { ParsedMessage } from '../model/message.ts';
import type { ConversationStore } from '../ports.ts';

export interface ApplyThreadInput {
  readonly channel: ChannelSettings;
  readonly message: ParsedMessage;
  readonly decision: ThreadDecision;
  /** The conversation to create for a `new` decision; required then, fixed before the first attempt. */
  readonly candidate: Candidate | null;
  /** ISO time of the write. */
  readonly at: string;
}

/** The conversation a message ended in; `created` is true only when this message created it. */
export type AppliedThread = ConversationRef & { readonly created: boolean };

/**
 * Writes a threading decision with the persistent store, the same semantics as
 * `MemoryConversationStore.apply` but safe under concurrency without transactions.
 *
 * For `new`: the candidate conversation is written first (hidden until published), then the
 * decision's Message-IDs are claimed one by one with first-writer-wins conditional writes, shared
 * references before the message's own id. If another conversation owns any of them, that
 * conversation won the race: the claims this message took move over to it, the candidate is
 * marked merged, and the message joins the winner. Because the winner wrote its conversation
 * before claiming, the loser always finds it. Every step is idempotent, so a retry after a crash
 * resumes with the same candidate and recognises its own claims.
 */
export async function applyThread(
  deps: { readonly store: ConversationStore },
  input: ApplyThreadInput,
): Promise<AppliedThread | null> {
  const { decision, channel } = input;
  const participants = participantsOf(channel, input.message);
  if (decision.action === 'unattached') return null;

  const candidate = input.candidate;
  const joined = decision.action === 'join' ? decision.conversation?.id : undefined;
  // A retry of a creator that crashed after claiming finds its own candidate through the claims.
  const resumesOwnCandidate = joined !== undefined && joined === candidate?.conversationId;
  if (decision.action === 'join' && !resumesOwnCandidate) {
    const id = joined;
    if (!id) throw new TypeError('join decision without a conversation');
    for (const messageId of decision.claimIds) await deps.store.claim(channel.id, messageId, id);
    return { ...(await deps.store.join(id, participants, input.at)), created: false };
  }

  if (!candidate) throw new TypeError('new conversation decision without a candidate');
  const conversation = { id: candidate.conversationId, channelId: channel.id, ticketNumber: candidate.ticketNumber, replyToken: candidate.replyToken, createdAt: input.at };
  await deps.store.create(conversation);

  const won: string[] = [];
  let winner: string | null = null;
  for (const messageId of claimOrder(decision.claimIds, input.message.messageId)) {
    const owner = await deps.store.claim(channel.id, messageId, winner ?? candidate.conversationId);
    if (owner === candidate.conversationId) won.push(messageId);
    else winner ??= owner;
  }

  if (winner === null) {
    await deps.store.publish(conversation);
    return { ...(await deps.store.join(candidate.conversationId, participants, input.at)), created: true };
  }
  for (const messageId of won) await deps.store.moveClaim(channel.id, messageId, candidate.conversationId, winner);
  await deps.store.markMerged(candidate.conversationId, winner, input.at);
  return { ...(await deps.store.join(winner, participants, input.at)), created: false };
}

/** Shared references first: they decide a race, so a loser holds as few claims as possible. */
function claimOrder(claimIds: readonly string[], ownId: string | null): string[] {
  const unique = [...new Set(claimIds)];
  return [...unique.filter((id) => id !== ownId), ...unique.filter((id) => id === ownId)];
}

/** Everyone on the message except the channel itself (its address, aliases and their `+tag` forms). */
export function participantsOf(channel: ChannelSettings, message: ParsedMessage): string[] {
  const own = [channel.address, ...channel.aliases].map((a) => a.toLowerCase());
  const isOwn = (a: string): boolean =>
    own.some((o) => {
      const at = o.lastIndexOf('@');
      return a === o || (a.startsWith(`${o.slice(0, at)}+`) && a.endsWith(o.slice(at)));
    });
  const all = [message.from, ...message.replyTo, ...message.to, ...message.cc];
  const addresses = all.map((a) => a?.address.toLowerCase() ?? '').filter((a) => a.length > 0 && !isOwn(a));
  return [...new Set(addresses)];
}
