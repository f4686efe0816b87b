import type { RecipientUpdate } from '../../model/delivery-feedback.ts';
import type { DeliveryStatus, RecipientDelivery } from '../../model/stored-message.ts';

/** States a recipient does not leave for a non-final one: a later delay or send is stale news. */
const FINAL: ReadonlySet<DeliveryStatus> = new Set(['delivered', 'bounced', 'failed', 'complained']);

/** Rank that breaks ties between reports of the same instant (the stronger news wins). */
const RANK: Readonly<Record<DeliveryStatus, number>> = {
  queued: 0,
  sent: 1,
  delayed: 2,
  delivered: 3,
  failed: 4,
  bounced: 5,
  complained: 6,
};

/**
 * The recipient's state after one more report, or null when the report changes nothing:
 * - the latest report wins, by event time, because SES and MTAs deliver out of order;
 * - a final state (delivered, bounced, failed, complained) never goes back to sent, queued or
 *   delayed: a delay reported after the delivery is older news that arrived late;
 * - a complaint stays: it comes after the delivery it complains about, whatever arrives next;
 * - at the same instant the stronger report wins; the same report again changes nothing.
 */
export function mergeRecipient(current: RecipientDelivery | undefined, update: RecipientUpdate & { readonly address: string }): RecipientDelivery | null {
  const next: RecipientDelivery = { address: update.address, status: update.status, smtpStatus: update.smtpStatus, detail: update.detail, at: update.at };
  if (current === undefined) return next;
  if (current.status === update.status && current.at === update.at && current.smtpStatus === update.smtpStatus && current.detail === update.detail) return null;
  if (current.status === 'complained') return null;
  if (update.status === 'complained') return next;
  const currentFinal = FINAL.has(current.status);
  const updateFinal = FINAL.has(update.status);
  if (currentFinal && !updateFinal) return null;
  if (!currentFinal && updateFinal) return next;
  if (update.at > current.at) return next;
  if (update.at === current.at && RANK[update.status] > RANK[current.status]) return next;
  return null;
}

/**
 * The message's status from its recipients, the one that needs attention first: complained,
 * bounced, failed, delayed; then sent (or queued) while any recipient has no final report yet;
 * delivered only when every recipient was delivered.
 */
export function overallStatus(recipients: readonly RecipientDelivery[], fallback: DeliveryStatus): DeliveryStatus {
  if (recipients.length === 0) return fallback;
  const has = (s: DeliveryStatus) => recipients.some((r) => r.status === s);
  for (const status of ['complained', 'bounced', 'failed', 'delayed', 'sent', 'queued'] as const) if (has(status)) return status;
  return 'delivered';
}
