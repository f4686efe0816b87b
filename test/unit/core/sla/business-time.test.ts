import { describe, expect, it } from 'vitest';
import { addBusinessMinutes, businessMinutesBetween, instantOf, MAX_SEARCH_DAYS } from '../../../../functions/core/sla/business-time.ts';
import { ALWAYS_CALENDAR, CalendarSchema, type Calendar, type CalendarInput } from '../../../../functions/core/sla/calendar.ts';
import { ConfigError } from '../../../../functions/core/errors.ts';

const NINE_TO_FIVE: [string, string][] = [['09:00', '17:00']];
const weekdays = (ranges: [string, string][]) => ({ mon: ranges, tue: ranges, wed: ranges, thu: ranges, fri: ranges });
const calendar = (input: CalendarInput): Calendar => CalendarSchema.parse(input);
const at = (iso: string) => new Date(iso);
const iso = (d: Date) => d.toISOString();

describe('addBusinessMinutes', () => {
  it('counts every minute in the always calendar', () => {
    // Arrange
    const start = at('2026-03-29T00:30:00Z');

    // Act
    const due = addBusinessMinutes(start, 90, ALWAYS_CALENDAR);

    // Assert
    expect(iso(due)).toBe('2026-03-29T02:00:00.000Z');
  });

  it('carries over the night and the weekend in Berlin', () => {
    // Arrange: Friday 2026-01-16 16:30 CET (15:30Z), 8 business hours
    const berlin = calendar({ timeZone: 'Europe/Berlin', hours: weekdays(NINE_TO_FIVE) });

    // Act
    const due = addBusinessMinutes(at('2026-01-16T15:30:00Z'), 8 * 60, berlin);

    // Assert: 30 minutes on Friday, 7.5 hours on Monday: Monday 16:30 CET
    expect(iso(due)).toBe('2026-01-19T15:30:00.000Z');
  });

  it('starts before opening at opening time', () => {
    const berlin = calendar({ timeZone: 'Europe/Berlin', hours: weekdays(NINE_TO_FIVE) });
    expect(iso(addBusinessMinutes(at('2026-01-14T05:00:00Z'), 60, berlin))).toBe('2026-01-14T09:00:00.000Z');
  });

  it('skips a holiday on a weekday', () => {
    // Arrange: Thursday 2026-12-24 16:00 CET, the 25th is a holiday (a Friday)
    const berlin = calendar({ timeZone: 'Europe/Berlin', hours: weekdays(NINE_TO_FIVE), holidays: ['2026-12-25'] });

    // Act
    const due = addBusinessMinutes(at('2026-12-24T15:00:00Z'), 120, berlin);

    // Assert: one hour on the 24th, then Monday the 28th 10:00 CET
    expect(iso(due)).toBe('2026-12-28T09:00:00.000Z');
  });

  it('counts 7 real hours on the spring-forward day in Berlin and ends on the summer offset', () => {
    // Arrange: Sunday 2026-03-29 the clocks skip 02:00–03:00; open 00:00–10:00 that day
    const berlin = calendar({ timeZone: 'Europe/Berlin', hours: { sun: [['00:00', '10:00']], mon: NINE_TO_FIVE } });

    // Act: from local midnight (23:00Z on the 28th), 10 business hours
    const due = addBusinessMinutes(at('2026-03-28T23:00:00Z'), 10 * 60, berlin);

    // Assert: the day had 9 real hours (00:00–10:00 with one skipped), the tenth is Monday 09:00–10:00 CEST
    expect(businessMinutesBetween(at('2026-03-28T23:00:00Z'), at('2026-03-29T08:00:00Z'), berlin)).toBe(9 * 60);
    expect(iso(due)).toBe('2026-03-30T08:00:00.000Z');
  });

  it('counts 11 real hours on the autumn day in Berlin (02:00–03:00 happens twice)', () => {
    const berlin = calendar({ timeZone: 'Europe/Berlin', hours: { sun: [['00:00', '10:00']] } });
    // 2026-10-25 local midnight is 22:00Z on the 24th (CEST), 10:00 local is 09:00Z (CET)
    expect(businessMinutesBetween(at('2026-10-24T22:00:00Z'), at('2026-10-25T12:00:00Z'), berlin)).toBe(11 * 60);
  });

  it('keeps 09:00 local across the New York change: the same business day is due an hour earlier in UTC', () => {
    // Arrange: Friday 2026-03-06 16:00 EST (21:00Z); clocks go forward on Sunday the 8th
    const newYork = calendar({ timeZone: 'America/New_York', hours: weekdays(NINE_TO_FIVE) });

    // Act
    const due = addBusinessMinutes(at('2026-03-06T21:00:00Z'), 120, newYork);

    // Assert: 1 hour Friday, 1 hour Monday: 10:00 EDT = 14:00Z
    expect(iso(due)).toBe('2026-03-09T14:00:00.000Z');
  });

  it('handles the southern hemisphere: Sydney leaves summer time in April', () => {
    // Arrange: Friday 2026-04-03 16:00 AEDT (05:00Z); Sunday the 5th 03:00 becomes 02:00 AEST
    const sydney = calendar({ timeZone: 'Australia/Sydney', hours: weekdays(NINE_TO_FIVE) });

    // Act
    const due = addBusinessMinutes(at('2026-04-03T05:00:00Z'), 120, sydney);

    // Assert: Monday 10:00 AEST = 00:00Z
    expect(iso(due)).toBe('2026-04-06T00:00:00.000Z');
  });

  it('handles a half-hour zone without DST (Kolkata)', () => {
    const kolkata = calendar({ timeZone: 'Asia/Kolkata', hours: weekdays(NINE_TO_FIVE) });
    // Monday 2026-06-01 08:00 IST = 02:30Z: opening 09:00 IST = 03:30Z, plus 30 minutes
    expect(iso(addBusinessMinutes(at('2026-06-01T02:30:00Z'), 30, kolkata))).toBe('2026-06-01T04:00:00.000Z');
  });

  it('counts overnight hours split over two days', () => {
    // Arrange: a night shift Monday 22:00 to Tuesday 06:00, UTC
    const night = calendar({ timeZone: 'UTC', hours: { mon: [['22:00', '24:00']], tue: [['00:00', '06:00']] } });

    // Act
    const due = addBusinessMinutes(at('2026-06-01T23:00:00Z'), 180, night);

    // Assert: 1 hour to midnight, 2 more on Tuesday
    expect(iso(due)).toBe('2026-06-02T02:00:00.000Z');
  });

  it('uses several ranges a day and skips the lunch break', () => {
    const lunch = calendar({
      timeZone: 'Europe/Paris',
      hours: weekdays([
        ['08:00', '12:00'],
        ['13:00', '17:00'],
      ]),
    });
    // Wednesday 2026-01-14 11:30 CET (10:30Z) + 60: 30 before lunch, 30 after: 13:30 CET
    expect(iso(addBusinessMinutes(at('2026-01-14T10:30:00Z'), 60, lunch))).toBe('2026-01-14T12:30:00.000Z');
  });

  it('gives different due times for the same instant in calendars of several zones', () => {
    // Arrange: Tuesday 2026-01-13 12:00Z is 13:00 in Berlin, 07:00 in New York, 21:00 in Tokyo
    const start = at('2026-01-13T12:00:00Z');
    const zones = { 'Europe/Berlin': '2026-01-13T13:00:00.000Z', 'America/New_York': '2026-01-13T15:00:00.000Z', 'Asia/Tokyo': '2026-01-14T01:00:00.000Z' };

    // Act / Assert: 60 business minutes in each
    for (const [timeZone, expected] of Object.entries(zones)) {
      expect(iso(addBusinessMinutes(start, 60, calendar({ timeZone, hours: weekdays(NINE_TO_FIVE) }))), timeZone).toBe(expected);
    }
  });

  it('ends a target that uses up the day at closing time, not at the next opening', () => {
    const utc = calendar({ timeZone: 'UTC', hours: weekdays(NINE_TO_FIVE) });
    expect(iso(addBusinessMinutes(at('2026-01-14T09:00:00Z'), 480, utc))).toBe('2026-01-14T17:00:00.000Z');
  });

  it('stops with a ConfigError when the calendar cannot reach the target', () => {
    // Arrange: one minute a week
    const sparse = calendar({ timeZone: 'UTC', hours: { mon: [['09:00', '09:01']] } });

    // Act / Assert
    expect(() => addBusinessMinutes(at('2026-01-14T09:00:00Z'), MAX_SEARCH_DAYS, sparse)).toThrow(ConfigError);
  });
});

describe('businessMinutesBetween', () => {
  it('counts only business hours over a weekend with a holiday', () => {
    // Arrange: Thursday 2026-12-24 10:00 to Tuesday 12-29 10:00 UTC; the 25th is a holiday
    const utc = calendar({ timeZone: 'UTC', hours: weekdays(NINE_TO_FIVE), holidays: ['2026-12-25'] });

    // Act
    const minutes = businessMinutesBetween(at('2026-12-24T10:00:00Z'), at('2026-12-29T10:00:00Z'), utc);

    // Assert: Thu 7h, Mon 8h, Tue 1h
    expect(minutes).toBe(16 * 60);
  });

  it('is 0 for an empty or reversed span and inverts addBusinessMinutes', () => {
    const berlin = calendar({ timeZone: 'Europe/Berlin', hours: weekdays(NINE_TO_FIVE) });
    const start = at('2026-03-27T14:17:00Z');
    expect(businessMinutesBetween(start, start, berlin)).toBe(0);
    expect(businessMinutesBetween(start, at('2026-03-20T00:00:00Z'), berlin)).toBe(0);
    expect(businessMinutesBetween(start, addBusinessMinutes(start, 1234, berlin), berlin)).toBe(1234);
  });
});

describe('instantOf', () => {
  it('reads a skipped wall time as after the gap and an ambiguous one as the first', () => {
    // 2026-03-29 02:30 does not exist in Berlin; 2026-10-25 02:30 exists twice
    expect(iso(new Date(instantOf(Date.UTC(2026, 2, 29, 2, 30), 'Europe/Berlin')))).toBe('2026-03-29T01:30:00.000Z');
    expect(iso(new Date(instantOf(Date.UTC(2026, 9, 25, 2, 30), 'Europe/Berlin')))).toBe('2026-10-25T00:30:00.000Z');
  });
});

describe('CalendarSchema', () => {
  it.each([
    [{ timeZone: 'Mars/Olympus', hours: weekdays(NINE_TO_FIVE) }, 'timeZone'],
    [{ timeZone: 'UTC', hours: { mon: [['17:00', '09:00']] } }, 'hours.mon.0'],
    [
      {
        timeZone: 'UTC',
        hours: {
          mon: [
            ['09:00', '12:00'],
            ['11:00', '13:00'],
          ],
        },
      },
      'hours.mon.1',
    ],
    [{ timeZone: 'UTC', hours: { mon: [['9:00', '12:00']] } }, 'hours.mon.0.0'],
    [{ timeZone: 'UTC', hours: { mon: [['24:00', '24:00']] } }, 'hours.mon.0'],
    [{ timeZone: 'UTC', hours: {} }, 'hours'],
    [{ timeZone: 'UTC', hours: { funday: NINE_TO_FIVE } }, 'hours'],
    [{ timeZone: 'UTC', hours: weekdays(NINE_TO_FIVE), holidays: ['2026-02-30'] }, 'holidays.0'],
    [{ timeZone: 'UTC', hours: weekdays(NINE_TO_FIVE), holidays: Array.from({ length: 501 }, () => '2026-01-01') }, 'holidays'],
  ])('refuses bad calendar #%#', (input, path) => {
    const result = CalendarSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toContain(path);
  });

  it('accepts 24:00 as an end and sorts and de-duplicates holidays', () => {
    const parsed = CalendarSchema.parse({
      timeZone: 'Asia/Kolkata',
      hours: { sat: [['18:00', '24:00']] },
      holidays: ['2026-12-25', '2026-01-01', '2026-12-25'],
    });
    expect(parsed.holidays).toEqual(['2026-01-01', '2026-12-25']);
  });
});
