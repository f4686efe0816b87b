import type { AppliedThread, SlaDeps } from '../conversation/apply-thread.ts';
import { newCandidate } from '../conversation/candidate.ts';
import { mailboxVerdicts } from '../mail/authentication-results.ts';
import { threadMessage } from '../conversation/thread-message.ts';
import { settleExternalParty } from './external-party.ts';
import type { ChannelSettings } from '../model/channel.ts';
import type { InboundRecord, InboundState } from '../model/inbound-record.ts';
import type { ParsedMessage } from '../model/message.ts';
import type { IdGenerator } from '../ports/clock.ts';
import type { ConversationStore, MessageIdClaim, TicketSequence } from '../ports/conversation-store.ts';
import type { DecidedMessages, MessageStore, RawMailStore, RoutedQueue } from '../ports/inbound.ts';
import type { LanguageDetector } from '../ports/language.ts';
import type { MimeParser } from '../ports/mime.ts';
import type { Checkpoint } from '../processing/process-once.ts';
import { acknowledgeMessage, type AcknowledgeDeps } from './acknowledge-message.ts';
import { applyDeliveryReport, type DeliveryReportDeps } from './apply-delivery-report.ts';
import { type ClaimsDecision, confirmOnJoin, decideOnClaims } from './decide-on-claims.ts';
import { asDuplicate, asImported, type InboundDecision, withTags } from './decide-message.ts';
import { loadMessage } from './load-message.ts';
import { routedMessageOf, storedMessageOf } from './message-forms.ts';
import { decidedRecord, resumeDecided } from './resume-decided.ts';

export interface ReceiveStepDeps {
  readonly parser: MimeParser;
  /** Tells the language of each mail's new text, for the stored message, the pointer and `when.languages` rules. */
  readonly language: LanguageDetector;
  readonly rawMail: RawMailStore;
  readonly conversations: ConversationStore;
  /** SLA clocks a person's mail starts or resumes (`docs/sla.md`); none without. */
  readonly sla?: SlaDeps | undefined;
  readonly messages: MessageStore & DecidedMessages;
  readonly queue: RoutedQueue;
  readonly tickets: TicketSequence;
  readonly ids: IdGenerator;
  /** Waits a little (a racing attempt's conversation is about to settle); without it such a race is retried at once. */
  readonly pause?: (ms: number) => Promise<void>;
  /** DSN and ARF reports that reach a channel update the reply they report on, as SES events do. */
  readonly reports: DeliveryReportDeps;
  /** Automatic acknowledgements of new conversations (for channels that turn them on). */
  readonly acknowledgements: AcknowledgeDeps;
}

export interface ReceiveStepInput {
  readonly channel: ChannelSettings;
  /** ISO time of the writes. */
  readonly at: string;
  /** An operator's replay of a failed record. */
  readonly replay: boolean;
  /**
   * Completes the inbound record of a message's first copy (by its SES message id), for a second
   * copy: the first may have been stored and never queued (it failed, or its attempt died between
   * the two). Resolves once the first copy is final and not failed; throws otherwise.
   */
  readonly completeOriginal?: (receipt: string) => Promise<void>;
}

/** A mail between the steps: its record, its decision, and its conversation once threaded. */
interface Progress {
  readonly record: InboundRecord;
  readonly decision: InboundDecision;
  readonly conversation: AppliedThread | null;
  /** The claim of the message's own Message-ID as its ownership write left it (null when it wrote none). */
  readonly ownClaim: MessageIdClaim | null;
}

/**
 * The work `receiveMail` runs once per record: load and parse, decide, thread, apply a delivery
 * report, acknowledge, store, queue. It resumes where the record stands: from `received` it runs
 * every step again with the candidate conversation (and any acknowledgement's ids) fixed on the
 * record; from `decided` (on the record, or on the stored message: `resumeDecided`) only the saved
 * pointer and acknowledgement job are sent again (the queues drop them by deduplication id if
 * they were sent). Returns the record in its final state.
 */
export async function receiveStep(
  deps: ReceiveStepDeps,
  input: ReceiveStepInput,
  start: InboundRecord,
  checkpoint: Checkpoint<InboundRecord>,
): Promise<InboundRecord> {
  let record = start;
  if (record.state !== 'decided') {
    const message = await loadMessage(deps, record.mail, input.channel);
    // An attempt after the first may find the decided state an earlier one stored with the message.
    const resumed = record.attempts > 1 ? await resumeDecided(deps, input.channel, record, message) : null;
    record = resumed ?? (await decideAndStore(deps, input, record, message, checkpoint));
  }
  await queue(deps, record);
  return { ...record, state: finalState(record) };
}

/** Decides, threads, applies a delivery report, acknowledges and stores a mail; returns its record in `decided`. */
async function decideAndStore(
  deps: ReceiveStepDeps,
  input: ReceiveStepInput,
  record: InboundRecord,
  message: ParsedMessage,
  checkpoint: Checkpoint<InboundRecord>,
): Promise<InboundRecord> {
  const decided = await decide(deps, input.channel, record, message);
  const threaded = await thread(deps, input, record, decided, checkpoint);
  // Idempotent per report: a retry of the mail applies nothing twice.
  await applyDeliveryReport(deps.reports, input.channel, threaded.record, threaded.decision);
  const acknowledged = await acknowledge(deps, input, threaded, checkpoint);
  return store(deps, input, acknowledged, checkpoint);
}

/**
 * Decides the message (`decideOnClaims`: on the Message-ID claims alone where they decide it, the
 * join then reads the conversation). The thread lookup also reads the claim of the message's own
 * Message-ID, with the claims threading reads anyway: a later copy is known before any write.
 */
async function decide(deps: ReceiveStepDeps, channel: ChannelSettings, record: InboundRecord, message: ParsedMessage): Promise<ClaimsDecision> {
  const { mail } = record;
  // Mail read from a mailbox has no SES receipt: its provider's Authentication-Results say what was checked.
  const trusted = 'trustAuthenticationResults' in channel.source ? channel.source.trustAuthenticationResults : null;
  const fromMailbox = mail.origin !== undefined && mail.origin.type !== 'archive' ? mailboxVerdicts(message.headers, trusted) : null;
  const input = {
    message,
    channel,
    verdicts: fromMailbox?.verdicts ?? mail.verdicts,
    envelopeRecipients: mail.recipients,
    envelopeSender: fromMailbox ? fromMailbox.envelopeSender : mail.envelopeSender,
  };
  const decided = await decideOnClaims(deps.conversations, input, record.messageId, deps.language);
  return mail.imported ? { ...decided, decision: asImported(decided.decision) } : decided;
}

/**
 * Threads a kept mail into its conversation (`threadMessage`); a decision taken on claims is
 * completed with the conversation the join wrote (`confirmOnJoin`). A second copy of a stored
 * message joins nothing and is kept as a duplicate, after its first copy is brought to its end:
 * nothing of a copy is written before its first copy is routed (or recorded), so a copy is never
 * all that is left of a mail.
 */
async function thread(
  deps: ReceiveStepDeps,
  input: ReceiveStepInput,
  start: InboundRecord,
  decided: ClaimsDecision,
  checkpoint: Checkpoint<InboundRecord>,
): Promise<Progress> {
  const { channel, at } = input;
  const { decision } = decided;
  if (!isKept(decision)) return { record: start, decision, conversation: null, ownClaim: null };
  const record = await withCandidate(deps, channel, start, decision, checkpoint);
  const threaded = await threadMessage(
    { store: deps.conversations, tickets: deps.tickets, ...(deps.pause ? { pause: deps.pause } : {}), ...(deps.sla ? { sla: deps.sla } : {}) },
    {
      channel,
      message: decision.message,
      decision: decision.thread,
      candidate: record.candidate,
      owner: record.messageId,
      receipt: record.sesMessageId,
      at,
      lane: decision.classification.lane,
      tags: decision.tags,
      seen: decided.seen,
      skill: decision.route?.skill,
      // Only an attempt after the first (or a replay) can find writes of its own candidate to settle.
      retry: record.attempts > 1 || input.replay,
      imported: record.mail.imported,
    },
  );
  const { conversation } = threaded;
  // An external party's mail joins flagged (it never speaks for the customer), unless its sender is a customer after all.
  const confirmed = settleExternalParty(confirmOnJoin(decided, conversation), conversation);
  if (!threaded.copy) return { record, decision: confirmed, conversation, ownClaim: threaded.ownClaim };
  const receipt = threaded.original?.receipt;
  if (receipt && receipt !== record.sesMessageId) await input.completeOriginal?.(receipt);
  return { record, decision: asDuplicate(confirmed), conversation, ownClaim: null };
}

/**
 * The record with the candidate conversation a `new` decision creates. A new record fixes it
 * with its first save; a record saved before candidates were fixed that way has none, and fixes
 * one here.
 */
async function withCandidate(
  deps: ReceiveStepDeps,
  channel: ChannelSettings,
  record: InboundRecord,
  decision: InboundDecision,
  checkpoint: Checkpoint<InboundRecord>,
): Promise<InboundRecord> {
  if (record.candidate || decision.thread.action !== 'new') return record;
  return checkpoint({ ...record, candidate: await newCandidate(deps, channel) });
}

/** Decides and prepares the channel's acknowledgement of a kept mail (`acknowledgeMessage`), with the tags it adds. */
async function acknowledge(deps: ReceiveStepDeps, input: ReceiveStepInput, progress: Progress, checkpoint: Checkpoint<InboundRecord>): Promise<Progress> {
  if (!isKept(progress.decision)) return progress;
  const acknowledgeDeps = { ...deps.acknowledgements, ids: deps.ids };
  const { record, tags } = await acknowledgeMessage(acknowledgeDeps, { channel: input.channel, ...progress, at: input.at }, checkpoint);
  return { ...progress, record, decision: withTags(progress.decision, tags) };
}

/**
 * Stores the message and returns the record in `decided`, with the pointer for its skill queue.
 * A pointer or acknowledgement job is saved before it is sent, so a retry resends exactly it: on
 * the stored message, in the same write, when its own Message-ID's claim leads a retry to it
 * (`resumeDecided`); else on the record. Without either, the final save comes next.
 */
async function store(deps: ReceiveStepDeps, input: ReceiveStepInput, progress: Progress, checkpoint: Checkpoint<InboundRecord>): Promise<InboundRecord> {
  const { channel } = input;
  const { record, decision, conversation, ownClaim } = progress;
  const decided: InboundRecord = {
    ...record,
    state: 'decided',
    conversationId: conversation?.id ?? null,
    routed: routedMessageOf(record, channel, decision, conversation),
    error: null,
    disposition: decision.disposition,
    lane: decision.classification.lane,
    tags: [...decision.tags],
  };
  const pending = decided.routed !== null || Boolean(decided.acknowledgement?.job);
  // The message carries the checkpoint where a retry finds it (`resumeDecided`): its own Message-ID's claim names its conversation.
  const onMessage = pending && conversation !== null && ownClaim?.conversationId === conversation.id;
  const message = storedMessageOf(record, channel, decision, conversation);
  if (!onMessage) {
    // A message outside any conversation expires on its own, after its channel's retention.
    await deps.messages.put(message, { retentionDays: channel.retention?.mailDays, claimIds: decision.thread.claimIds });
    return pending ? checkpoint(decided) : decided;
  }
  // The first checkpoint stands: another attempt of this mail that stored it first is followed.
  const stands = await deps.messages.putDecided(
    message,
    { routed: decided.routed, acknowledgement: decided.acknowledgement },
    { replace: input.replay, claimIds: decision.thread.claimIds },
  );
  return checkpoint(decidedRecord(decided, stands), { write: false });
}

/** Sends the saved pointer to its skill queue and the acknowledgement job to the outbound queue. */
async function queue(deps: ReceiveStepDeps, record: InboundRecord): Promise<void> {
  if (record.routed) await deps.queue.send(record.routed);
  if (record.acknowledgement?.job) await deps.acknowledgements.queue.send(record.acknowledgement.job);
}

/** Routed and recorded mail joins its conversation; quarantined and dropped mail joins none and is never acknowledged. */
function isKept(decision: InboundDecision): boolean {
  return decision.disposition === 'route' || decision.disposition === 'record';
}

const FINAL_BY_DISPOSITION = { route: 'routed', record: 'recorded', quarantine: 'quarantined', drop: 'dropped' } as const;

function finalState(record: InboundRecord): InboundState {
  // A `route` decision without a pointer (no route found) is kept for the record.
  if (record.disposition === 'route' && !record.routed) return 'recorded';
  return record.disposition ? FINAL_BY_DISPOSITION[record.disposition] : 'recorded';
}
