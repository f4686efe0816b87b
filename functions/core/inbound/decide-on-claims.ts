import type { AppliedThread } from '../conversation/apply-thread.ts';
import { OwnIdProbe, type OwnIdSeen } from '../conversation/own-id-probe.ts';
import { confirmJoin } from '../conversation/resolve-thread.ts';
import { replyToDiffers } from '../mail/participants.ts';
import { isMessageId } from '../mail/thread-signals.ts';
import { ANSWERING_LANES } from '../model/classification.ts';
import type { ConversationStore } from '../ports/conversation-store.ts';
import type { LanguageDetector } from '../ports/language.ts';
import { decideMessage, type InboundDecision, type ParsedInboundInput } from './decide-message.ts';
import { asExternalParty } from './external-party.ts';

/** A decision and what its lookup read. */
export interface ClaimsDecision {
  readonly decision: InboundDecision;
  /** What the lookup read of the message's own Message-ID, if it read claims. */
  readonly seen: OwnIdSeen | undefined;
  /** True when the decision joins a conversation known by its claim alone: the join completes it (`confirmOnJoin`). */
  readonly onClaims: boolean;
}

/**
 * Decides a message (`decideMessage`) on the Message-ID claims alone where that decides it as
 * reading the conversations would: the join's write returns the conversation, so the read before
 * it is saved (the two-phase decision; the join completes the decision with `confirmOnJoin`).
 *
 * The claims suffice for a join whose signals all name that one conversation (a merged one ends
 * where the join ends), of a mail that is no automatic answer (the closed-conversation rule reads
 * the status), has no Reply-To other than its From (honoured only for participants) and is no
 * second copy of another stored message (recorded where the first one is). Any other decision
 * that met a claim is taken again on the conversations as read, the one request the claims saved;
 * nothing is written before that, so no write needs undoing. A claim names a conversation that
 * exists (conversations are never deleted): a join on claims fails only where the creation the
 * read path would attempt fails too.
 *
 * `owner` is the stored message this mail is (its own Message-ID's claim may name it on a retry);
 * `language` tells the language of its new text.
 */
export async function decideOnClaims(store: ConversationStore, input: ParsedInboundInput, owner: string, language?: LanguageDetector): Promise<ClaimsDecision> {
  const { message } = input;
  const probe = new OwnIdProbe(store, message.messageId && isMessageId(message.messageId) ? message.messageId : null);
  const decision = answeringForward(await decideMessage({ lookup: probe, language }, input), probe);
  if (!probe.provisional || claimsSuffice(decision, input, probe, owner)) {
    return { decision, seen: probe.seen, onClaims: probe.isProvisional(decision.thread.conversation?.id) };
  }
  await probe.resolve(input.channel.id);
  return { decision: answeringForward(await decideMessage({ lookup: probe, language }, input), probe), seen: probe.seen, onClaims: false };
}

/**
 * A mail whose In-Reply-To is in an external party's thread (a forward we sent, our reply to an
 * external party, or an external party's own mail) is that party's, whoever it is from and whoever
 * it copies: it joins the conversation as theirs. A customer's mail caught this way (one a supplier
 * copied) is told apart once the join names the participants (`settleExternalParty`).
 */
function answeringForward(decision: InboundDecision, probe: OwnIdProbe): InboundDecision {
  const answered = decision.message.inReplyTo;
  if (decision.thread.action !== 'join' || !answered || !probe.isExternal(answered)) return decision;
  return asExternalParty(decision);
}

/** The decision completed with the conversation its join wrote, when it was taken on claims. */
export function confirmOnJoin(decided: ClaimsDecision, conversation: AppliedThread | null): InboundDecision {
  const { decision } = decided;
  return decided.onClaims && conversation ? { ...decision, thread: confirmJoin(decision.thread, conversation) } : decision;
}

function claimsSuffice(decision: InboundDecision, input: ParsedInboundInput, probe: OwnIdProbe, owner: string): boolean {
  const { thread } = decision;
  const joined = thread.action === 'join' ? thread.conversation?.id : undefined;
  if (joined === undefined || thread.signals.some((s) => s.conversationId !== null && s.conversationId !== joined)) return false;
  if (ANSWERING_LANES.includes(decision.classification.lane)) return false;
  if (replyToDiffers(input.channel, input.message, { action: 'join', conversation: { participants: [] } }, true)) return false;
  const first = probe.seen?.claim?.owner ?? null;
  return first === null || first === owner;
}
