import { recordSentMessage } from '../../conversation/record-sent.ts';
import { AppError, ComposeError, TransportError } from '../../errors.ts';
import type { OutboundJob, OutboundRecord } from '../../model/outbound-job.ts';
import { bareMessageId, mailEnvelope, type OutboundMail } from '../../model/outbound-mail.ts';
import type { ErrorInfo } from '../../model/processing-record.ts';
import type { OutboundStoredMessage } from '../../model/stored-message.ts';
import type { Clock } from '../../ports/clock.ts';
import type { AttachmentSource, MimeComposer } from '../../ports/composer.ts';
import type { ConversationStore } from '../../ports/conversation-store.ts';
import type { OutboundMessageStore } from '../../ports/outbound-messages.ts';
import type { ChannelLookup, ConversationMessages, OutboundPlanStore, TransportFactory } from '../../ports/outbound-store.ts';
import type { ProcessingLedger } from '../../ports/processing-ledger.ts';
import type { SuppressionList } from '../../ports/suppression.ts';
import { type Checkpoint, processOnce } from '../../processing/process-once.ts';
import { checkNotSuppressed } from './suppression-check.ts';

export interface SendOutboundDeps {
  readonly ledger: ProcessingLedger<OutboundRecord>;
  readonly channels: ChannelLookup;
  readonly plans: OutboundPlanStore;
  readonly history: ConversationMessages;
  /** Writes the outbound message and the lookups delivery feedback finds it by (provider id, Message-IDs). */
  readonly messages: Pick<OutboundMessageStore, 'put'>;
  readonly conversations: ConversationStore;
  readonly suppression: SuppressionList;
  readonly composer: MimeComposer;
  readonly attachments: AttachmentSource;
  readonly transports: TransportFactory;
  readonly clock: Clock;
  readonly leaseMs: number;
  /** Attempts after which a transient failure fails the message for good. */
  readonly maxAttempts: number;
}

/** What became of one job; `duplicate` when an earlier delivery of it did the work. */
export type SendOutcome =
  | { readonly status: 'sent'; readonly duplicate: boolean; readonly messageId: string; readonly threadIds: readonly string[] }
  | { readonly status: 'failed'; readonly duplicate: boolean; readonly messageId: string; readonly error: ErrorInfo };

/**
 * Sends one queued outbound message, at most once however often the job is delivered
 * (`processOnce` keyed by the message id): re-checks the suppression list, composes the planned
 * mail, sends it through the channel's transport, and records it `sent` with the ids the
 * transport reported (ours and, for SES, the rewritten one), claiming them for the conversation
 * so the customer's answer threads, and setting the conversation's last agent.
 *
 * A transient failure (4xx, a timeout, throttling) is recorded on the message as `failed` with
 * `retrying: true` and thrown, so the queue delivers the job again; a permanent one (5xx, a
 * refused From, a suppressed address, a mail too large, content the composer cannot build) and the
 * last attempt fail the message for good with the reason. A retry after a crash in the middle of a send does not send again: the
 * mail may have left, so it is failed as "outcome unknown" rather than risk a second copy.
 */
export async function sendOutbound(deps: SendOutboundDeps, job: OutboundJob): Promise<SendOutcome> {
  const fresh: OutboundRecord = {
    messageId: job.messageId,
    channelId: job.channelId,
    conversationId: job.conversationId,
    createdAt: job.createdAt,
    state: 'queued',
    accepted: null,
    leaseUntil: null,
    attempts: 0,
    error: null,
    updatedAt: now(deps),
  };
  const result = await processOnce(
    { ledger: deps.ledger, clock: deps.clock, leaseMs: deps.leaseMs, maxAttempts: deps.maxAttempts },
    fresh,
    (record, checkpoint) => sendStep(deps, record, checkpoint),
    { onFailed: (record, error) => recordFailure(deps, record, error, false) },
  );
  const { record } = result;
  const duplicate = result.kind === 'done';
  if (record.state === 'failed')
    return { status: 'failed', duplicate, messageId: record.messageId, error: record.error ?? { code: 'unexpected-error', reason: 'failed' } };
  return { status: 'sent', duplicate, messageId: record.messageId, threadIds: record.accepted?.threadIds ?? [] };
}

async function sendStep(deps: SendOutboundDeps, start: OutboundRecord, checkpoint: Checkpoint<OutboundRecord>): Promise<OutboundRecord> {
  let record = start;
  if (record.state === 'sending') {
    throw new TransportError('an earlier attempt stopped while sending: the mail may have left, so it is not sent again', { permanent: true });
  }
  if (record.state !== 'accepted') record = await transmit(deps, record, checkpoint);
  const accepted = record.accepted;
  if (!accepted) throw new TypeError('accepted record without the transport result');
  const stored = await deps.history.getOutbound(record);
  const at = now(deps);
  await deps.messages.put({
    ...stored,
    status: 'sent',
    statusReason: null,
    retrying: false,
    providerMessageId: accepted.providerMessageId,
    threadIds: [...accepted.threadIds],
    sentAt: accepted.at,
    updatedAt: at,
    recipients: stored.recipients.map((r) => ({ ...r, status: 'sent', at: accepted.at })),
  });
  await recordSentMessage(deps.conversations, {
    channelId: record.channelId,
    conversationId: record.conversationId,
    messageId: record.messageId,
    threadIds: accepted.threadIds,
    recipients: stored.recipients.map((r) => r.address),
    agentId: stored.agentId,
    at,
    external: stored.external,
  });
  return { ...record, state: 'sent' };
}

/** Composes and sends; returns the record in `accepted`, saved. */
async function transmit(deps: SendOutboundDeps, start: OutboundRecord, checkpoint: Checkpoint<OutboundRecord>): Promise<OutboundRecord> {
  const channel = await deps.channels.getChannel(start.channelId);
  const mail = await deps.plans.get(start.channelId, start.messageId);
  const envelope = mailEnvelope(mail);
  // Feedback may have suppressed an address since the reply was queued.
  await checkNotSuppressed(deps.suppression, channel.id, envelope.to);
  const raw = await compose(deps, mail);
  const transport = await deps.transports.forChannel(channel);
  const sending = await checkpoint({ ...start, state: 'sending' });
  try {
    const sent = await transport.send(raw, envelope, { messageId: mail.messageId });
    const threadIds = [...new Set([mail.messageId, ...sent.messageIds.map(bareMessageId)])];
    return await checkpoint({
      ...sending,
      state: 'accepted',
      accepted: { providerMessageId: sent.providerMessageId, threadIds, response: sent.response, at: now(deps) },
    });
  } catch (error) {
    // Not sent: the next attempt may send.
    await checkpoint({ ...sending, state: 'queued' });
    if (error instanceof AppError && error.retryable && sending.attempts < deps.maxAttempts) {
      await recordFailure(deps, sending, { code: error.code, reason: error.message }, true);
    }
    throw error;
  }
}

/**
 * The raw mail. An error that is not one of ours (a sanitizer or composer that gave up on the
 * content, e.g. on a stack overflow) fails for good with its reason: the same plan would fail the
 * same way on every retry, and each retry would hold the conversation's queue group meanwhile.
 * Ours keep their flag: an attachment store that is down is retried.
 */
async function compose(deps: SendOutboundDeps, mail: OutboundMail): Promise<Uint8Array> {
  try {
    return await deps.composer.compose(mail, deps.attachments);
  } catch (error) {
    if (error instanceof AppError) throw error;
    const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new ComposeError(`the mail could not be composed: ${reason}`, { cause: error });
  }
}

/** Writes a failure onto the stored message, so the agent sees it (with whether it will be retried). */
async function recordFailure(deps: SendOutboundDeps, record: OutboundRecord, error: ErrorInfo, retrying: boolean): Promise<void> {
  const stored: OutboundStoredMessage = await deps.history.getOutbound(record);
  if (stored.status === 'sent') return;
  const at = now(deps);
  await deps.messages.put({
    ...stored,
    status: 'failed',
    statusReason: error.reason,
    retrying,
    updatedAt: at,
    recipients: stored.recipients.map((r) => ({ ...r, status: 'failed', detail: error.reason, at })),
  });
}

function now(deps: { readonly clock: Clock }): string {
  return deps.clock.now().toISOString();
}
