import { type ConversationRef, TAG_EXTERNAL_PARTY } from '../model/conversation.ts';
import { type InboundDecision, withTags } from './decide-message.ts';

/**
 * The decision for a mail that joined `conversation`, flagged `external-party` when its From is
 * one of the conversation's external parties (the recipients of a forward: a supplier, a
 * specialist). Such a mail is recorded and routed like any, but it is not the customer's: an
 * answer that names no message answers the customer's newest one, not it; it is never
 * acknowledged; the SLA does not take it for the customer's answer.
 */
export function flagExternalParty(decision: InboundDecision, conversation: ConversationRef | null): InboundDecision {
  const from = decision.message.from?.address.toLowerCase();
  if (!conversation || from === undefined || !(conversation.externalParties ?? []).includes(from)) return decision;
  const flagged = withTags(decision, [TAG_EXTERNAL_PARTY]);
  const flags = [...new Set([...decision.thread.flags, TAG_EXTERNAL_PARTY])];
  return { ...flagged, thread: { ...decision.thread, flags }, autoAnswerAllowed: false };
}
