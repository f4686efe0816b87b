import { z } from 'zod';
import { addBusinessMinutes, businessMinutesBetween } from './business-time.ts';
import type { Calendar } from './calendar.ts';
import type { SlaSettings } from './sla-settings.ts';

/*
 * The SLA clocks of one conversation, as pure functions of its stored state (`docs/sla.md`):
 * - a person's new mail starts both clocks (`startSla`);
 * - an agent's answer meets the first response and pauses the solution clock: the conversation
 *   waits on the customer (written blind by the store, `pausedSince`);
 * - closing stops both clocks (`pausedSince` as well, with the status closed);
 * - the customer's next mail (a person's, never an automatic reply or out-of-office) resumes them:
 *   every target not yet met is due later by the business time that passed while paused (`resumeSla`).
 */

export const SLA_TARGETS = ['firstResponse', 'solution'] as const;
export type SlaTarget = (typeof SLA_TARGETS)[number];
export const SLA_EVENT_KINDS = ['warning', 'breach'] as const;
export type SlaEventKind = (typeof SLA_EVENT_KINDS)[number];
/** An event a check published, as kept on the conversation: `<target>.<kind>`. */
export type SlaEventKey = `${SlaTarget}.${SlaEventKind}`;

/** The due times of a conversation's SLA: computed with the calendar when a clock starts or resumes. */
export interface SlaRecord {
  readonly calendar: string;
  readonly firstResponseMinutes: number | null;
  readonly solutionMinutes: number | null;
  readonly warningPercent: number;
  readonly startedAt: string;
  readonly firstResponseDueAt: string | null;
  readonly firstResponseWarnAt: string | null;
  readonly solutionDueAt: string | null;
  readonly solutionWarnAt: string | null;
}

const Time = z.string().nullable();
/** The stored state, as read back (`SlaState`). */
export const SlaStateSchema = z.object({
  calendar: z.string(),
  firstResponseMinutes: z.number().nullable(),
  solutionMinutes: z.number().nullable(),
  warningPercent: z.number(),
  startedAt: z.string(),
  firstResponseDueAt: Time,
  firstResponseWarnAt: Time,
  solutionDueAt: Time,
  solutionWarnAt: Time,
  respondedAt: Time,
  pausedSince: Time,
  events: z.array(z.enum(['firstResponse.warning', 'firstResponse.breach', 'solution.warning', 'solution.breach'])),
  rev: z.number(),
});

/**
 * The whole SLA state of a conversation: the record, what an agent's answer and closing wrote
 * (`respondedAt`, `pausedSince`: since when the clocks stand, null while they run), the events
 * published, and the revision every write of the state but the check's moves on.
 */
export type SlaState = z.infer<typeof SlaStateSchema>;

export const SlaViewSchema = z
  .object({
    firstResponseDueAt: z.string().nullable().describe('When the first answer of an agent is due (ISO 8601); null without a first-response target.'),
    solutionDueAt: z.string().nullable().describe('When the conversation is due to be closed (ISO 8601); while paused, as it stood when the clock paused.'),
    state: z.enum(['ok', 'warning', 'breached']).describe('`breached` once a target was missed; `warning` while a running target is past its warning share.'),
    pausedSince: z.string().nullable().describe('Since when the clocks stand (waiting on the customer, or closed); null while they run.'),
  })
  .meta({ id: 'Sla', description: 'The SLA of a conversation; null when neither its channel nor the account sets one.' });
export type SlaView = z.infer<typeof SlaViewSchema>;

/** A resolved SLA: the settings that apply to a channel, with the calendar they name. */
export interface SlaPolicy {
  readonly settings: SlaSettings;
  readonly calendar: Calendar;
}

const iso = (d: Date) => d.toISOString();
/** One form of ISO time (`toISOString`), so stored times compare as strings. */
export const isoTime = (text: string): string => new Date(text).toISOString();

/** The due and warning times of a target of `minutes` counted from `from`, or nulls when the calendar cannot get there. */
function targetTimes(from: Date, minutes: number | null, warningPercent: number, calendar: Calendar): { dueAt: string | null; warnAt: string | null } {
  if (minutes === null) return { dueAt: null, warnAt: null };
  try {
    return {
      dueAt: iso(addBusinessMinutes(from, minutes, calendar)),
      warnAt: iso(addBusinessMinutes(from, (minutes * warningPercent) / 100, calendar)),
    };
  } catch {
    // A calendar with too few hours for the target: no due time rather than a failed mail.
    return { dueAt: null, warnAt: null };
  }
}

/** Both clocks started at `at` (a person's new mail). */
export function startSla(policy: SlaPolicy, at: string): SlaRecord {
  const { settings, calendar } = policy;
  const from = new Date(at);
  const firstResponse = targetTimes(from, settings.firstResponseMinutes ?? null, settings.warningPercent, calendar);
  const solution = targetTimes(from, settings.solutionMinutes ?? null, settings.warningPercent, calendar);
  return {
    calendar: settings.calendar,
    firstResponseMinutes: settings.firstResponseMinutes ?? null,
    solutionMinutes: settings.solutionMinutes ?? null,
    warningPercent: settings.warningPercent,
    startedAt: isoTime(at),
    firstResponseDueAt: firstResponse.dueAt,
    firstResponseWarnAt: firstResponse.warnAt,
    solutionDueAt: solution.dueAt,
    solutionWarnAt: solution.warnAt,
  };
}

/**
 * The record after the customer's mail at `at` resumed paused clocks: each target not yet met
 * keeps the business time it had left when the clock paused (none once past due, which stays as
 * it was), counted from `at`; its warning comes when the warning share of the whole target has
 * passed, or at once when less than the rest is left. The calendar of the record is the one given.
 */
export function resumeSla(state: SlaState, calendar: Calendar, at: string): SlaRecord {
  if (state.pausedSince === null) return recordOf(state);
  const paused = new Date(state.pausedSince);
  const now = new Date(at);
  const shift = (minutes: number | null, dueAt: string | null, warnAt: string | null) => {
    if (minutes === null || dueAt === null || paused >= new Date(dueAt)) return { dueAt, warnAt };
    try {
      const left = businessMinutesBetween(paused, new Date(dueAt), calendar);
      const beforeWarning = left - (minutes * (100 - state.warningPercent)) / 100;
      return { dueAt: iso(addBusinessMinutes(now, left, calendar)), warnAt: iso(beforeWarning > 0 ? addBusinessMinutes(now, beforeWarning, calendar) : now) };
    } catch {
      return { dueAt, warnAt };
    }
  };
  const firstResponse = state.respondedAt === null ? shift(state.firstResponseMinutes, state.firstResponseDueAt, state.firstResponseWarnAt) : null;
  const solution = shift(state.solutionMinutes, state.solutionDueAt, state.solutionWarnAt);
  return {
    ...recordOf(state),
    ...(firstResponse ? { firstResponseDueAt: firstResponse.dueAt, firstResponseWarnAt: firstResponse.warnAt } : {}),
    solutionDueAt: solution.dueAt,
    solutionWarnAt: solution.warnAt,
  };
}

/** The record part of a state. */
export function recordOf(state: SlaState): SlaRecord {
  const { respondedAt: _r, pausedSince: _p, events: _e, rev: _v, ...record } = state;
  return record;
}

/** A target's clock runs: it has a due time, is not met, and the clocks do not stand. */
function running(state: SlaState, target: SlaTarget): boolean {
  if (state.pausedSince !== null) return false;
  if (target === 'firstResponse') return state.firstResponseDueAt !== null && state.respondedAt === null;
  return state.solutionDueAt !== null;
}

function timesOf(state: SlaState, target: SlaTarget): { dueAt: string | null; warnAt: string | null } {
  return target === 'firstResponse'
    ? { dueAt: state.firstResponseDueAt, warnAt: state.firstResponseWarnAt }
    : { dueAt: state.solutionDueAt, warnAt: state.solutionWarnAt };
}

/** An event the check owes: its target and kind, and the time it fell due. */
export interface SlaDueEvent {
  readonly target: SlaTarget;
  readonly kind: SlaEventKind;
  readonly key: SlaEventKey;
  readonly at: string;
  /** The target's due time (for a warning too). */
  readonly dueAt: string;
}

/**
 * The events a running clock owes, not yet published, in time order: a warning from its warning
 * time until the target is due (a warning the check reaches only after the due time is left out,
 * the breach says more), and the breach from the due time.
 */
export function owedEvents(state: SlaState): SlaDueEvent[] {
  const owed: SlaDueEvent[] = [];
  for (const target of SLA_TARGETS) {
    const { dueAt, warnAt } = timesOf(state, target);
    if (!running(state, target) || dueAt === null) continue;
    if (warnAt !== null && warnAt < dueAt && !state.events.includes(`${target}.warning`) && !state.events.includes(`${target}.breach`)) {
      owed.push({ target, kind: 'warning', key: `${target}.warning`, at: warnAt, dueAt });
    }
    if (!state.events.includes(`${target}.breach`)) owed.push({ target, kind: 'breach', key: `${target}.breach`, at: dueAt, dueAt });
  }
  return owed.sort((a, b) => a.at.localeCompare(b.at));
}

/** The events owed by `now`: a warning whose target is due by then too is left out. */
export function eventsDue(state: SlaState, now: string): SlaDueEvent[] {
  const due = owedEvents(state).filter((e) => e.at <= isoTime(now));
  return due.filter((e) => e.kind === 'breach' || !due.some((b) => b.kind === 'breach' && b.target === e.target));
}

/** When the next owed event falls due (the key the check finds it by), or null when none is owed. */
export function nextEventAt(state: SlaState): string | null {
  return owedEvents(state)[0]?.at ?? null;
}

/**
 * What the API and routed pointers show at `now`: the due times, `breached` once a target was
 * missed (answered or closed late, or past due while running), `warning` while a running target
 * is past its warning time, `ok` otherwise.
 */
export function slaView(state: SlaState, at: string): SlaView {
  const now = isoTime(at);
  const missed = (dueAt: string | null, metAt: string | null) => dueAt !== null && (metAt ?? now) > dueAt;
  const firstResponseMet = state.respondedAt ?? state.pausedSince;
  const breached =
    state.events.some((e) => e.endsWith('.breach')) || missed(state.firstResponseDueAt, firstResponseMet) || missed(state.solutionDueAt, state.pausedSince);
  const warning = SLA_TARGETS.some((t) => running(state, t) && (timesOf(state, t).warnAt ?? '\uffff') <= now);
  return {
    firstResponseDueAt: state.firstResponseDueAt,
    solutionDueAt: state.solutionDueAt,
    state: breached ? 'breached' : warning ? 'warning' : 'ok',
    pausedSince: state.pausedSince,
  };
}

/** A started state: no answer, not paused, nothing published. */
export function freshState(record: SlaRecord, rev: number): SlaState {
  return { ...record, respondedAt: null, pausedSince: null, events: [], rev };
}
