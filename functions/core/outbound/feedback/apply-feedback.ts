import { BusyError } from '../../errors.ts';
import type { DeliveryFeedback, RecipientUpdate } from '../../model/delivery-feedback.ts';
import type { OutboundStoredMessage, RecipientDelivery, DeliveryStatus } from '../../model/stored-message.ts';
import type { SuppressionEntry, SuppressionReason, SuppressionScope } from '../../model/suppression.ts';
import type { Clock } from '../../ports/clock.ts';
import type { OutboundMessageStore } from '../../ports/outbound-messages.ts';
import type { SuppressionList } from '../../ports/suppression.ts';
import type { WindowCounter } from '../../ports/window-counter.ts';
import { mergeRecipient, overallStatus } from './delivery-status.ts';
import {
  classifyComplaint,
  classifySesBounce,
  DEFAULT_TRANSIENT_POLICY,
  repeatedTransient,
  type FailureVerdict,
  type TransientPolicy,
} from './suppression-policy.ts';

export interface ApplyFeedbackDeps {
  readonly messages: OutboundMessageStore;
  readonly suppression: SuppressionList;
  /** Soft failures per address, for `repeated-transient`. */
  readonly failures: WindowCounter;
  readonly clock: Clock;
}

export interface ApplyFeedbackOptions {
  /** Where feedback suppresses: the message's channel, or every channel of the account. @default 'channel' */
  readonly scope?: 'channel' | 'account';
  /** @default DEFAULT_TRANSIENT_POLICY (3 soft failures in 7 days) */
  readonly transient?: TransientPolicy;
  /**
   * How long after the send an SES event for a message we cannot find yet is retried instead of
   * dropped: SES can report a delivery before the send path has stored the SES id. @default 15 minutes
   */
  readonly unknownGraceMs?: number;
}

/** What feedback changed. */
export type FeedbackOutcome =
  /** No message of ours carries the id: another sender's event, or a report on mail we never sent. */
  | { readonly kind: 'unknown-message'; readonly reason: string }
  | {
      /** `applied` when a recipient or a suppression changed; `unchanged` for a repeated report. */
      readonly kind: 'applied' | 'unchanged';
      readonly messageId: string;
      readonly conversationId: string;
      readonly channelId: string;
      readonly status: DeliveryStatus;
      /** Recipients whose state changed, as they are now. */
      readonly changed: readonly RecipientDelivery[];
      /** Suppressions this report added. */
      readonly suppressed: readonly SuppressionEntry[];
      /** Addresses the report named that are no recipient of the message (nothing was done for them). */
      readonly unmatched: readonly string[];
    };

const DEFAULT_GRACE_MS = 15 * 60_000;
const MAX_WRITE_ATTEMPTS = 4;

/**
 * Applies one delivery report to the exact message it is about: merges the state of each
 * recipient (latest report wins, final states never regress; see `mergeRecipient`), sets the
 * message's status, and suppresses addresses as the policy says (hard bounce, complaint, or
 * repeated soft failures). Idempotent: the same report again changes nothing. A concurrent
 * update of the same message is merged again on a fresh read.
 */
export async function applyFeedback(deps: ApplyFeedbackDeps, feedback: DeliveryFeedback, options: ApplyFeedbackOptions = {}): Promise<FeedbackOutcome> {
  for (let attempt = 1; ; attempt++) {
    const message = await findMessage(deps, feedback);
    if (message === null) return unknown(deps, feedback, options);
    const { recipients, changed, matched, unmatched } = merge(message, feedback.updates);
    const suppressed = await suppress(deps, message, matched, feedback.key, options);
    const status = overallStatus(recipients, message.status);
    if (changed.length === 0 && status === message.status) {
      return { kind: suppressed.length > 0 ? 'applied' : 'unchanged', ...ids(message), status, changed, suppressed, unmatched };
    }
    const next: OutboundStoredMessage = {
      ...message,
      recipients,
      status,
      statusReason: reasonOf(changed) ?? message.statusReason,
      updatedAt: later(deps.clock.now(), message.updatedAt),
    };
    try {
      await deps.messages.put(next, { expectedUpdatedAt: message.updatedAt });
      return { kind: 'applied', ...ids(message), status, changed, suppressed, unmatched };
    } catch (error) {
      if (!(error instanceof BusyError) || attempt >= MAX_WRITE_ATTEMPTS) throw error;
    }
  }
}

async function findMessage(deps: ApplyFeedbackDeps, feedback: DeliveryFeedback): Promise<OutboundStoredMessage | null> {
  const target = feedback.target;
  if (target.kind === 'ses') return deps.messages.findBySesMessageId(target.sesMessageId);
  for (const id of target.messageIds) {
    const found = await deps.messages.findByInternetMessageId(target.channelId, id);
    if (found) return found;
  }
  return null;
}

function unknown(deps: ApplyFeedbackDeps, feedback: DeliveryFeedback, options: ApplyFeedbackOptions): FeedbackOutcome {
  const target = feedback.target;
  if (target.kind === 'internet') {
    return {
      kind: 'unknown-message',
      reason: target.messageIds.length === 0 ? 'the report names no Message-ID' : `no message of ours has Message-ID ${target.messageIds.join(', ')}`,
    };
  }
  const sentAt = Date.parse(feedback.sentAt ?? feedback.at);
  if (Number.isFinite(sentAt) && deps.clock.now().getTime() - sentAt < (options.unknownGraceMs ?? DEFAULT_GRACE_MS)) {
    throw new BusyError(`no message with SES id ${target.sesMessageId} yet; the send may not be recorded yet`);
  }
  return { kind: 'unknown-message', reason: `no message of ours has SES id ${target.sesMessageId}` };
}

interface Matched {
  readonly address: string;
  readonly update: RecipientUpdate;
}

function merge(message: OutboundStoredMessage, updates: readonly RecipientUpdate[]) {
  const byAddress = new Map<string, RecipientDelivery>(message.recipients.map((r) => [r.address.toLowerCase(), r]));
  const known = new Set([...byAddress.keys(), ...[...message.to, ...message.cc, ...message.bcc].map((a) => a.address.toLowerCase())]);
  const matched: Matched[] = [];
  const unmatched: string[] = [];
  const changed = new Map<string, RecipientDelivery>();
  for (const update of updates) {
    const address = matchAddress(known, update.address);
    if (address === null) {
      unmatched.push(update.address ?? '(not named)');
      continue;
    }
    // A report naming another address (an alias the mail was forwarded to) is about our only recipient.
    const detail = update.address !== null && update.address !== address ? `reported for ${update.address}: ${update.detail ?? ''}` : update.detail;
    const attributed = { ...update, address, detail };
    matched.push({ address, update: attributed });
    const merged = mergeRecipient(byAddress.get(address), attributed);
    if (merged) {
      byAddress.set(address, merged);
      changed.set(address, merged);
    }
  }
  return { recipients: [...byAddress.values()], changed: [...changed.values()], matched, unmatched };
}

function matchAddress(known: ReadonlySet<string>, address: string | null): string | null {
  if (address !== null && known.has(address)) return address;
  return known.size === 1 ? ([...known][0] ?? null) : null;
}

async function suppress(
  deps: ApplyFeedbackDeps,
  message: OutboundStoredMessage,
  matched: readonly Matched[],
  key: string,
  options: ApplyFeedbackOptions,
): Promise<SuppressionEntry[]> {
  const scope: SuppressionScope = options.scope === 'account' ? { kind: 'account' } : { kind: 'channel', channelId: message.channelId };
  const added: SuppressionEntry[] = [];
  for (const { address, update } of matched) {
    const decision = await suppressionFor(deps, scope, address, update, key, options.transient ?? DEFAULT_TRANSIENT_POLICY);
    if (decision === null || (await deps.suppression.find(message.channelId, address)) !== null) continue;
    const entry: SuppressionEntry = {
      address,
      scope,
      reason: decision.reason,
      detail: decision.detail.slice(0, 300),
      messageId: message.messageId,
      since: update.at,
    };
    await deps.suppression.put(entry);
    added.push(entry);
  }
  return added;
}

async function suppressionFor(
  deps: ApplyFeedbackDeps,
  scope: SuppressionScope,
  address: string,
  update: RecipientUpdate,
  key: string,
  policy: TransientPolicy,
): Promise<{ reason: SuppressionReason; detail: string } | null> {
  const signal = update.signal;
  if (signal.kind === 'none') return null;
  if (signal.kind === 'complaint') return verdictToReason('complaint', classifyComplaint(signal.feedbackType), update);
  const verdict = classifySesBounce(signal.subType, { status: update.smtpStatus, permanent: signal.permanent, diagnostic: update.detail });
  if (verdict.action !== 'count') return verdictToReason('bounce', verdict, update);
  const scopeKey = scope.kind === 'account' ? '*' : scope.channelId;
  const count = await deps.failures.hit(`soft#${scopeKey}#${address}`, { id: `${key}#${address}`, at: new Date(update.at) }, policy.windowMs);
  if (!repeatedTransient(count, policy)) return null;
  const days = Math.round(policy.windowMs / 86_400_000);
  return { reason: 'repeated-transient', detail: `${count} soft failures within ${days} days; last: ${verdict.rule}` };
}

function verdictToReason(reason: SuppressionReason, verdict: FailureVerdict, update: RecipientUpdate): { reason: SuppressionReason; detail: string } | null {
  if (verdict.action !== 'suppress') return null;
  const diagnostic = update.detail && !verdict.rule.includes(update.detail) ? ` (${update.detail.slice(0, 120)})` : '';
  return { reason, detail: `${verdict.rule}${diagnostic}` };
}

function reasonOf(changed: readonly RecipientDelivery[]): string | null {
  const latest = [...changed].sort((a, b) => b.at.localeCompare(a.at))[0];
  if (!latest) return null;
  return [`${latest.status}: ${latest.address}`, latest.smtpStatus, latest.detail].filter(Boolean).join(' ').slice(0, 300);
}

/** `now`, or a millisecond after `previous` when the clock has not moved past it: the optimistic lock needs a new value. */
function later(now: Date, previous: string): string {
  const prev = Date.parse(previous);
  return Number.isFinite(prev) && now.getTime() <= prev ? new Date(prev + 1).toISOString() : now.toISOString();
}

function ids(message: OutboundStoredMessage) {
  return { messageId: message.messageId, conversationId: message.conversationId, channelId: message.channelId };
}
