import type { ChannelSettings } from '../model/channel.ts';
import { ANSWERING_LANES, type Classification } from '../model/classification.ts';
import type { ConversationRef, ThreadDecision, ThreadSignal } from '../model/conversation.ts';
import type { ParsedMessage } from '../model/message.ts';
import type { ThreadLookup } from '../ports/conversation-store.ts';
import { headerIds, isMessageId, originalMessageIds, replyTokens } from '../mail/thread-signals.ts';
import type { SenderAuthentication } from '../mail/sender-authentication.ts';
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
   * Whether the From address is proven (`authenticateSender`: DMARC pass, or an SPF or DKIM pass
   * aligned with the From domain), with the reason. A ticket number or reply token joins only
   * from an authenticated participant. @default authenticated
   */
  readonly authentication?: SenderAuthentication;
}

export const FLAG_TICKET_FROM_STRANGER = 'ticket-number-from-non-participant';
export const FLAG_TOKEN_FROM_STRANGER = 'reply-token-from-non-participant';
export const FLAG_SIGNALS_DISAGREE = 'thread-signals-disagree';
/** A ticket number or reply token that named a conversation it could not join: the mail opened a new one, linked to it. */
export const FLAG_UNAUTHENTICATED_FOLLOW_UP = 'unauthenticated-follow-up';

/** Signals that name a conversation by a secret a person types or keeps: usable only from an authenticated participant. */
const FOLLOW_UP_SIGNALS: readonly ThreadSignal['kind'][] = ['ticket-number', 'reply-token'];

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
 * unused. A reply token or ticket number only counts when the sender is authenticated and its
 * From address a participant of the conversation; otherwise human and bulk mail opens a new
 * conversation and automatic mail stays unattached, flagged `unauthenticated-follow-up` (plus
 * `ticket-number-from-non-participant` or `reply-token-from-non-participant` for a From address
 * that is no participant), and `linkedConversationId` names the conversation it did not join.
 * Message-IDs of In-Reply-To and References need neither: they are never typed or shown, only
 * received, and automatic mail threads by nothing else. Automatic answers (`ANSWERING_LANES`)
 * never open a conversation.
 *
 * `claimIds` lists the message's own id (when it has a well-formed one) and the referenced ids
 * not known yet, so later mail of the same thread, even replies to messages never seen (ghost
 * parents), and the same message delivered twice end in one conversation once a store claims them.
 */
export async function resolveThread(deps: ResolveThreadDeps, input: ResolveThreadInput): Promise<ThreadDecision> {
  const { channel, message, classification } = input;
  const authentication = input.authentication ?? { authenticated: true, reason: 'authenticated' };
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
    ...tokens.map((t, i) => followUpEvidence('reply-token', t, byToken[i] ?? null, message, authentication)),
    ...(ticket ? [followUpEvidence('ticket-number', ticket, byTicket, message, authentication)] : []),
    ...(useHeaders ? [] : fromHeaders),
  ];

  const chosen = evidence.find((e) => e.conversation && !e.unusable) ?? null;
  const flags = flagsFor(evidence, chosen, message);
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
      reason: joinReason(chosen.kind, chosen.value, c),
      flags,
      claimIds,
    };
  }
  const refused = flags.includes(FLAG_UNAUTHENTICATED_FOLLOW_UP) ? ` (${refusedFollowUp(evidence)})` : '';
  if (ANSWERING_LANES.includes(classification.lane)) {
    return {
      action: 'unattached',
      rule: 'unattached',
      conversation: null,
      signals,
      reason: `${classification.lane} answers no known conversation${refused}`,
      flags,
      claimIds: ownId,
    };
  }
  return {
    action: 'new',
    rule: 'new-conversation',
    conversation: null,
    signals,
    reason: `no signal points at a usable conversation${refused}`,
    flags,
    claimIds,
  };
}

/**
 * A join decided while its conversation was known by id alone (a Message-ID's claim), completed
 * with the conversation the join wrote (`joined`, where a merged one ended): the decision names
 * it, and its reason and signals say where the mail went. Nothing else of a decision depends on
 * the conversation when it may be taken on claims (see `decideOnClaims`).
 */
export function confirmJoin(decision: ThreadDecision, joined: ConversationRef): ThreadDecision {
  const provisional = decision.conversation?.id;
  if (decision.action !== 'join' || provisional === undefined) return decision;
  const chosen = decision.signals.find((s) => s.kind === decision.rule && s.conversationId === provisional && s.ignored === null);
  const signals = decision.signals.map((s) => (s.conversationId === provisional ? { ...s, conversationId: joined.id } : s));
  const conversation: ConversationRef = {
    id: joined.id,
    channelId: joined.channelId,
    ticketNumber: joined.ticketNumber,
    participants: [...joined.participants],
    status: joined.status,
    lastAgent: joined.lastAgent,
    replyToken: joined.replyToken,
  };
  return { ...decision, conversation, signals, reason: joinReason(decision.rule, chosen?.value ?? '', conversation) };
}

function joinReason(kind: string, value: string, c: ConversationRef): string {
  return `${kind} ${value} belongs to conversation ${c.id} (ticket ${c.ticketNumber})`;
}

/**
 * The conversation an unauthenticated follow-up named and did not join (the decision opened a
 * new conversation instead, or left the mail unattached), or null.
 */
export function linkedConversationId(decision: Pick<ThreadDecision, 'action' | 'flags' | 'signals'>): string | null {
  if (decision.action === 'join' || !decision.flags.includes(FLAG_UNAUTHENTICATED_FOLLOW_UP)) return null;
  return decision.signals.find((s) => FOLLOW_UP_SIGNALS.includes(s.kind) && s.conversationId !== null && s.ignored !== null)?.conversationId ?? null;
}

function followUpEvidence(
  kind: 'ticket-number' | 'reply-token',
  value: string,
  conversation: ConversationRef | null,
  message: ParsedMessage,
  authentication: SenderAuthentication,
): Evidence {
  let unusable: string | null = null;
  if (conversation && !isParticipant(conversation, message)) unusable = 'sender is not a participant';
  else if (conversation && !authentication.authenticated) unusable = `sender is not authenticated (${authentication.reason})`;
  return { kind, value, conversation, unusable };
}

function isParticipant(conversation: ConversationRef, message: ParsedMessage): boolean {
  const from = message.from?.address.toLowerCase();
  return from !== undefined && conversation.participants.some((p) => p.toLowerCase() === from);
}

/** The first refused follow-up signal that named a conversation, as `<kind> of conversation <id>: <why>`. */
function refusedFollowUp(evidence: readonly Evidence[]): string {
  const e = evidence.find((x) => FOLLOW_UP_SIGNALS.includes(x.kind) && x.conversation && x.unusable);
  return e ? `${e.kind} of conversation ${e.conversation?.id}: ${e.unusable}` : 'follow-up refused';
}

function flagsFor(evidence: readonly Evidence[], chosen: Evidence | null, message: ParsedMessage): string[] {
  const flags: string[] = [];
  // Only when a refused secret would have decided: a header match outranks it.
  const refused = chosen ? [] : evidence.filter((e) => FOLLOW_UP_SIGNALS.includes(e.kind) && e.conversation && e.unusable);
  const strangers = refused.filter((e) => e.conversation && !isParticipant(e.conversation, message));
  if (strangers.some((e) => e.kind === 'ticket-number')) flags.push(FLAG_TICKET_FROM_STRANGER);
  if (strangers.some((e) => e.kind === 'reply-token')) flags.push(FLAG_TOKEN_FROM_STRANGER);
  if (refused.length > 0) flags.push(FLAG_UNAUTHENTICATED_FOLLOW_UP);
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
