import { AppError } from '../errors.ts';
import type { AppliedThread } from '../conversation/apply-thread.ts';
import type { ChannelSettings } from '../model/channel.ts';
import type { AcknowledgementRecord, InboundRecord } from '../model/inbound-record.ts';
import { OUTBOUND_JOB_SCHEMA_VERSION, type OutboundJob } from '../model/outbound-job.ts';
import {
  acknowledgementRecipient,
  planAcknowledgement,
  type AcknowledgementDecision,
  type AcknowledgementDeps,
} from '../outbound/acknowledgement/acknowledgement.ts';
import { isSafeAddress } from '../outbound/compose/header-safety.ts';
import { queuedMessageOf } from '../outbound/send/outbound-record.ts';
import { planAcknowledgementMail } from '../outbound/acknowledgement/plan-acknowledgement.ts';
import type { IdGenerator } from '../ports/clock.ts';
import type { OutboundMessageStore } from '../ports/outbound-messages.ts';
import type { OutboundPlanStore, OutboundQueue } from '../ports/outbound-store.ts';
import type { Checkpoint } from '../processing/process-once.ts';
import type { InboundDecision } from './decide-message.ts';

/** What acknowledging a new conversation needs: its state, and the outbound path's plan store and queue. */
export interface AcknowledgeDeps extends AcknowledgementDeps {
  readonly plans: OutboundPlanStore;
  readonly queue: OutboundQueue;
  /** Writes the acknowledgement as a queued outbound message. */
  readonly messages: Pick<OutboundMessageStore, 'put'>;
  /** Every address and alias of every channel of the deployment: never acknowledged. */
  ownAddresses(): Promise<readonly string[]>;
}

export interface AcknowledgeInput {
  readonly channel: ChannelSettings;
  readonly record: InboundRecord;
  readonly decision: InboundDecision;
  readonly conversation: AppliedThread | null;
  /** ISO time of the writes. */
  readonly at: string;
}

/** The record with the acknowledgement decided, and tags for the message (the breaker's). */
export interface Acknowledged {
  readonly record: InboundRecord;
  readonly tags: readonly string[];
}

/**
 * Decides the channel's acknowledgement of a mail (`planAcknowledgement`: every mail of the
 * sender counts for the breaker; only a person's mail that opened a new conversation is
 * acknowledged, once per sender per window) and, when one is due, plans it and stores it as a
 * queued outbound message (`purpose: 'acknowledgement'`, no agent) with its plan. The job is
 * not sent here: the caller sends it after saving the record, as it sends the routed pointer.
 *
 * Retries: the acknowledgement's ids are saved on the record (`checkpoint`) before anything of it
 * is written, so a retry of the mail rewrites the same message and queues the same job (the
 * queue's deduplication id and the sender's once-per-message record drop a second copy); a
 * retry of the mail that won the claim keeps it (`markAcknowledged` by mail id).
 */
export async function acknowledgeMessage(
  deps: AcknowledgeDeps & { readonly ids: IdGenerator },
  input: AcknowledgeInput,
  checkpoint: Checkpoint<InboundRecord>,
): Promise<Acknowledged> {
  const { channel, decision, conversation } = input;
  let record = input.record;
  const settings = channel.acknowledgement;
  if (!settings.enabled) return { record, tags: [] };
  // Old mail brought in by an import was answered (or not) long ago.
  if (record.mail.imported) return { record: withAcknowledgement(record, { skipped: 'imported', job: null }), tags: [] };
  const opened = conversation?.created && conversation.copy !== true ? conversation : null;
  const fixed = record.acknowledgement?.job ?? null;
  const resumed = fixed !== null && opened !== null && fixed.conversationId === opened.id;
  const verdict: AcknowledgementDecision = resumed
    ? { send: true, to: acknowledgementRecipient(decision.message) ?? '' }
    : await planAcknowledgement(deps, {
        channelId: channel.id,
        mailId: record.messageId,
        settings,
        ownAddresses: await deps.ownAddresses(),
        message: decision.message,
        envelopeSender: record.mail.envelopeSender,
        isNewConversation: opened !== null,
        autoAnswerAllowed: decision.autoAnswerAllowed,
      });
  if (!verdict.send || opened === null) {
    const skipped = verdict.send ? 'not-new-conversation' : verdict.reason;
    return { record: withAcknowledgement(record, { skipped, job: null }), tags: verdict.send ? [] : verdict.tags };
  }
  if (!isSafeAddress(verdict.to)) return { record: withAcknowledgement(record, { skipped: 'no-sender', job: null }), tags: [] };

  let mail: ReturnType<typeof planAcknowledgementMail>;
  try {
    const conversationRef = { id: opened.id, ticketNumber: opened.ticketNumber, replyToken: opened.replyToken };
    mail = planAcknowledgementMail(deps, { channel, conversation: conversationRef, answered: decision.message, to: verdict.to });
  } catch (error) {
    // A mail the planner refuses (an unusable subject, a From the channel no longer allows) is never answered automatically.
    if (error instanceof AppError && !error.retryable) return { record: withAcknowledgement(record, { skipped: 'not-plannable', job: null }), tags: [] };
    throw error;
  }
  const job: OutboundJob =
    resumed && fixed
      ? fixed
      : { schemaVersion: OUTBOUND_JOB_SCHEMA_VERSION, channelId: channel.id, conversationId: opened.id, messageId: deps.ids.next(), createdAt: input.at };
  if (!resumed) record = await checkpoint(withAcknowledgement(record, { skipped: null, job }));
  const stored = queuedMessageOf(mail, {
    messageId: job.messageId,
    purpose: 'acknowledgement',
    inReplyTo: record.messageId,
    reply: { text: mail.content.text, html: null },
    at: job.createdAt,
  });
  await deps.plans.put(mail, job.messageId);
  await deps.messages.put(stored);
  return { record: withAcknowledgement(record, { skipped: null, job }), tags: [] };
}

function withAcknowledgement(record: InboundRecord, acknowledgement: AcknowledgementRecord): InboundRecord {
  return { ...record, acknowledgement };
}
