import type { ChannelSettings } from '../model/channel.ts';
import type { Lane } from '../model/classification.ts';
import type { AcknowledgementRecord, ErrorInfo, InboundMail, InboundRecord, InboundState } from '../model/inbound-record.ts';
import type { Clock } from '../ports/clock.ts';
import type { ChannelDirectory, FailedMailStore, InboundLedger } from '../ports/inbound.ts';
import { AppError, BusyError, ERROR_CODES } from '../errors.ts';
import { DEFAULT_MAX_ATTEMPTS, processOnce, type ProcessResult } from '../processing/process-once.ts';
import { receiveStep, type ReceiveStepDeps } from './receive-step.ts';

export interface ReceiveMailDeps extends ReceiveStepDeps {
  readonly channels: ChannelDirectory;
  readonly ledger: InboundLedger;
  readonly failed: FailedMailStore;
  readonly clock: Clock;
  /** How long one attempt owns a record; longer than the function timeout. */
  readonly leaseMs: number;
}

export interface ReceiveMailOptions {
  /** Process a `failed` record again (an operator's replay), instead of reporting a duplicate. */
  readonly replay?: boolean;
}

/** What happened to one mail; `duplicate` when an earlier delivery already did the work. */
export type ReceiveOutcome =
  | {
      readonly status: Exclude<InboundState, 'received' | 'decided' | 'failed'>;
      readonly duplicate: boolean;
      readonly messageId: string;
      readonly channelId: string;
      readonly conversationId: string | null;
      readonly skill: string | null;
      readonly lane: Lane | null;
      readonly tags: readonly string[];
      readonly acknowledgement: AcknowledgementRecord | null;
    }
  | { readonly status: 'failed'; readonly duplicate: boolean; readonly channelId: string | null; readonly error: ErrorInfo };

/** Attempts (counted by the ledger with the lease) after which any error fails the mail. */
export const MAX_ATTEMPTS = DEFAULT_MAX_ATTEMPTS;

/**
 * Receives one mail SES stored: find its channel, then, once per (SES message id, channel)
 * however often SES delivers it (`processOnce`), run its steps (`receiveStep`: load and parse,
 * decide, thread, apply a delivery report, acknowledge, store, queue).
 *
 * The record moves `received → decided → routed` for mail it queues (`decided` kept with the
 * stored message instead when a retry finds it there: `resumeDecided`, one save less) and
 * `received → recorded | quarantined | dropped` otherwise. Mail that cannot be processed (no channel, raw copy missing,
 * unparseable, any permanent error, or an error still there at the last attempt) gets a failed
 * record, listed for replay, and the outcome `failed`; it is not thrown. Retryable errors are.
 *
 * A second copy of a stored message (same Message-ID, new SES id) is recorded, tagged
 * `duplicate-message-id`, and not routed; before that it completes the first copy's record
 * (`completeFirstCopy`), so a first copy that was stored and never queued is queued now.
 */
export async function receiveMail(deps: ReceiveMailDeps, mail: InboundMail, options: ReceiveMailOptions = {}): Promise<ReceiveOutcome> {
  const channel = await deps.channels.findByRecipients(mail.recipients);
  if (!channel) return failUnknownRecipient(deps, mail);
  return receiveForChannel(deps, channel, mail, options);
}

/**
 * Receives one mail for a channel known beforehand (read from the channel's own mailbox, or
 * imported into it), exactly as `receiveMail` does once it found the channel by recipients.
 */
export async function receiveForChannel(
  deps: ReceiveMailDeps,
  channel: ChannelSettings,
  mail: InboundMail,
  options: ReceiveMailOptions = {},
): Promise<ReceiveOutcome> {
  const completeOriginal = (receipt: string): Promise<void> => completeFirstCopy(deps, channel, mail, receipt);
  return outcomeOf(await receiveOnce(deps, channel, mail, { replay: options.replay ?? false, completeOriginal }));
}

/** Mail for no channel of ours: listed as failed, with no record to lease; a replay looks for its channel again. */
async function failUnknownRecipient(deps: ReceiveMailDeps, mail: InboundMail): Promise<ReceiveOutcome> {
  const error: ErrorInfo = { code: 'unknown-recipient', reason: `no channel for ${mail.recipients.join(', ') || '(no recipients)'}` };
  await deps.failed.put({ sesMessageId: mail.sesMessageId, channelId: null, rawKey: mail.rawKey, ...error, failedAt: now(deps), mail });
  return { status: 'failed', duplicate: false, channelId: null, error };
}

/** One mail on one channel, once (`processOnce`); a failure is listed with the record's own mail. */
function receiveOnce(
  deps: ReceiveMailDeps,
  channel: ChannelSettings,
  mail: InboundMail,
  options: { readonly replay: boolean; readonly completeOriginal?: (receipt: string) => Promise<void> },
): Promise<ProcessResult<InboundRecord>> {
  const { replay, completeOriginal } = options;
  return processOnce(
    { ledger: deps.ledger, clock: deps.clock, leaseMs: deps.leaseMs, maxAttempts: MAX_ATTEMPTS },
    newRecord(deps, channel, mail),
    (record, checkpoint) => receiveStep(deps, { channel, at: now(deps), replay, ...(completeOriginal ? { completeOriginal } : {}) }, record, checkpoint),
    {
      replay,
      onFailed: (record, error) =>
        deps.failed.put({
          sesMessageId: record.sesMessageId,
          channelId: channel.id,
          rawKey: record.mail.rawKey,
          ...error,
          failedAt: now(deps),
          mail: record.mail,
        }),
    },
  );
}

/** Waits while the first copy's own attempt holds its record: it settles within a second unless it crashed. */
const FIRST_COPY_DELAYS_MS = [50, 100, 200, 400, 800];

/**
 * Brings the first copy of a message (SES message id `receipt`, on the same channel) to its end,
 * for a second copy that found it owning the Message-ID: a record that failed is replayed, one
 * whose attempt died (an expired lease, or one given back after a retryable error) is taken over
 * and resumes where it stood, so its stored message reaches its queue once (the pointer's
 * deduplication id is its message id). A final record is left as it is. A first copy that fails
 * again fails the second copy with its reason (both are listed, either replays); one still in
 * another attempt's hands after the waits is a `BusyError` (the second copy is retried).
 */
async function completeFirstCopy(deps: ReceiveMailDeps, channel: ChannelSettings, copy: InboundMail, receipt: string): Promise<void> {
  // The record exists (the claim names it); the copy's mail only stands in should it have vanished.
  const first = { ...copy, sesMessageId: receipt };
  for (const delay of [...(deps.pause ? FIRST_COPY_DELAYS_MS : []), null]) {
    try {
      const { record } = await receiveOnce(deps, channel, first, { replay: true });
      if (record.state !== 'failed') return;
      const code = ERROR_CODES.find((c) => c === record.error?.code) ?? 'unexpected-error';
      throw new AppError(code, `the first copy of this message (${receipt}) failed: ${record.error?.reason ?? 'unknown'}`);
    } catch (error) {
      if (!(error instanceof BusyError) || delay === null) throw error;
      await deps.pause?.(delay);
    }
  }
}

/**
 * A new record. The candidate conversation's ids are fixed here, with the first save, so a new
 * conversation needs no save of its own before its first write; its ticket number is drawn when
 * it is created, and the stored conversation keeps the first one.
 */
function newRecord(deps: ReceiveMailDeps, channel: ChannelSettings, mail: InboundMail): InboundRecord {
  const messageId = deps.ids.next();
  const candidate = { conversationId: deps.ids.next(), ticketNumber: null, replyToken: channel.replyToken ? deps.ids.next().toLowerCase() : null };
  return {
    sesMessageId: mail.sesMessageId,
    channelId: channel.id,
    messageId,
    mail,
    state: 'received',
    leaseUntil: null,
    attempts: 0,
    candidate,
    conversationId: null,
    disposition: null,
    lane: null,
    tags: [],
    routed: null,
    acknowledgement: null,
    error: null,
    updatedAt: now(deps),
  };
}

function outcomeOf(result: ProcessResult<InboundRecord>): ReceiveOutcome {
  const { record } = result;
  const duplicate = result.kind === 'done';
  if (record.state === 'failed') {
    return { status: 'failed', duplicate, channelId: record.channelId, error: record.error ?? { code: 'unexpected-error', reason: 'failed' } };
  }
  const state = record.state === 'received' || record.state === 'decided' ? 'recorded' : record.state;
  return {
    status: state,
    duplicate,
    messageId: record.messageId,
    channelId: record.channelId,
    conversationId: record.conversationId,
    skill: record.routed?.skill ?? null,
    lane: record.lane,
    tags: record.tags,
    acknowledgement: record.acknowledgement,
  };
}

function now(deps: { readonly clock: Clock }): string {
  return deps.clock.now().toISOString();
}
