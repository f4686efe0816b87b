import type { ChannelSettings } from '../model/channel.ts';
import { ANSWERING_LANES, type Classification } from '../model/classification.ts';
import type { ConversationRef, ThreadDecision, ThreadSignal } from '../model/conversation.ts';
import type { ParsedMessage } from '../model/message.ts';
import type { ThreadLookup } from '../ports/conversation-store.ts';
import { headerIds, isMessageId, originalMessageIds, replyTokens } from '../mail/thread-signals.ts';
import { extractTicketNumber } from '../mail/ticket-number.ts';

export interface ResolveThreadDeps {
  readonly lookup: ThreadLookup;
}

export interface ResolveThreadInput {
  readonly channel: ChannelSettings;
  readonly message: ParsedMessage;
  readonly classification: Classification;
  /** Envelope recipients plus To and Cc, lowercase. */
  readonly recipients: readonly string[];
  /**
   * False when the receiving side found the From address forged or unverifiable (DMARC failed).
   * Such a sender counts as no participant: a From header alone proves nothing.
   * @default true
   */
  readonly senderAuthenticated?: boolean;
}

export const FLAG_TICKET_FROM_STRANGER = 'ticket-number-from-non-participant';
export const FLAG_TOKEN_FROM_STRANGER = 'reply-token-from-non-participant';
export const FLAG_SIGNALS_DISAGREE = 'thread-signals-disagree';

const HEADERS_IGNORED = 'channel ignores In-Reply-To and References';

/** A signal with the conversation it points at; `ignored` is filled in once the decision is known. */
interface Evidence {
  readonly kind: ThreadSignal['kind'];
  readonly value: string;
  readonly conversation: ConversationRef | null;
  /** Set when the signal cannot decide whatever it points at. */
  readonly unusable: string | null;
}

/**
 * Decides which conversation an inbound message belongs to, with every signal and its reason.
 *
 * Order under `prefer-in-reply-to`: original message (reports), In-Reply-To, References newest
 * first, reply token, ticket number. Under `ignore-in-reply-to` the headers are recorded but
 * unused. A ticket number that decides alone only counts when the From address is a participant
 * of its conversation; otherwise human and bulk mail opens a new conversation and automatic mail
 * stays unattached, flagged `ticket-number-from-non-participant`. A reply token is a
 * per-conversation secret and suffices alone, but a stranger using it is flagged. Automatic
 * answers (`ANSWERING_LANES`) never open a conversation.
 *
 * `claimIds` lists the message's own id (when it has a well-formed one) and the referenced ids
 * not known yet, so later mail of the same thread, even replies to messages never seen (ghost
 * parents), and the same message delivered twice end in one conversation once a store claims them.
 */
export async function resolveThread(deps: ResolveThreadDeps, input: ResolveThreadInput): Promise<ThreadDecision> {
  const { channel, message, classification } = input;
  const authenticated = input.senderAuthenticated ?? true;
  const useHeaders = channel.threading === 'prefer-in-reply-to';
  const headers = headerIds(message);
  const originals = originalMessageIds(classification);
  const tokens = channel.replyToken ? replyTokens(input.recipients, channel) : [];
  const ticket = extractTicketNumber(message.subject, channel.ticket);

  const lookupIds = [...new Set([...originals, ...headers.filter((h) => !h.malformed).map((h) => h.value)])];
  const [byId, byToken, byTicket] = await Promise.all([
    lookupIds.length > 0 ? deps.lookup.findByMessageIds(channel.id, lookupIds) : new Map<string, ConversationRef>(),
    Promise.all(tokens.map((t) => deps.lookup.findByReplyToken(channel.id, t))),
    ticket ? deps.lookup.findByTicketNumber(channel.id, ticket) : null,
  ]);

  const fromHeaders: Evidence[] = headers.map((h) => ({
    kind: h.kind,
    value: h.value,
    conversation: h.malformed ? null : (byId.get(h.value) ?? null),
    unusable: h.malformed ?? (useHeaders ? null : HEADERS_IGNORED),
  }));
  const evidence: Evidence[] = [
    ...originals.map((id) => ({ kind: 'original-message' as const, value: id, conversation: byId.get(id) ?? null, unusable: null })),
    ...(useHeaders ? fromHeaders : []),
    ...tokens.map((t, i) => ({ kind: 'reply-token' as const, value: t, conversation: byToken[i] ?? null, unusable: null })),
    ...(ticket ? [ticketEvidence(ticket, byTicket, message, authenticated)] : []),
    ...(useHeaders ? [] : fromHeaders),
  ];

  const chosen = evidence.find((e) => e.conversation && !e.unusable) ?? null;
  const flags = flagsFor(evidence, chosen, message, authenticated);
  const signals = evidence.map((e) => toSignal(e, chosen));
  const ownId = message.messageId && isMessageId(message.messageId) ? [message.messageId] : [];
  const unknownRefs = useHeaders ? headers.filter((h) => !h.malformed && !byId.has(h.value)).map((h) => h.value) : [];
  const claimIds = [...ownId, ...unknownRefs];

  if (chosen?.conversation) {
    const c = chosen.conversation;
    return {
      action: 'join',
      rule: chosen.kind,
      conversation: c,
      signals,
      reason: `${chosen.kind} ${chosen.value} belongs to conversation ${c.id} (ticket ${c.ticketNumber})`,
      flags,
      claimIds,
    };
  }
  const stranger = flags.includes(FLAG_TICKET_FROM_STRANGER) ? ' (ticket number from a non-participant)' : '';
  if (ANSWERING_LANES.includes(classification.lane)) {
    return {
      action: 'unattached',
      rule: 'unattached',
      conversation: null,
      signals,
      reason: `${classification.lane} answers no known conversation${stranger}`,
      flags,
      claimIds: ownId,
    };
  }
  return {
    action: 'new',
    rule: 'new-conversation',
    conversation: null,
    signals,
    reason: `no signal points at a usable conversation${stranger}`,
    flags,
    claimIds,
  };
}

function ticketEvidence(ticket: string, conversation: ConversationRef | null, message: ParsedMessage, authenticated: boolean): Evidence {
  let unusable: string | null = null;
  if (conversation && !authenticated) unusable = 'sender is not authenticated (DMARC failed)';
  else if (conversation && !isParticipant(conversation, message, authenticated)) unusable = 'sender is not a participant';
  return { kind: 'ticket-number', value: ticket, conversation, unusable };
}

function isParticipant(conversation: ConversationRef, message: ParsedMessage, authenticated: boolean): boolean {
  const from = message.from?.address.toLowerCase();
  return authenticated && from !== undefined && conversation.participants.some((p) => p.toLowerCase() === from);
}

function flagsFor(evidence: readonly Evidence[], chosen: Evidence | null, message: ParsedMessage, authenticated: boolean): string[] {
  const flags: string[] = [];
  const ticket = evidence.find((e) => e.kind === 'ticket-number');
  // Only when the ticket would have decided: a header or token match outranks it.
  if (!chosen && ticket?.unusable && ticket.conversation) flags.push(FLAG_TICKET_FROM_STRANGER);
  if (chosen?.kind === 'reply-token' && chosen.conversation && !isParticipant(chosen.conversation, message, authenticated)) {
    flags.push(FLAG_TOKEN_FROM_STRANGER);
  }
  const usable = new Set(evidence.filter((e) => e.conversation && !e.unusable).map((e) => e.conversation?.id));
  if (usable.size > 1) flags.push(FLAG_SIGNALS_DISAGREE);
  return flags;
}

function toSignal(e: Evidence, chosen: Evidence | null): ThreadSignal {
  const conversationId = e.conversation?.id ?? null;
  let ignored: string | null = e.unusable;
  if (!ignored && !conversationId) ignored = 'points at no known conversation';
  if (!ignored && chosen && chosen !== e && conversationId !== chosen.conversation?.id) {
    ignored = `outranked by ${chosen.kind}`;
  }
  return { kind: e.kind, value: e.value, conversationId, ignored };
}
