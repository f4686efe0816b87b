import { enhancedCode, replyCode } from '../../mail/smtp-status.ts';

/**
 * What one failure report means for the address:
 * - `suppress`: the mailbox is gone or refuses us for good; never send to it again.
 * - `count`: a soft failure (full mailbox, a spam filter's refusal, a gateway giving up); it
 *   suppresses only when `DEFAULT_TRANSIENT_POLICY.failures` of them fall in one window.
 * - `none`: the failure is ours or the message's (our authentication, size, content, protocol),
 *   and says nothing about the address.
 */
export type FailureAction = 'suppress' | 'count' | 'none';

export interface FailureVerdict {
  readonly action: FailureAction;
  /** The table row or rule that decided, for the suppression entry and logs (`5.1.1 bad destination mailbox`). */
  readonly rule: string;
}

/**
 * RFC 3463 enhanced status codes (class 5) that mean the *address* is dead for good. Each entry
 * names why; anything of class 5 not listed here counts as a soft failure (see `NOT_THE_ADDRESS`
 * for the codes that do not even count). The narrow list is deliberate: a suppression locks a
 * customer out until an admin lifts it, so only codes that name the mailbox or its domain as
 * nonexistent, disabled or moved suppress on the first report.
 */
export const SUPPRESSING_CODES: Readonly<Record<string, string>> = {
  '5.1.1': 'bad destination mailbox address: the mailbox does not exist',
  '5.1.2': 'bad destination system address: the domain does not exist or takes no mail',
  '5.1.3': 'bad destination mailbox address syntax: can never be delivered as written',
  '5.1.4': 'destination mailbox address ambiguous: can never be delivered as written',
  '5.1.6': 'destination mailbox has moved, no forwarding address',
  '5.1.10': 'recipient address has null MX (RFC 7505): the domain declares it takes no mail',
  '5.2.1': 'mailbox disabled, not accepting messages (closed or suspended account)',
  // A permanent routing failure comes after DNS answered that the domain has no mail route;
  // a DNS outage is 4.4.3 and only counts.
  '5.4.4': 'unable to route: the domain has no mail route',
  // RFC 7293 (Require-Recipient-Valid-Since): the person we wrote to no longer owns the address.
  '5.7.17': 'mailbox owner has changed',
  '5.7.18': 'domain owner has changed',
};

/**
 * Class 5 codes that are about us or this one message, never about the address: they neither
 * suppress nor count. (5.2.2 full mailbox, 5.7.1 refused by policy and throttling replies are
 * not here on purpose: they count, so a mailbox that keeps refusing is suppressed in time.)
 */
export const NOT_THE_ADDRESS: Readonly<Record<string, string>> = {
  '5.1.7': "bad sender's mailbox address syntax: our From or return path",
  '5.1.8': "bad sender's system address: our domain",
  '5.2.3': 'message length exceeds administrative limit: this message',
  '5.3.4': 'message too big for system: this message',
  '5.5.': 'protocol error: our client',
  '5.6.': 'media or content error: this message',
  '5.7.8': 'authentication credentials invalid: our login',
  '5.7.13': 'user account disabled: our login',
  '5.7.2': 'mailing list expansion prohibited',
  '5.7.7': 'message integrity failure: this message',
  '5.7.2x': 'DKIM/SPF/DMARC failure (RFC 7372): our authentication',
};

/**
 * Bare SMTP reply codes (RFC 5321 §4.2.2) when the report has no enhanced code: 551 (user not
 * local, RFC 5321 §3.4) and 553 (mailbox name not allowed) say the address is wrong for good;
 * 521 and 556 (RFC 7504) say the domain takes no mail. A bare 550 is ambiguous (unknown user and
 * spam refusal share it), so it only counts unless its words name the mailbox (see the caller).
 */
const SUPPRESSING_REPLIES: Readonly<Record<string, string>> = {
  '551': 'user not local (RFC 5321 §3.4)',
  '553': 'mailbox name not allowed (RFC 5321 §4.2.2)',
  '521': 'host does not accept mail (RFC 7504)',
  '556': 'domain does not accept mail (RFC 7504)',
};

function notTheAddress(code: string): string | null {
  const exact = NOT_THE_ADDRESS[code];
  if (exact) return exact;
  if (/^5\.7\.2\d$/.test(code)) return NOT_THE_ADDRESS['5.7.2x'] ?? null;
  const prefix = Object.keys(NOT_THE_ADDRESS).find((p) => p.endsWith('.') && code.startsWith(p));
  return prefix ? (NOT_THE_ADDRESS[prefix] ?? null) : null;
}

/** A failure report about one recipient: the status and diagnostic of a bounce or DSN. */
export interface FailureReport {
  /** Enhanced status (`5.1.1`) or null. */
  readonly status: string | null;
  /** The report's own judgement: permanent (5xx, SES `Permanent`) or transient. */
  readonly permanent: boolean;
  readonly diagnostic: string | null;
}

/**
 * Decides what a bounce means for the address, by the tables above. A transient failure (class
 * 4, SES `Transient`/`Undetermined`) counts; a permanent one suppresses only for the listed codes.
 */
export function classifyFailure(report: FailureReport): FailureVerdict {
  const status = report.status ? enhancedCode(report.status) : null;
  const derived = status ?? (report.diagnostic ? enhancedCode(report.diagnostic) : null);
  if (!report.permanent || derived?.startsWith('4.')) {
    return { action: 'count', rule: `transient failure${derived ? ` ${derived}` : ''}` };
  }
  if (derived) {
    const normal = `5${derived.slice(1)}`;
    const suppressing = SUPPRESSING_CODES[normal];
    if (suppressing) return { action: 'suppress', rule: `${normal} ${suppressing}` };
    const ours = notTheAddress(normal);
    if (ours) return { action: 'none', rule: `${normal} ${ours}` };
    return { action: 'count', rule: `${normal} permanent, but not a dead address` };
  }
  const reply = report.diagnostic ? replyCode(report.diagnostic) : null;
  const suppressingReply = reply ? SUPPRESSING_REPLIES[reply] : undefined;
  if (reply && suppressingReply) return { action: 'suppress', rule: `${reply} ${suppressingReply}` };
  return { action: 'count', rule: `permanent failure without a status${reply ? ` (${reply})` : ''}` };
}

/**
 * SES bounce sub-types that suppress whatever the status says: SES itself found no mailbox
 * (`NoEmail`) or will not send to the address (`Suppressed`: SES's global list;
 * `OnAccountSuppressionList`: the account's list), so another attempt cannot be delivered.
 */
export const SES_SUPPRESSING_SUBTYPES: Readonly<Record<string, string>> = {
  NoEmail: 'SES: the address does not exist',
  Suppressed: "SES: on Amazon SES's suppression list",
  OnAccountSuppressionList: "SES: on the account's suppression list",
};

/** What an SES bounce means: its sub-type first, then the status tables as for any bounce. */
export function classifySesBounce(subType: string | null, report: FailureReport): FailureVerdict {
  const bySubType = report.permanent && subType ? SES_SUPPRESSING_SUBTYPES[subType] : undefined;
  if (bySubType) return { action: 'suppress', rule: `${subType}: ${bySubType}` };
  return classifyFailure(report);
}

/**
 * A complaint (ARF, SES `Complaint`) suppresses: the recipient told their provider our mail is
 * unwanted. Only `not-spam` (RFC 6650 §3: the user took a message *out* of the spam folder) does not.
 */
export function classifyComplaint(feedbackType: string | null): FailureVerdict {
  const type = feedbackType?.trim().toLowerCase() || 'unknown';
  if (type === 'not-spam') return { action: 'none', rule: 'complaint: not-spam' };
  return { action: 'suppress', rule: `complaint: ${type}` };
}

/** How many soft failures within how long suppress an address (`repeated-transient`). */
export interface TransientPolicy {
  readonly failures: number;
  readonly windowMs: number;
}

/** Three soft failures within a week: one full mailbox is weather, three in a week are climate. */
export const DEFAULT_TRANSIENT_POLICY: TransientPolicy = { failures: 3, windowMs: 7 * 24 * 60 * 60 * 1000 };

/** Whether `count` soft failures within the window suppress. */
export function repeatedTransient(count: number, policy: TransientPolicy = DEFAULT_TRANSIENT_POLICY): boolean {
  return count >= policy.failures;
}
