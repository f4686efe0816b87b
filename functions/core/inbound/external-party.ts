import { type ConversationRef, TAG_EXTERNAL_PARTY } from '../model/conversation.ts';
import { type InboundDecision, withTags } from './decide-message.ts';

/**
 * The decision marked as an external party's (`external-party`, tag and thread flag): recorded
 * and routed like any mail, but not the customer's. An answer that names no message answers the
 * customer's newest one, not it; it is never acknowledged; the SLA does not take it for the
 * customer's answer; its addresses join the conversation's external parties, not its participants.
 */
export function asExternalParty(decision: InboundDecision): InboundDecision {
  const flagged = withTags(decision, [TAG_EXTERNAL_PARTY]);
  const flags = [...new Set([...decision.thread.flags, TAG_EXTERNAL_PARTY])];
  return { ...flagged, thread: { ...decision.thread, flags }, autoAnswerAllowed: false };
}

/**
 * After the join: a mail taken for an external party's whose sender is a participant (a customer
 * a supplier copied, answering the supplier) is the customer's after all, and loses the flag.
 */
export function settleExternalParty(decision: InboundDecision, conversation: ConversationRef | null): InboundDecision {
  if (!decision.thread.flags.includes(TAG_EXTERNAL_PARTY)) return decision;
  const from = decision.message.from?.address.toLowerCase();
  if (!conversation || from === undefined || !conversation.participants.includes(from)) return decision;
  const drop = (list: readonly string[]) => list.filter((t) => t !== TAG_EXTERNAL_PARTY);
  return { ...decision, tags: drop(decision.tags), thread: { ...decision.thread, flags: drop(decision.thread.flags) } };
}
