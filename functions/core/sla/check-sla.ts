import type { Clock } from '../ports/clock.ts';
import { eventsDue, nextEventAt, type SlaState } from './sla-clock.ts';
import type { SlaEvent, SlaEventPublisher, SlaSchedule } from './ports.ts';

export interface CheckSlaDeps {
  readonly schedule: SlaSchedule;
  readonly events: SlaEventPublisher;
  readonly clock: Clock;
}

/** What one check did. */
export interface SlaCheckReport {
  readonly published: readonly SlaEvent[];
  /** Events another check recorded first, or whose conversation changed since it was read. */
  readonly skipped: number;
  /** Conversations read from the schedule. */
  readonly read: number;
}

/** Conversations one check reads at most (a minute's schedule runs the rest next time). */
export const CHECK_LIMIT = 500;

/**
 * Publishes every SLA warning and breach that fell due: each once, even with two checks at the
 * same time. An event is first recorded on its conversation with a conditional write (only while
 * not recorded, and while the state is the one read: an agent's answer since then wins), then
 * published; a failed publication takes the record back, so the next check tries again.
 */
export async function checkSla(deps: CheckSlaDeps, options: { readonly limit?: number } = {}): Promise<SlaCheckReport> {
  const now = deps.clock.now().toISOString();
  const due = await deps.schedule.due(now, options.limit ?? CHECK_LIMIT);
  const published: SlaEvent[] = [];
  let skipped = 0;
  for (const conversation of due) {
    let state: SlaState = conversation.sla;
    const owed = eventsDue(state, now);
    if (owed.length === 0) {
      // Scheduled for an event no longer owed (a state written from an older read): its right place.
      await deps.schedule.reschedule(conversation.conversationId, state.rev, nextEventAt(state));
      continue;
    }
    for (const event of owed) {
      const after: SlaState = { ...state, events: [...state.events, event.key] };
      const marked = await deps.schedule.markPublished(conversation.conversationId, event.key, state.rev, nextEventAt(after));
      if (!marked) {
        skipped++;
        break;
      }
      state = after;
      const message: SlaEvent = {
        type: event.kind === 'warning' ? 'sla.warning' : 'sla.breach',
        conversationId: conversation.conversationId,
        channelId: conversation.channelId,
        ticketNumber: conversation.ticketNumber,
        target: event.target,
        dueAt: event.dueAt,
        at: event.at,
      };
      try {
        await deps.events.publish(message);
      } catch (error) {
        await deps.schedule.unmarkPublished(conversation.conversationId, event.key, event.at);
        throw error;
      }
      published.push(message);
    }
  }
  return { published, skipped, read: due.length };
}
