import { AppError, BusyError, NotFoundError } from '../errors.ts';
import type { ChannelSettings } from '../model/channel.ts';
import type { Lane } from '../model/classification.ts';
import type { ErrorInfo, InboundMail, InboundRecord, InboundState } from '../model/inbound-record.ts';
import type {
  ChannelDirectory, Clock, ConversationStore, FailedMailStore, IdGenerator, InboundLedger,
  MessageStore, MimeParser, RawMailStore, RoutedQueue, TicketSequence,
} from '../ports.ts';
import { applyThread, newCandidate, settleCandidate, type AppliedThread } from './apply-thread.ts';
import { decideMessage, parseInbound, type InboundDecision } from './decide-inbound.ts';
import { asDuplicate, routedMessageOf, storedMessageOf } from './inbound-records.ts';
import { OwnIdProbe, type OwnIdSeen } from './own-id-probe.ts';
import { isMessageId } from './thread-signals.ts';

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
  /** Waits a little (a racing attempt's conversation is about to settle); without it such a race is retried at once. */
  readonly pause?: (ms: number) => Promise<void>;
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
 * Idempotent: the record moves `received → decided → routed` for mail it queues (the pointer is
 * saved before it is sent) and `received → recorded | quarantined | dropped` otherwise, and a
 * delivery finding it final does nothing. A retry after a crash resumes: from `received` it
 * decides again with the candidate conversation fixed on the record; from `decided` it only
 * resends the stored pointer (the queue drops it by deduplication id if it was sent).
 *
 * Mail that cannot be processed (no channel, raw copy missing, unparseable, any non-retryable
 * error) gets a failed record and the outcome `failed`; it is not thrown, since retrying cannot
 * help. Retryable and unknown errors are thrown so the caller retries (the lease is released
 * first), until the attempt `MAX_ATTEMPTS`: then they fail the mail too, so an error that never
 * goes away ends in the failed state instead of the failed-mail queue.
 *
 * A second copy of a stored message (same Message-ID, new SES id) is recorded, tagged
 * `duplicate-message-id`, and not routed.
 */
export async function receiveMail(deps: ReceiveMailDeps, mail: InboundMail, options: ReceiveMailOptions = {}): Promise<ReceiveOutcome> {
  const channel = await deps.channels.findByRecipients(mail.recipients);
  if (!channel) {
    const error = { code: 'unknown-recipient', reason: `no channel for ${mail.recipients.join(', ') || '(no recipients)'}` };
    await deps.failed.put({ sesMessageId: mail.sesMessageId, channelId: null, rawKey: mail.rawKey, ...error, failedAt: now(deps), mail });
    return { status: 'failed', duplicate: false, channelId: null, error };
  }

  const entry = await deps.ledger.acquire(newRecord(deps, channel, mail), { now: deps.clock.now(), leaseMs: deps.leaseMs, replay: options.replay ?? false });
  if (entry.kind === 'busy') throw new BusyError(`mail ${mail.sesMessageId} is being processed by another attempt`);
  if (entry.kind === 'done') return outcomeOf(entry.record, true);

  // Every save goes through `keep`, so the error path below writes the latest record (with the candidate).
  let record: InboundRecord = { ...entry.record, error: null };
  const keep = async (next: InboundRecord): Promise<InboundRecord> => (record = await save(deps, next));
  try {
    if (record.state !== 'decided') {
      const decided = await decide(deps, channel, record, keep, options.replay ?? false);
      // A pointer is saved before it is sent, so a retry resends exactly it; without one the final save comes next.
      record = decided.routed ? await keep(decided) : decided;
    }
    if (record.routed) await deps.queue.send(record.routed);
    await keep({ ...record, state: finalState(record) });
    return outcomeOf(record, false);
  } catch (error) {
    if (!isPermanent(error) && record.attempts < MAX_ATTEMPTS) {
      // The retry need not wait for the lease; a failure to release only makes it wait.
      await deps.ledger.release(record).catch(() => undefined);
      throw error;
    }
    const info = errorInfo(error, record.attempts);
    await deps.failed.put({ sesMessageId: mail.sesMessageId, channelId: channel.id, rawKey: mail.rawKey, ...info, failedAt: now(deps), mail });
    await save(deps, { ...record, state: 'failed', error: info });
    return { status: 'failed', duplicate: false, channelId: channel.id, error: info };
  }
}

/** Decides the mail and writes conversation and message; returns the record in `decided`, not yet saved. */
async function decide(
  deps: ReceiveMailDeps,
  channel: ChannelSettings,
  start: InboundRecord,
  keep: (record: InboundRecord) => Promise<InboundRecord>,
  replay: boolean,
): Promise<InboundRecord> {
  let record = start;
  // Only an attempt after the first (or a replay) can find writes of its own candidate to settle.
  const retry = record.attempts > 1 || replay;
  const raw = await deps.rawMail.get(record.mail.rawKey).catch((error: unknown) => {
    if (error instanceof NotFoundError) throw new AppError('raw-missing', error.message, { cause: error });
    throw error;
  });
  const message = await parseInbound(deps.parser, raw, channel);
  // The own id's claim is read with the claims threading reads anyway: a later copy is known before any write.
  const probe = new OwnIdProbe(deps.conversations, message.messageId && isMessageId(message.messageId) ? message.messageId : null);
  let decision = await decideMessage(
    { lookup: probe },
    { message, channel, verdicts: record.mail.verdicts, envelopeRecipients: record.mail.recipients },
  );
  const threaded = decision.disposition === 'route' || decision.disposition === 'record';
  const copyOf = threaded ? await storedCopyOf(deps, channel, record, decision, probe.seen) : null;
  let conversation: AppliedThread | null = null;
  if (copyOf) {
    decision = asDuplicate(decision);
    conversation = copyOf.conversation;
    // An earlier attempt may have threaded it before the first copy took its id: its candidate goes where that copy is.
    if (retry && record.candidate && conversation) {
      await settleCandidate(deps.conversations, { channel, message: decision.message, at: now(deps) }, record.candidate.conversationId, conversation.id);
    }
  } else if (threaded) {
    if (decision.thread.action === 'new' && !record.candidate) {
      // A record from before candidates were fixed with the first save.
      record = await keep({ ...record, candidate: await newCandidate(deps, channel) });
    }
    conversation = await applyThread(
      { store: deps.conversations, tickets: deps.tickets, ...(deps.pause ? { pause: deps.pause } : {}) },
      {
        channel, message: decision.message, decision: decision.thread, candidate: record.candidate, at: now(deps),
        lane: decision.classification.lane, tags: decision.tags, owner: record.messageId, retry,
      },
    );
    // A copy that raced the first one: the own-id claim found the other owner (null: that copy is in no conversation).
    if (conversation?.copy || (conversation === null && decision.thread.action !== 'unattached')) decision = asDuplicate(decision);
  }
  await deps.messages.put(storedMessageOf(record, channel, decision, conversation));
  const routed = routedMessageOf(record, channel, decision, conversation);
  return {
    ...record, state: 'decided', conversationId: conversation?.id ?? null, routed, error: null,
    disposition: decision.disposition, lane: decision.classification.lane, tags: [...decision.tags],
  };
}

/**
 * A second copy of a stored message (the sender delivered it again under a new SES id): its own
 * Message-ID is owned by another stored message. Returns that message's conversation, or null
 * when this is no copy as far as is known before threading. An id only referenced by earlier mail
 * (a parent arriving late) is not owned, so that message is no copy.
 *
 * The owner is known when threading read claims (`seen`). Otherwise a message that joins a
 * conversation, or stays unattached, records its ownership with a write of its own before the
 * join, so that a copy coming later never joins (and reopens) anything; a new conversation's
 * claims find a copy in their order.
 */
async function storedCopyOf(
  deps: ReceiveMailDeps,
  channel: ChannelSettings,
  record: InboundRecord,
  decision: InboundDecision,
  seen: OwnIdSeen | undefined,
): Promise<{ conversation: AppliedThread | null } | null> {
  const ownId = decision.message.messageId;
  // resolveThread claims the own id only when it is well-formed.
  if (!ownId || !decision.thread.claimIds.includes(ownId)) return null;
  const me = record.messageId;
  const seenOwner = seen?.claim?.owner ?? null;
  if (seenOwner !== null && seenOwner !== me) return { conversation: seen?.conversation ? { ...seen.conversation, created: false } : null };
  const { action, conversation: target } = decision.thread;
  const joinsUnread = action === 'join' && seen === undefined && target?.id !== record.candidate?.conversationId;
  const unattachedUnowned = action === 'unattached' && seenOwner !== me;
  if (!joinsUnread && !unattachedUnowned) return null;
  const claim = await deps.conversations.claimOwn(channel.id, ownId, me, null);
  if (claim.owner === me) return null;
  const found = claim.conversationId ? (await deps.conversations.getConversations([claim.conversationId])).get(claim.conversationId) : undefined;
  // The first copy claimed its id before joining and has not claimed it for the conversation yet:
  // this copy, with the same signals, belongs where it was going (recorded only, nothing joined).
  const conversation = found ?? target;
  return { conversation: conversation ? { ...conversation, created: false } : null };
}

const FINAL_BY_DISPOSITION = { route: 'routed', record: 'recorded', quarantine: 'quarantined', drop: 'dropped' } as const;

function finalState(record: InboundRecord): InboundState {
  // A `route` decision without a pointer (no route found) is kept for the record.
  if (record.disposition === 'route' && !record.routed) return 'recorded';
  return record.disposition ? FINAL_BY_DISPOSITION[record.disposition] : 'recorded';
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
    sesMessageId: mail.sesMessageId, channelId: channel.id, messageId, mail, state: 'received',
    leaseUntil: null, attempts: 0, candidate, conversationId: null, disposition: null, lane: null, tags: [],
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

/** Attempts (counted by the ledger with the lease) after which any error fails the mail. */
export const MAX_ATTEMPTS = 3;

/** AWS SDK errors that mean the request itself is wrong (e.g. a key too large): retrying cannot help. */
const PERMANENT_DEPENDENCY_ERRORS: ReadonlySet<string> = new Set(['ValidationException', 'InvalidMessageContents']);

/** Not-found and malformed mail cannot get better by retrying, nor a request AWS rejects as invalid; anything unknown might. */
function isPermanent(error: unknown): boolean {
  if (error instanceof AppError) return !error.retryable;
  return error instanceof Error && PERMANENT_DEPENDENCY_ERRORS.has(error.name);
}

function errorInfo(error: unknown, attempts: number): ErrorInfo {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  const code = error instanceof AppError ? error.code : PERMANENT_DEPENDENCY_ERRORS.has(name) ? 'dependency-rejected' : 'unexpected-error';
  const reason = error instanceof AppError ? message : `${name}: ${message}`;
  const suffix = isPermanent(error) ? '' : ` (gave up after ${attempts} attempts)`;
  return { code, reason: `${reason.slice(0, 500)}${suffix}` };
}

function now(deps: ReceiveMailDeps): string {
  return deps.clock.now().toISOString();
}
