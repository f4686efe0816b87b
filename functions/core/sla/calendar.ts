import { z } from 'zod';
import { IdSchema } from '../model/fields.ts';

/** The weekdays a calendar names, in the order `Date.getUTCDay()` counts them from Sunday. */
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Most ranges of business hours one day lists. */
export const MAX_RANGES_PER_DAY = 12;
/** Most holidays one calendar lists (about ten years of a country's public holidays). */
export const MAX_HOLIDAYS = 500;

/** The id of the built-in calendar: 24 hours a day, seven days a week, no holidays. */
export const ALWAYS_CALENDAR_ID = 'always';

/** `HH:MM` on a 24-hour clock, 00:00 to 23:59, or `24:00` (only as the end of a range). */
const TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;
/** `YYYY-MM-DD`. */
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Minutes after midnight of an `HH:MM` the schema accepted. */
export function minutesOf(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

/** True when the zone is one the runtime's ICU knows (an IANA name such as `Europe/Berlin`, or `UTC`). */
export function isTimeZone(zone: string): boolean {
  if (zone.length === 0 || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const TimeSchema = z.string().max(5).regex(TIME, 'a time "HH:MM" from 00:00 to 23:59, or 24:00 as an end');

/** One range of business hours, `[start, end]`, start before end; `24:00` ends at midnight. */
const RangeSchema = z
  .tuple([TimeSchema, TimeSchema])
  .refine(([start, end]) => start !== '24:00' && minutesOf(start) < minutesOf(end), 'a range is ["HH:MM", "HH:MM"] with the start before the end');

const DaySchema = z
  .array(RangeSchema)
  .max(MAX_RANGES_PER_DAY)
  .superRefine((ranges, ctx) => {
    const sorted = ranges.map(([s, e], i) => ({ s: minutesOf(s), e: minutesOf(e), i })).sort((a, b) => a.s - b.s);
    for (let k = 1; k < sorted.length; k++) {
      const previous = sorted[k - 1];
      const current = sorted[k];
      if (previous && current && current.s < previous.e) {
        ctx.addIssue({ code: 'custom', path: [current.i], message: `overlaps ${ranges[previous.i]?.join('-')}` });
      }
    }
  });

const HolidaySchema = z
  .string()
  .max(10)
  .regex(DATE, 'a date "YYYY-MM-DD"')
  .refine((d) => {
    // A text that is no `YYYY-MM-DD` is the pattern's to report.
    if (!DATE.test(d)) return true;
    const date = new Date(`${d}T00:00:00Z`);
    return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === d;
  }, 'not a calendar date');

/**
 * A business calendar: the time zone its hours are in, the hours of each weekday (a day left out
 * or empty has none), and holidays (local dates without business hours), a list the admin keeps.
 */
export const CalendarSchema = z
  .strictObject({
    timeZone: z.string().max(64).refine(isTimeZone, 'an IANA time zone such as Europe/Berlin (or UTC)'),
    hours: z
      .strictObject(Object.fromEntries(WEEKDAYS.map((d) => [d, DaySchema.optional()])) as Record<Weekday, z.ZodOptional<typeof DaySchema>>)
      .refine((h) => Object.values(h).some((ranges) => (ranges?.length ?? 0) > 0), 'at least one range of business hours in the week'),
    holidays: z
      .array(HolidaySchema)
      .max(MAX_HOLIDAYS)
      .default([])
      .transform((dates) => [...new Set(dates)].sort()),
  })
  .meta({ id: 'Calendar', description: 'Business hours in a time zone, with holidays.' });
export type Calendar = z.infer<typeof CalendarSchema>;
export type CalendarInput = z.input<typeof CalendarSchema>;

/** An id of a calendar: an id, `always` included (the built-in one). */
export const CalendarIdSchema = IdSchema;

/** A calendar as stored: with its id, so a list names each. */
export const StoredCalendarSchema = CalendarSchema.extend({ id: CalendarIdSchema });
export type StoredCalendar = z.infer<typeof StoredCalendarSchema>;

const ALL_DAY: [string, string][] = [['00:00', '24:00']];

/** The built-in calendar `always`: every minute counts. */
export const ALWAYS_CALENDAR: Calendar = {
  timeZone: 'UTC',
  hours: Object.fromEntries(WEEKDAYS.map((d) => [d, ALL_DAY])) as Calendar['hours'],
  holidays: [],
};
