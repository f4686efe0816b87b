import { baseAddress } from '../../mail/participants.ts';
import { hasNullReturnPath } from '../../inbound/classify/sender.ts';
import { renderTemplate, type AcknowledgementSettings, type AcknowledgementValues } from '../../model/acknowledgement-settings.ts';
import { headerValue, type Header, type ParsedMessage } from '../../model/message.ts';
import type { SuppressionEntry } from '../../model/suppression.ts';
import type { AcknowledgementLedger } from '../../ports/acknowledgement.ts';
import type { Clock } from '../../ports/clock.ts';
import type { SuppressionList } from '../../ports/suppression.ts';
import { describeSuppression } from '../send/suppression-check.ts';

/** Why no acknowledgement is sent; stable, for metrics and the conversation's history. */
export const SKIP_REASONS = [
  'disabled',
  'no-sender',
  'own-address',
  'not-new-conversation',
  'automatic',
  'null-return-path',
  'role-address',
  'auto-response-suppressed',
  'suppressed',
  'circuit-breaker',
  'window',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** Tag for a conversation whose sender tripped the circuit breaker. */
export const LOOP_SUSPECTED_TAG = 'auto-reply-loop-suspected';

export type AcknowledgementDecision =
  | { readonly send: true; readonly to: string }
  | { readonly send: false; readonly reason: SkipReason; readonly detail: string; readonly tags: readonly string[] };

/** What is known of the mail before any state is read. */
export interface AcknowledgementFacts {
  readonly settings: AcknowledgementSettings;
  /** Every address and alias of every channel of the deployment: we never acknowledge ourselves. */
  readonly ownAddresses: readonly string[];
  readonly message: ParsedMessage;
  /** The SMTP envelope sender (SES `mail.source`); `''` is the null return path; undefined when unknown. */
  readonly envelopeSender?: string | undefined;
  /** The mail opened a new conversation. */
  readonly isNewConversation: boolean;
  /** The inbound decision's verdict: a person's mail, not flagged (spam, loop, stranger, DMARC). */
  readonly autoAnswerAllowed: boolean;
}

/** The state the window and the breaker need. */
export interface AcknowledgementState {
  readonly suppressed: SuppressionEntry | null;
  readonly lastAcknowledgedAt: string | null;
  /** Mails from the sender within the breaker window, this one included. */
  readonly recentMails: number;
  readonly now: Date;
}

/**
 * Local parts that are never a customer (documented list, compared before any `+tag`):
 * mail systems (RFC 5321 §4.5.1 postmaster, MAILER-DAEMON and its spellings), RFC 2142
 * operational mailboxes that robots and NOCs use (hostmaster, abuse, noc), Unix service accounts
 * (root, daemon, nobody), senders that say they read nothing (no-reply and do-not-reply in their
 * spellings, bounce and VERP bounce addresses), list servers' envelopes (owner-x, x-request,
 * x-owner, x-bounces, listserv, majordomo) and responders (autoreply, auto-reply, autoresponder).
 */
const ROLE_LOCAL = [
  /^(?:mailer[-_.]?daemon|mail[-_.]?daemon|postmaster|hostmaster|abuse|noc|root|daemon|nobody|listserv|majordomo)$/,
  /^(?:no|do[-_.]?not|dont)[-_.]?reply(?:$|[-_.])/,
  /[-_.]no[-_.]?reply$/,
  /^bounces?(?:$|[-_.=])/,
  /^owner-|-(?:owner|request|bounces?)$/,
  /^auto[-_.]?(?:reply|responder|response)$/,
];

/** True when the address's local part is a role or robot (see `ROLE_LOCAL`). */
export function isRoleAddress(address: string): boolean {
  const local = baseAddress(address).split('@')[0] ?? '';
  return ROLE_LOCAL.some((p) => p.test(local));
}

/** The address an acknowledgement goes to: the first Reply-To, else From (lowercase), or null. */
export function acknowledgementRecipient(message: ParsedMessage): string | null {
  const address = (message.replyTo[0] ?? message.from)?.address.trim().toLowerCase() ?? '';
  // RFC 5321 §4.5.3.1.3: a path is at most 256 octets, so an address over 254 is no one's.
  return address.includes('@') && address.length <= 254 ? address : null;
}

// X-Auto-Response-Suppress (Microsoft): `All` or `AutoReply` ask for no automatic reply.
const SUPPRESS_VALUES = /(?:^|[\s,])(?:all|autoreply)(?:$|[\s,])/i;

/**
 * Decides whether to acknowledge a mail, with the reason when not. In order: off; no sender;
 * From or the reply address is one of our channels; not a new conversation; not a person's mail
 * (`autoAnswerAllowed`: automatic, bulk, list, spam, loop, flagged); null return path (RFC 3834
 * §2, RFC 5321 §4.5.5); role and no-reply addresses; `X-Auto-Response-Suppress: All|AutoReply`;
 * suppressed; the circuit breaker (a burst from one sender: the conversation is tagged
 * `auto-reply-loop-suspected`); the window (one acknowledgement per sender per window, RFC 3834 §2).
 */
export function decideAcknowledgement(facts: AcknowledgementFacts, state: AcknowledgementState): AcknowledgementDecision {
  const screened = screenAcknowledgement(facts);
  if (!screened.send) return screened;
  const to = screened.to;
  if (state.suppressed) return skip('suppressed', describeSuppression(state.suppressed));
  const { breaker, windowHours } = facts.settings;
  if (state.recentMails >= breaker.mails) {
    return skip('circuit-breaker', `${state.recentMails} mails from ${to} within ${breaker.minutes} minutes`, [LOOP_SUSPECTED_TAG]);
  }
  const last = state.lastAcknowledgedAt ? Date.parse(state.lastAcknowledgedAt) : Number.NaN;
  if (Number.isFinite(last) && state.now.getTime() - last < windowHours * 3_600_000) {
    return skip('window', `${to} was acknowledged at ${state.lastAcknowledgedAt} (one per ${windowHours} h)`);
  }
  return { send: true, to };
}

/** The rules that need no state (everything before suppression, breaker and window). */
export function screenAcknowledgement(facts: AcknowledgementFacts): AcknowledgementDecision {
  const { message } = facts;
  if (!facts.settings.enabled) return skip('disabled', 'acknowledgements are off for the channel');
  const to = acknowledgementRecipient(message);
  if (to === null) return skip('no-sender', 'the mail names no usable sender address');
  const own = new Set(facts.ownAddresses.map(baseAddress));
  const from = message.from?.address ?? '';
  if ([from, to].some((a) => a !== '' && own.has(baseAddress(a))))
    return skip('own-address', `${own.has(baseAddress(from)) ? from : to} is one of our channel addresses`);
  if (!facts.isNewConversation) return skip('not-new-conversation', 'the mail joins an existing conversation');
  if (!facts.autoAnswerAllowed) return skip('automatic', 'automatic, bulk or flagged mail is never answered');
  if (facts.envelopeSender === '' || hasNullReturnPath(message)) return skip('null-return-path', 'the envelope sender is null (<>)');
  const role = [from, to].find((a) => a !== '' && isRoleAddress(a));
  if (role) return skip('role-address', `${role} is a role or no-reply address`);
  const suppress = headerValue(message.headers, 'x-auto-response-suppress');
  if (suppress !== null && SUPPRESS_VALUES.test(suppress)) return skip('auto-response-suppressed', `x-auto-response-suppress: ${suppress.slice(0, 40)}`);
  return { send: true, to };
}

function skip(reason: SkipReason, detail: string, tags: readonly string[] = []): AcknowledgementDecision {
  return { send: false, reason, detail, tags };
}

export interface AcknowledgementDeps {
  readonly ledger: AcknowledgementLedger;
  readonly suppression: SuppressionList;
  readonly clock: Clock;
}

export interface AcknowledgementInput extends AcknowledgementFacts {
  readonly channelId: string;
  /** Postroom id of the inbound mail: a retry of the same mail records and claims the same. */
  readonly mailId: string;
}

/**
 * The whole acknowledgement decision for one inbound mail of a channel: counts the mail for the
 * breaker (every mail of the sender, automatic ones too, so a loop shows), reads the window and
 * the suppression list, decides, and claims the acknowledgement conditionally, so of two racing
 * mails of one sender only one is acknowledged.
 */
export async function planAcknowledgement(deps: AcknowledgementDeps, input: AcknowledgementInput): Promise<AcknowledgementDecision> {
  const to = acknowledgementRecipient(input.message);
  const { settings } = input;
  if (!settings.enabled || to === null) return screenAcknowledgement(input);
  const now = deps.clock.now();
  const recentMails = await deps.ledger.recordMail(input.channelId, to, { id: input.mailId, at: now }, settings.breaker.minutes * 60_000);
  const screened = screenAcknowledgement(input);
  if (!screened.send) return screened;
  const [suppressed, last] = await Promise.all([deps.suppression.find(input.channelId, to), deps.ledger.lastAcknowledged(input.channelId, to)]);
  // A retry of the mail that claimed the acknowledgement (its send failed) may send it.
  const lastAcknowledgedAt = last === null || last.mailId === input.mailId ? null : last.at;
  const decision = decideAcknowledgement(input, { suppressed, lastAcknowledgedAt, recentMails, now });
  if (!decision.send) return decision;
  const won = await deps.ledger.markAcknowledged(input.channelId, to, { mailId: input.mailId, at: now }, settings.windowHours * 3_600_000);
  return won ? decision : skip('window', `another mail of ${to} was acknowledged just now`);
}

// Hostile input limit: References of an answer keep the newest ids only.
const MAX_REFERENCES = 20;
const SAFE_ID = /^[^\s<>()\u0000-\u001f\u007f]{1,250}$/;

/**
 * Headers of an acknowledgement, for the composer. `Auto-Submitted: auto-replied` (RFC 3834 §5)
 * and `X-Auto-Response-Suppress: All` (Exchange and Outlook send no OOF or receipt back) mark it
 * automatic; `X-Loop` names the channel, so a copy coming back is tagged a loop. In-Reply-To and
 * References thread it under the mail it answers (RFC 5322 §3.6.4). No `Precedence`: it is not
 * standard (RFC 3834 §5 replaces it), `bulk` would send a mail the customer wants to the junk
 * folder, and old responders that ignore Auto-Submitted skip only `bulk|list|junk`.
 */
export function acknowledgementHeaders(channelAddress: string, answered: ParsedMessage): Header[] {
  const headers: Header[] = [
    { name: 'auto-submitted', value: 'auto-replied' },
    { name: 'x-auto-response-suppress', value: 'All' },
    { name: 'x-loop', value: channelAddress.toLowerCase() },
  ];
  const id = answered.messageId && SAFE_ID.test(answered.messageId) ? answered.messageId : null;
  if (id === null) return headers;
  const references = [...answered.references.filter((r) => SAFE_ID.test(r) && r !== id).slice(-(MAX_REFERENCES - 1)), id];
  headers.push({ name: 'in-reply-to', value: `<${id}>` }, { name: 'references', value: references.map((r) => `<${r}>`).join(' ') });
  return headers;
}

/** Subject and text of an acknowledgement from the channel's templates. */
export function renderAcknowledgement(settings: AcknowledgementSettings, values: AcknowledgementValues): { subject: string; text: string } {
  return { subject: renderTemplate(settings.subject, values, { singleLine: true }), text: renderTemplate(settings.body, values) };
}
