import { DependencyError, NotFoundError } from '../errors.ts';
import { newCandidate } from '../conversation/candidate.ts';
import { OwnIdProbe } from '../conversation/own-id-probe.ts';
import { threadMessage, type ThreadedMessage } from '../conversation/thread-message.ts';
import { isMessageId } from '../mail/thread-signals.ts';
import type { ChannelSettings } from '../model/channel.ts';
import type { InboundRecord, InboundState } from '../model/inbound-record.ts';
import type { IdGenerator } from '../ports/clock.ts';
import type { ConversationStore, TicketSequence } from '../ports/conversation-store.ts';
import type { MessageStore, RawMailStore, RoutedQueue } from '../ports/inbound.ts';
import type { MimeParser } from '../ports/mime.ts';
import type { Checkpoint } from '../processing/process-once.ts';
import { acknowledgeMail, applyInboundReport, type AcknowledgementStepDeps, type ReportStepDeps } from './after-decision.ts';
import { parseInbound } from './decide-inbound.ts';
import { decideMessage } from './decide-message.ts';
import { asDuplicate, routedMessageOf, storedMessageOf, withTags } from './decision-records.ts';

export interface HandleMailDeps {
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
  readonly reports: ReportStepDeps;
  /** Automatic acknowledgements of new conversations (for channels that turn them on). */
  readonly acknowledgements: AcknowledgementStepDeps;
}

export interface HandleMailInput {
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

/**
 * The business step of one inbound mail: decide, thread, apply a delivery report, acknowledge,
 * store, queue. Resumes where the record stands: from `received` it decides again with the
 * candidate conversation (and any acknowledgement's ids) fixed on the record; from `decided` it
 * only resends the stored pointer and acknowledgement job (the queues drop them by deduplication
 * id if they were sent). Returns the record in its final state.
 */
export async function handleMail(deps: HandleMailDeps, input: HandleMailInput, start: InboundRecord, checkpoint: Checkpoint<InboundRecord>): Promise<InboundRecord> {
  let record = start;
  if (record.state !== 'decided') {
    const decided = await decideMail(deps, input, record, checkpoint);
    // A pointer is saved before it is sent, so a retry resends exactly it; without one the final save comes next.
    record = decided.routed || decided.acknowledgement?.job ? await checkpoint(decided) : decided;
  }
  if (record.routed) await deps.queue.send(record.routed);
  if (record.acknowledgement?.job) await deps.acknowledgements.queue.send(record.acknowledgement.job);
  return { ...record, state: finalState(record) };
}

/** Decides the mail and writes conversation and message; returns the record in `decided`, not yet saved. */
async function decideMail(deps: HandleMailDeps, input: HandleMailInput, start: InboundRecord, checkpoint: Checkpoint<InboundRecord>): Promise<InboundRecord> {
  const { channel, at } = input;
  let record = start;
  const raw = await deps.rawMail.get(record.mail.rawKey).catch((error: unknown) => {
    if (error instanceof NotFoundError) throw new DependencyError('raw-missing', error.message, { cause: error, retryable: false });
    throw error;
  });
  const message = await parseInbound(deps.parser, raw, channel);
  // The own id's claim is read with the claims threading reads anyway: a later copy is known before any write.
  const probe = new OwnIdProbe(deps.conversations, message.messageId && isMessageId(message.messageId) ? message.messageId : null);
  let decision = await decideMessage({ lookup: probe }, {
    message, channel, verdicts: record.mail.verdicts, envelopeRecipients: record.mail.recipients, envelopeSender: record.mail.envelopeSender,
  });

  let threaded: ThreadedMessage = { conversation: null, copy: false };
  if (decision.disposition === 'route' || decision.disposition === 'record') {
    if (decision.thread.action === 'new' && !record.candidate) {
      // A record from before candidates were fixed with the first save.
      record = await checkpoint({ ...record, candidate: await newCandidate(deps, channel) });
    }
    threaded = await threadMessage(
      { store: deps.conversations, tickets: deps.tickets, ...(deps.pause ? { pause: deps.pause } : {}) },
      {
        channel, message: decision.message, decision: decision.thread, candidate: record.candidate, owner: record.messageId, receipt: record.sesMessageId, at,
        lane: decision.classification.lane, tags: decision.tags, seen: probe.seen, skill: decision.route?.skill,
        // Only an attempt after the first (or a replay) can find writes of its own candidate to settle.
        retry: record.attempts > 1 || input.replay,
      },
    );
    if (threaded.copy) {
      // Nothing of this copy is written before its first copy is routed (or recorded): a copy is never all that is left of a mail.
      const receipt = threaded.original?.receipt;
      if (receipt && receipt !== record.sesMessageId) await input.completeOriginal?.(receipt);
      decision = asDuplicate(decision);
    }
  }
  const { conversation } = threaded;
  // Idempotent per report: a retry of the mail applies nothing twice.
  await applyInboundReport(deps.reports, channel, record, decision);
  if (decision.disposition === 'route' || decision.disposition === 'record') {
    const acknowledged = await acknowledgeMail({ ...deps.acknowledgements, messages: deps.messages, ids: deps.ids }, { channel, record, decision, conversation, at }, checkpoint);
    record = acknowledged.record;
    decision = withTags(decision, acknowledged.tags);
  }
  await deps.messages.put(storedMessageOf(record, channel, decision, conversation));
  return {
    ...record, state: 'decided', conversationId: conversation?.id ?? null, routed: routedMessageOf(record, channel, decision, conversation), error: null,
    disposition: decision.disposition, lane: decision.classification.lane, tags: [...decision.tags],
  };
}

const FINAL_BY_DISPOSITION = { route: 'routed', record: 'recorded', quarantine: 'quarantined', drop: 'dropped' } as const;

function finalState(record: InboundRecord): InboundState {
  // A `route` decision without a pointer (no route found) is kept for the record.
  if (record.disposition === 'route' && !record.routed) return 'recorded';
  return record.disposition ? FINAL_BY_DISPOSITION[record.disposition] : 'recorded';
}
