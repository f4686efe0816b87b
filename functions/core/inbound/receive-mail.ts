import { AppError, ConflictError, NotFoundError } from '../errors.ts';
import type { ChannelSettings } from '../model/channel.ts';
import type { Lane } from '../model/classification.ts';
import type { ErrorInfo, InboundMail, InboundRecord, InboundState } from '../model/inbound-record.ts';
import type {
  ChannelDirectory, Clock, ConversationStore, FailedMailStore, IdGenerator, InboundLedger,
  MessageStore, MimeParser, RawMailStore, RoutedQueue, TicketSequence,
} from '../ports.ts';
import { applyThread } from './apply-thread.ts';
import { decideInbound } from './decide-inbound.ts';
import { routedMessageOf, storedMessageOf } from './inbound-records.ts';
import { formatTicketNumber } from './ticket-number.ts';

export interface ReceiveMailDeps {
  readonly parser: MimeParser;
  readonly channels: ChannelDirectory;
  readonly rawMail: RawMailStore;
  readonly ledger: InboundLedger;
  readonly conversations: ConversationStore;
  readonly messages: MessageStore;
  readonly queue: RoutedQueue;
  readonly failed: FailedMailStore;
  readonly tickets: TicketSequence;
  readonly clock: Clock;
  readonly ids: IdGenerator;
  /** How long one attempt owns a record; longer than the function timeout. */
  readonly leaseMs: number;
}

export interface ReceiveMailOptions {
  /** Process a `failed` record again (an operator's replay), instead of reporting a duplicate. */
  readonly replay?: boolean;
}

/** What happened to one mail; `duplicate` when an earlier delivery already did the work. */
export type ReceiveOutcome =
  | { readonly status: Exclude<InboundState, 'received' | 'decided' | 'failed'>; readonly duplicate: boolean; readonly messageId: string; readonly channelId: string; readonly conversationId: string | null; readonly skill: string | null; readonly lane: Lane | null; readonly tags: readonly string[] }
  | { readonly status: 'failed'; readonly duplicate: boolean; readonly channelId: string | null; readonly error: ErrorInfo };

/**
 * Receives one mail SES stored: find its channel, take the (SES message id, channel) record,
 * read the raw copy, decide, write conversation and message, queue the pointer.
 *
 * Idempotent: the record moves `received → decided → routed | recorded | quarantined | dropped`
 * and a delivery finding it final does nothing. A retry after a crash resumes: from `received` it
 * decides again with the candidate conversation fixed on the record; from `decided` it only
 * resends the stored pointer (the queue drops it by deduplication id if it was sent).
 *
 * Mail that cannot be processed (no channel, raw copy missing, unparseable, any non-retryable
 * error) gets a failed record and the outcome `failed`; it is not thrown, since retrying cannot
 * help. Retryable and unknown errors are thrown so the caller retries.
 */
export async function receiveMail(deps: ReceiveMailDeps, mail: InboundMail, options: ReceiveMailOptions = {}): Promise<ReceiveOutcome> {
  const channel = await deps.channels.findByRecipients(mail.recipients);
  if (!channel) {
    const error = { code: 'unknown-recipient', reason: `no channel for ${mail.recipients.join(', ') || '(no recipients)'}` };
    await deps.failed.put({ sesMessageId: mail.sesMessageId, channelId: null, rawKey: mail.rawKey, ...error, failedAt: now(deps), mail });
    return { status: 'failed', duplicate: false, channelId: null, error };
  }

  const entry = await deps.ledger.acquire(newRecord(deps, channel, mail), { now: deps.clock.now(), leaseMs: deps.leaseMs, replay: options.replay ?? false });
  if (entry.kind === 'busy') throw new ConflictError(`mail ${mail.sesMessageId} is being processed by another attempt`);
  if (entry.kind === 'done') return outcomeOf(entry.record, true);

  let record: InboundRecord = { ...entry.record, attempts: entry.record.attempts + 1, error: null };
  try {
    if (record.state !== 'decided') record = await decide(deps, channel, record);
    if (record.routed) await deps.queue.send(record.routed);
    record = await save(deps, { ...record, state: finalState(record) });
    return outcomeOf(record, false);
  } catch (error) {
    if (!isPermanent(error)) throw error;
    const info = errorInfo(error);
    await deps.failed.put({ sesMessageId: mail.sesMessageId, channelId: channel.id, rawKey: mail.rawKey, ...info, failedAt: now(deps), mail });
    await save(deps, { ...record, state: 'failed', error: info });
    return { status: 'failed', duplicate: false, channelId: channel.id, error: info };
  }
}

async function decide(deps: ReceiveMailDeps, channel: ChannelSettings, record: InboundRecord): Promise<InboundRecord> {
  const raw = await deps.rawMail.get(record.mail.rawKey).catch((error: unknown) => {
    if (error instanceof NotFoundError) throw new AppError('raw-missing', error.message, { cause: error });
    throw error;
  });
  const decision = await decideInbound(
    { parser: deps.parser, lookup: deps.conversations },
    { raw, channel, verdicts: record.mail.verdicts, envelopeRecipients: record.mail.recipients },
  );
  const threaded = decision.disposition === 'route' || decision.disposition === 'record';
  if (threaded && decision.thread.action === 'new' && !record.candidate) {
    record = await save(deps, { ...record, candidate: await newCandidate(deps, channel) });
  }
  const conversation = threaded
    ? await applyThread({ store: deps.conversations }, { channel, message: decision.message, decision: decision.thread, candidate: record.candidate, at: now(deps) })
    : null;
  await deps.messages.put(storedMessageOf(record, channel, decision, conversation));
  const routed = routedMessageOf(record, channel, decision, conversation);
  return save(deps, {
    ...record, state: 'decided', conversationId: conversation?.id ?? null, routed, error: null,
    disposition: decision.disposition, lane: decision.classification.lane, tags: [...decision.tags],
  });
}

async function newCandidate(deps: ReceiveMailDeps, channel: ChannelSettings): Promise<NonNullable<InboundRecord['candidate']>> {
  const ticketNumber = formatTicketNumber(await deps.tickets.next(channel.id), channel.ticket);
  return { conversationId: deps.ids.next(), ticketNumber, replyToken: channel.replyToken ? deps.ids.next().toLowerCase() : null };
}

const FINAL_BY_DISPOSITION = { route: 'routed', record: 'recorded', quarantine: 'quarantined', drop: 'dropped' } as const;

function finalState(record: InboundRecord): InboundState {
  // A `route` decision without a pointer (no route found) is kept for the record.
  if (record.disposition === 'route' && !record.routed) return 'recorded';
  return record.disposition ? FINAL_BY_DISPOSITION[record.disposition] : 'recorded';
}

function newRecord(deps: ReceiveMailDeps, channel: ChannelSettings, mail: InboundMail): InboundRecord {
  return {
    sesMessageId: mail.sesMessageId, channelId: channel.id, messageId: deps.ids.next(), mail, state: 'received',
    leaseUntil: null, attempts: 0, candidate: null, conversationId: null, disposition: null, lane: null, tags: [],
    routed: null, error: null, updatedAt: now(deps),
  };
}

async function save(deps: ReceiveMailDeps, record: InboundRecord): Promise<InboundRecord> {
  const next = { ...record, updatedAt: now(deps) };
  await deps.ledger.save(next);
  return next;
}

function outcomeOf(record: InboundRecord, duplicate: boolean): ReceiveOutcome {
  if (record.state === 'failed') {
    return { status: 'failed', duplicate, channelId: record.channelId, error: record.error ?? { code: 'unknown', reason: 'failed' } };
  }
  const state = record.state === 'received' || record.state === 'decided' ? 'recorded' : record.state;
  return {
    status: state, duplicate, messageId: record.messageId, channelId: record.channelId, conversationId: record.conversationId,
    skill: record.routed?.skill ?? null, lane: record.lane, tags: record.tags,
  };
}

/** Not-found and malformed mail cannot get better by retrying; anything unknown might. */
function isPermanent(error: unknown): error is AppError {
  return error instanceof AppError && !error.retryable;
}

function errorInfo(error: AppError): ErrorInfo {
  return { code: error.code, reason: error.message };
}

function now(deps: ReceiveMailDeps): string {
  return deps.clock.now().toISOString();
}
