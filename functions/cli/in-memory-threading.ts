import { MemoryConversationStore } from '../adapters/memory/memory-conversation-store.ts';
import { MemoryTicketSequence } from '../adapters/memory/memory-ticket-sequence.ts';
import { type AppliedThread, applyThread } from '../core/conversation/apply-thread.ts';
import { newCandidate } from '../core/conversation/candidate.ts';
import { NotFoundError } from '../core/errors.ts';
import type { ChannelSettings } from '../core/model/channel.ts';
import type { Lane } from '../core/model/classification.ts';
import type { ThreadDecision } from '../core/model/conversation.ts';
import type { ParsedMessage } from '../core/model/message.ts';
import type { IdGenerator } from '../core/ports/clock.ts';
import type { TicketSequence } from '../core/ports/conversation-store.ts';

export interface InMemoryThreadInput {
  readonly channel: ChannelSettings;
  readonly message: ParsedMessage;
  /** @default 'human' */
  readonly lane?: Lane;
  /** Tags of the inbound decision (verdicts, flags). @default [] */
  readonly tags?: readonly string[];
  /** The stored message this is: given, a second message with its Message-ID threads as a `copy` of it, as in the Lambda. */
  readonly owner?: string;
}

/**
 * An in-memory conversation store wired to the threading use case, for `postroom thread`, the
 * conformance run, the benchmark and tests: a `new` decision gets a candidate (next ticket number,
 * an id, a reply token if the channel uses them), then `applyThread` writes it as the Lambda does.
 */
export class InMemoryThreading extends MemoryConversationStore {
  private readonly ids: IdGenerator;
  private readonly tickets: TicketSequence;

  constructor(deps: { readonly ids: IdGenerator; readonly tickets?: TicketSequence }) {
    super();
    this.ids = deps.ids;
    this.tickets = deps.tickets ?? new MemoryTicketSequence();
  }

  /** Threads a decision; null for `unattached`. A join into a conversation of another channel is a `NotFoundError`. */
  async apply(channelId: string, decision: ThreadDecision, input: InMemoryThreadInput): Promise<AppliedThread | null> {
    const joined = decision.action === 'join' ? decision.conversation?.id : undefined;
    if (decision.action === 'join' && (!joined || (await this.getConversations([joined])).get(joined)?.channelId !== channelId)) {
      throw new NotFoundError(`conversation ${joined ?? '(none)'} not found in channel ${channelId}`);
    }
    const channel = { ...input.channel, id: channelId };
    const candidate = decision.action === 'new' ? await newCandidate({ tickets: this.tickets, ids: this.ids }, channel) : null;
    return applyThread({ store: this, pause: yieldTurn }, { ...input, channel, decision, candidate, at: new Date(0).toISOString() });
  }
}

/** Lets a racing `apply` run on; in memory a pending candidate settles within a few turns. */
function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
