import type { ChannelSettings } from '../model/channel.ts';
import type { ParsedMessage } from '../model/message.ts';
import type { ConversationStore } from '../ports/conversation-store.ts';
import { headerIds, isMessageId } from '../mail/thread-signals.ts';

/**
 * Merges a candidate an earlier attempt of this message left behind into the conversation `into`
 * the message ended in, and moves the claims it holds of the message's ids there (lookups would
 * follow the merge pointer anyway; moved, they need no extra hop). A candidate that was never
 * created is left alone, and so is one an earlier attempt published: it won every claim, so it
 * is a conversation of its own.
 */
export async function settleCandidate(
  store: ConversationStore,
  input: { readonly channel: ChannelSettings; readonly message: ParsedMessage; readonly at: string },
  candidateId: string,
  into: string,
): Promise<void> {
  if (candidateId === into) return;
  const ended = await store.markMerged(candidateId, into, input.at);
  if (ended === candidateId) return;
  const own = input.message.messageId && isMessageId(input.message.messageId) ? [input.message.messageId] : [];
  const ids = [...new Set([...own, ...referencedIds(input.message)])];
  const held = await store.findClaims(input.channel.id, ids);
  for (const [id, claim] of held) {
    if (claim.conversationId === candidateId) await store.moveClaim(input.channel.id, id, candidateId, ended);
  }
}

/** The well-formed Message-IDs a message's In-Reply-To and References name. */
export function referencedIds(message: ParsedMessage): string[] {
  return headerIds(message)
    .filter((h) => !h.malformed)
    .map((h) => h.value);
}
