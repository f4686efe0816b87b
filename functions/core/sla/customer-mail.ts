import type { ChannelSettings } from '../model/channel.ts';
import type { Lane } from '../model/classification.ts';
import { type ConversationRef, TAG_EXTERNAL_PARTY } from '../model/conversation.ts';
import { STRANGER_FLAGS } from '../mail/participants.ts';
import { ALWAYS_CALENDAR } from './calendar.ts';
import { freshState, nextEventAt, resumeSla, startSla, type SlaRecord } from './sla-clock.ts';
import type { SlaPolicies } from './sla-policies.ts';
import type { SlaStateStore } from './ports.ts';

/** Tries of the conditional write before the conversation is left as it is (another writer keeps moving it). */
const MAX_TRIES = 3;

/**
 * True when a mail is the customer's own answer: a person's mail (lane `human`; never an automatic
 * reply, out-of-office, bounce or bulk mail), not imported, and not from someone who used a
 * ticket number or reply token they were never given, nor an external party answering a forward.
 */
export function isCustomerAnswer(lane: Lane, tags: readonly string[], imported: boolean): boolean {
  return lane === 'human' && !imported && !tags.some((t) => STRANGER_FLAGS.includes(t) || t === TAG_EXTERNAL_PARTY);
}

/** The clocks a new conversation opened by a person's mail starts with, or null without an SLA. */
export async function slaStart(
  policies: SlaPolicies,
  channel: ChannelSettings,
  at: string,
): Promise<{ readonly record: SlaRecord; readonly next: string | null } | null> {
  const policy = await policies.forChannel(channel);
  if (!policy) return null;
  const record = startSla(policy, at);
  return { record, next: nextEventAt(freshState(record, 1)) };
}

/**
 * The customer's mail joined `conversation` at `at`: clocks that stand (the conversation waited on
 * the customer, or was closed) run again, pushed by the business time that passed; a conversation
 * without clocks on a channel with an SLA starts them (one an agent opened, or one from before
 * the SLA). One conditional write, only when something changes; a conversation whose state moved
 * on meanwhile is read again.
 */
export async function slaOnCustomerMail(
  deps: { readonly store: SlaStateStore; readonly policies: SlaPolicies },
  channel: ChannelSettings,
  conversation: ConversationRef,
  at: string,
): Promise<ConversationRef> {
  let current = conversation;
  for (let attempt = 0; attempt < MAX_TRIES; attempt++) {
    const state = current.sla;
    if (current.status !== 'open' || (state && state.pausedSince === null)) return current;
    let record: SlaRecord;
    let next: string | null;
    if (!state) {
      const start = await slaStart(deps.policies, channel, at);
      if (!start) return current;
      ({ record, next } = start);
    } else {
      // A calendar deleted since the clocks started: the rest is counted around the clock.
      const calendar = (await deps.policies.calendar(state.calendar)) ?? ALWAYS_CALENDAR;
      record = resumeSla(state, calendar, at);
      next = nextEventAt({ ...state, ...record, pausedSince: null });
    }
    const written = await deps.store.writeSla(current.id, state ? state.rev : null, record, next);
    if (written) return written;
    const reread = (await deps.store.getConversations([current.id])).get(current.id);
    if (!reread) return current;
    current = reread;
  }
  return current;
}
