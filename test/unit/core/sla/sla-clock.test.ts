import { describe, expect, it } from 'vitest';
import { ALWAYS_CALENDAR, CalendarSchema } from '../../../../functions/core/sla/calendar.ts';
import { checkSla } from '../../../../functions/core/sla/check-sla.ts';
import { isCustomerAnswer } from '../../../../functions/core/sla/customer-mail.ts';
import type { SlaDueConversation, SlaEvent, SlaSchedule } from '../../../../functions/core/sla/ports.ts';
import { eventsDue, freshState, nextEventAt, resumeSla, slaView, startSla, type SlaState } from '../../../../functions/core/sla/sla-clock.ts';
import { SlaSettingsSchema } from '../../../../functions/core/sla/sla-settings.ts';

const policy = (input: object, calendar = ALWAYS_CALENDAR) => ({ settings: SlaSettingsSchema.parse(input), calendar });
const started = (input: object, at = '2026-06-01T10:00:00.000Z'): SlaState => freshState(startSla(policy(input), at), 1);

describe('SLA clock', () => {
  it('starts both clocks with due and warning times in business time', () => {
    // Arrange: Monday 2026-06-01 16:00 in Berlin (14:00Z), 9–17 on weekdays
    const berlin = CalendarSchema.parse({ timeZone: 'Europe/Berlin', hours: { mon: [['09:00', '17:00']], tue: [['09:00', '17:00']] } });
    // Act
    const record = startSla(
      policy({ firstResponseMinutes: 120, solutionMinutes: 480, calendar: 'berlin', warningPercent: 75 }, berlin),
      '2026-06-01T14:00:00Z',
    );
    // Assert: 1 hour Monday, then Tuesday (09:00 CEST = 07:00Z)
    expect(record).toMatchObject({
      calendar: 'berlin',
      startedAt: '2026-06-01T14:00:00.000Z',
      firstResponseDueAt: '2026-06-02T08:00:00.000Z',
      firstResponseWarnAt: '2026-06-02T07:30:00.000Z',
      solutionDueAt: '2026-06-02T14:00:00.000Z',
      solutionWarnAt: '2026-06-02T12:00:00.000Z',
    });
  });

  it('has no due time for a target it does not set, and refuses settings without any target', () => {
    expect(started({ firstResponseMinutes: 1 })).toMatchObject({ solutionDueAt: null, solutionWarnAt: null });
    expect(SlaSettingsSchema.safeParse({ calendar: 'always' }).success).toBe(false);
    expect(SlaSettingsSchema.safeParse({ firstResponseMinutes: 0 }).success).toBe(false);
  });

  it('is ok, then warning past the warning share, then breached past due', () => {
    const state = started({ firstResponseMinutes: 60 });
    expect(slaView(state, '2026-06-01T10:30:00Z').state).toBe('ok');
    expect(slaView(state, '2026-06-01T10:50:00Z').state).toBe('warning');
    expect(slaView(state, '2026-06-01T11:00:01Z').state).toBe('breached');
  });

  it('meets the first response with the answer (ok forever after) and stays breached once answered late', () => {
    const state = started({ firstResponseMinutes: 60 });
    const inTime = { ...state, respondedAt: '2026-06-01T10:59:00.000Z', pausedSince: '2026-06-01T10:59:00.000Z' };
    const late = { ...state, respondedAt: '2026-06-01T11:01:00.000Z', pausedSince: '2026-06-01T11:01:00.000Z' };
    expect(slaView(inTime, '2026-06-09T00:00:00Z')).toEqual({
      firstResponseDueAt: '2026-06-01T11:00:00.000Z',
      solutionDueAt: null,
      state: 'ok',
      pausedSince: '2026-06-01T10:59:00.000Z',
    });
    expect(slaView(late, '2026-06-09T00:00:00Z').state).toBe('breached');
    expect(nextEventAt(inTime)).toBeNull();
  });

  it('pauses the solution clock while waiting on the customer and pushes the due time by the paused time', () => {
    // Arrange: 240 minutes; answered after 60, the customer writes 1000 minutes later
    const state = { ...started({ solutionMinutes: 240 }), respondedAt: '2026-06-01T11:00:00.000Z', pausedSince: '2026-06-01T11:00:00.000Z' };
    // Act
    const record = resumeSla(state, ALWAYS_CALENDAR, '2026-06-02T03:40:00.000Z');
    // Assert: 180 minutes left; warning at 80 % of 240 = 12 minutes after the 132 that remain before it
    expect(record).toMatchObject({ solutionDueAt: '2026-06-02T06:40:00.000Z', solutionWarnAt: '2026-06-02T05:52:00.000Z' });
    expect(slaView(state, '2026-06-05T00:00:00Z').state).toBe('ok');
  });

  it('keeps a due time that passed before the pause', () => {
    const state = { ...started({ solutionMinutes: 60 }), pausedSince: '2026-06-01T12:00:00.000Z' };
    expect(resumeSla(state, ALWAYS_CALENDAR, '2026-06-03T00:00:00.000Z').solutionDueAt).toBe('2026-06-01T11:00:00.000Z');
    expect(slaView(state, '2026-06-01T12:30:00Z').state).toBe('breached');
  });

  it('owes a warning then a breach; a breach that overtook its warning alone', () => {
    const state = started({ firstResponseMinutes: 60 });
    expect(eventsDue(state, '2026-06-01T10:48:00.000Z').map((e) => e.key)).toEqual(['firstResponse.warning']);
    expect(eventsDue(state, '2026-06-01T11:00:00.000Z').map((e) => e.key)).toEqual(['firstResponse.breach']);
    expect(nextEventAt({ ...state, events: ['firstResponse.warning'] })).toBe('2026-06-01T11:00:00.000Z');
    expect(nextEventAt({ ...state, events: ['firstResponse.breach'] })).toBeNull();
  });

  it("takes only a person's own mail for the customer's answer", () => {
    expect(isCustomerAnswer('human', [], false)).toBe(true);
    expect(isCustomerAnswer('out-of-office', [], false)).toBe(false);
    expect(isCustomerAnswer('auto-reply', [], false)).toBe(false);
    expect(isCustomerAnswer('bulk', [], false)).toBe(false);
    expect(isCustomerAnswer('human', ['ticket-number-from-non-participant'], false)).toBe(false);
    expect(isCustomerAnswer('human', [], true)).toBe(false);
  });
});

/** A schedule in memory with the store's conditional marks. */
class MemorySchedule implements SlaSchedule {
  constructor(public item: SlaDueConversation & { next: string | null }) {}
  async due(now: string): Promise<SlaDueConversation[]> {
    return this.item.next !== null && this.item.next <= now ? [this.item] : [];
  }
  async markPublished(_id: string, key: SlaState['events'][number], rev: number, next: string | null): Promise<boolean> {
    if (this.item.sla.rev !== rev || this.item.sla.events.includes(key)) return false;
    this.item = { ...this.item, sla: { ...this.item.sla, events: [...this.item.sla.events, key] }, next };
    return true;
  }
  async unmarkPublished(_id: string, key: SlaState['events'][number], at: string): Promise<void> {
    this.item = { ...this.item, sla: { ...this.item.sla, events: this.item.sla.events.filter((e) => e !== key) }, next: at };
  }
  async reschedule(_id: string, _rev: number, next: string | null): Promise<void> {
    this.item = { ...this.item, next };
  }
}

describe('checkSla', () => {
  const item = () => {
    const sla = started({ firstResponseMinutes: 60 });
    return { conversationId: 'c1', channelId: 'support', ticketNumber: '0000013', sla, next: nextEventAt(sla) };
  };
  const clock = (at: string) => ({ now: () => new Date(at) });

  it('publishes a due breach once, with what it is about', async () => {
    // Arrange
    const schedule = new MemorySchedule(item());
    const published: SlaEvent[] = [];
    const deps = { schedule, events: { publish: async (e: SlaEvent) => void published.push(e) }, clock: clock('2026-06-01T11:05:00Z') };
    // Act
    await checkSla(deps);
    await checkSla(deps);
    // Assert
    expect(published).toEqual([
      {
        type: 'sla.breach',
        conversationId: 'c1',
        channelId: 'support',
        ticketNumber: '0000013',
        target: 'firstResponse',
        dueAt: '2026-06-01T11:00:00.000Z',
        at: '2026-06-01T11:00:00.000Z',
      },
    ]);
    expect(schedule.item.next).toBeNull();
  });

  it('takes the mark back when publishing fails, so the next check publishes it', async () => {
    // Arrange
    const schedule = new MemorySchedule(item());
    let fail = true;
    const published: SlaEvent[] = [];
    const deps = {
      schedule,
      clock: clock('2026-06-01T10:50:00Z'),
      events: {
        publish: async (e: SlaEvent) => {
          if (fail) throw new Error('topic unavailable');
          published.push(e);
        },
      },
    };
    // Act
    await expect(checkSla(deps)).rejects.toThrow('topic unavailable');
    fail = false;
    await checkSla(deps);
    // Assert
    expect(published.map((e) => e.type)).toEqual(['sla.warning']);
    expect(schedule.item.next).toBe('2026-06-01T11:00:00.000Z');
  });
});
