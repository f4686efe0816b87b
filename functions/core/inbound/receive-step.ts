import type { AppliedThread } from '../conversation/apply-thread.ts';
import { newCandidate } from '../conversation/candidate.ts';
import { OwnIdProbe, type OwnIdSeen } from '../conversation/own-id-probe.ts';
import { threadMessage } from '../conversation/thread-message.ts';
import { isMessageId } from '../mail/thread-signals.ts';
import type { ChannelSettings } from '../model/channel.ts';
import type { InboundMail, InboundRecord, InboundState } from '../model/inbound-record.ts';
import type { ParsedMessage } from '../model/message.ts';
import type { IdGenerator } from '../ports/clock.ts';
import type { ConversationStore, TicketSequence } from '../ports/conversation-store.ts';
import type { MessageStore, RawMailStore, RoutedQueue } from '../ports/inbound.ts';
import type { MimeParser } from '../ports/mime.ts';
import type { Checkpoint } from '../processing/process-once.ts';
import { acknowledgeMessage, type AcknowledgeDeps } from './acknowledge-message.ts';
import { applyDeliveryReport, type DeliveryReportDeps } from './apply-delivery-report.ts';
import { asDuplicate, decideMessage, type InboundDecision, withTags } from './decide-message.ts';
import { loadMessage } from './load-message.ts';
import { routedMessageOf, storedMessageOf } from './message-forms.ts';

export interface ReceiveStepDeps {
  readonly parser: MimeParser;
  readonly rawMail: RawMailStore;
  readonly conversations: ConversationStore;
  readonly messages: MessageStore;
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
}

/**
 * The work `receiveMail` runs once per record: load and parse, decide, thread, apply a delivery
 * report, acknowledge, store, queue. It resumes where the record stands: from `received` it runs
 * every step again with the candidate conversation (and any acknowledgement's ids) fixed on the
 * record; from `decided` the message is stored and only the saved pointer and acknowledgement job
 * are sent again (the queues drop them by deduplication id if they were sent). Returns the record
 * in its final state.
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
    const { decision, seen } = await decide(deps, input.channel, record.mail, message);
    const threaded = await thread(deps, input, { record, decision }, seen, checkpoint);
    // Idempotent per report: a retry of the mail applies nothing twice.
    await applyDeliveryReport(deps.reports, input.channel, threaded.record, threaded.decision);
    const acknowledged = await acknowledge(deps, input, threaded, checkpoint);
    record = await store(deps, input.channel, acknowledged, checkpoint);
  }
  await queue(deps, record);
  return { ...record, state: finalState(record) };
}

/**
 * Decides the message (`decideMessage`). Its thread lookup also reads the claim of the message's
 * own Message-ID (`OwnIdProbe`), with the claims threading reads anyway: a later copy is known
 * before any write.
 */
async function decide(
  deps: ReceiveStepDeps,
  channel: ChannelSettings,
  mail: InboundMail,
  message: ParsedMessage,
): Promise<{ readonly decision: InboundDecision; readonly seen: OwnIdSeen | undefined }> {
  const probe = new OwnIdProbe(deps.conversations, message.messageId && isMessageId(message.messageId) ? message.messageId : null);
  const decision = await decideMessage({ lookup: probe }, {
    message, channel, verdicts: mail.verdicts, envelopeRecipients: mail.recipients, envelopeSender: mail.envelopeSender,
  });
  return { decision, seen: probe.seen };
}

/**
 * Threads a kept mail into its conversation (`threadMessage`). A second copy of a stored message
 * joins nothing and is kept as a duplicate, after its first copy is brought to its end: nothing
 * of a copy is written before its first copy is routed (or recorded), so a copy is never all that
 * is left of a mail.
 */
async function thread(
  deps: ReceiveStepDeps,
  input: ReceiveStepInput,
  decided: Omit<Progress, 'conversation'>,
  seen: OwnIdSeen | undefined,
  checkpoint: Checkpoint<InboundRecord>,
): Promise<Progress> {
  const { channel, at } = input;
  const { decision } = decided;
  if (!isKept(decision)) return { ...decided, conversation: null };
  const record = await withCandidate(deps, channel, decided.record, decision, checkpoint);
  const threaded = await threadMessage(
    { store: deps.conversations, tickets: deps.tickets, ...(deps.pause ? { pause: deps.pause } : {}) },
    {
      channel, message: decision.message, decision: decision.thread, candidate: record.candidate, owner: record.messageId, receipt: record.sesMessageId, at,
      lane: decision.classification.lane, tags: decision.tags, seen, skill: decision.route?.skill,
      // Only an attempt after the first (or a replay) can find writes of its own candidate to settle.
      retry: record.attempts > 1 || input.replay,
    },
  );
  const { conversation } = threaded;
  if (!threaded.copy) return { record, decision, conversation };
  const receipt = threaded.original?.receipt;
  if (receipt && receipt !== record.sesMessageId) await input.completeOriginal?.(receipt);
  return { record, decision: asDuplicate(decision), conversation };
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
  const acknowledgeDeps = { ...deps.acknowledgements, messages: deps.messages, ids: deps.ids };
  const { record, tags } = await acknowledgeMessage(acknowledgeDeps, { channel: input.channel, ...progress, at: input.at }, checkpoint);
  return { ...progress, record, decision: withTags(progress.decision, tags) };
}

/**
 * Stores the message and returns the record in `decided`, with the pointer for its skill queue.
 * A pointer or acknowledgement job is saved before it is sent, so a retry resends exactly it;
 * without either, the final save comes next.
 */
async function store(deps: ReceiveStepDeps, channel: ChannelSettings, progress: Progress, checkpoint: Checkpoint<InboundRecord>): Promise<InboundRecord> {
  const { record, decision, conversation } = progress;
  await deps.messages.put(storedMessageOf(record, channel, decision, conversation));
  const decided: InboundRecord = {
    ...record, state: 'decided', conversationId: conversation?.id ?? null, routed: routedMessageOf(record, channel, decision, conversation), error: null,
    disposition: decision.disposition, lane: decision.classification.lane, tags: [...decision.tags],
  };
  return decided.routed || decided.acknowledgement?.job ? checkpoint(decided) : decided;
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
