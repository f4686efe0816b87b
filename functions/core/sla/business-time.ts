import { ConfigError } from '../errors.ts';
import { type Calendar, minutesOf, WEEKDAYS } from './calendar.ts';

/*
 * Business-hours arithmetic in a calendar's time zone, with holidays, on the runtime's own time
 * zone data (Intl/ICU): no date library. Business hours are wall-clock ranges of a local day; on a
 * day the clocks change, a range counts the real time that passes between its start and its end:
 * 09:00–17:00 is 7 hours on a spring-forward day that skips an hour inside it, 9 on the autumn
 * one. A wall time the clocks skip is moved forward by the length of the gap (02:30 on a day that
 * skips 02:00–03:00 is 03:30), an ambiguous one is its first occurrence (Temporal's `compatible`).
 */

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * Local days a search walks at most (five years): a target that far away in business time is a
 * configuration no contact center means (the longest target, a year of minutes, takes about 4.2
 * years of 40-hour weeks), and the loop must end soon for any calendar: about 0.1 s at worst.
 */
export const MAX_SEARCH_DAYS = 1830;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let found = formatters.get(timeZone);
  if (!found) {
    found = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(timeZone, found);
  }
  return found;
}

/** The local wall time of an instant in a zone, as epoch milliseconds read as if they were UTC. */
function wallClock(instant: number, timeZone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return Date.UTC(parts.year ?? 1970, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0);
}

/** The zone's offset from UTC at an instant, in milliseconds (east positive). */
function offsetAt(instant: number, timeZone: string): number {
  const whole = Math.floor(instant / 1000) * 1000;
  return wallClock(whole, timeZone) - whole;
}

/**
 * The instant a local wall time (`local`: epoch ms read as UTC) names in a zone. The offsets a day
 * before and after are the candidates (no zone changes its clocks twice within two days); of the
 * instants that show this wall time the first is taken, and a skipped wall time moves past the gap.
 */
export function instantOf(local: number, timeZone: string): number {
  const offsets = [...new Set([offsetAt(local - DAY_MS, timeZone), offsetAt(local + DAY_MS, timeZone), offsetAt(local, timeZone)])];
  const valid = offsets.map((o) => local - o).filter((t) => offsetAt(t, timeZone) === local - t);
  if (valid.length > 0) return Math.min(...valid);
  // In a gap the clocks went forward: the offset before it is the smaller one.
  return local - Math.min(...offsets);
}

/** The local date (epoch ms of its midnight, read as UTC) an instant falls on in a zone. */
function localDate(instant: number, timeZone: string): number {
  const wall = wallClock(instant, timeZone);
  return wall - (((wall % DAY_MS) + DAY_MS) % DAY_MS);
}

const holidaySets = new WeakMap<Calendar, ReadonlySet<string>>();

function holidaysOf(calendar: Calendar): ReadonlySet<string> {
  let found = holidaySets.get(calendar);
  if (!found) {
    found = new Set(calendar.holidays);
    holidaySets.set(calendar, found);
  }
  return found;
}

/**
 * The business intervals `[start, end)` of one local date, as instants, in order. A day whose
 * offset is the same at its start and its end (every day but the two a year the clocks change)
 * maps wall times with that one offset: two zone lookups a day, whatever the number of ranges.
 */
function dayIntervals(date: number, calendar: Calendar): [number, number][] {
  const iso = new Date(date).toISOString().slice(0, 10);
  if (holidaysOf(calendar).has(iso)) return [];
  const ranges = calendar.hours[WEEKDAYS[new Date(date).getUTCDay()] ?? 'sun'] ?? [];
  if (ranges.length === 0) return [];
  const zone = calendar.timeZone;
  // The local day's instants lie within 15 hours of its UTC reading (no zone is further from UTC),
  // and no zone changes its clocks twice within these 54 hours: equal offsets at both ends, none in between.
  const early = offsetAt(date - 15 * HOUR_MS, zone);
  const steady = early === offsetAt(date + DAY_MS + 15 * HOUR_MS, zone);
  const instant = steady ? (local: number) => local - early : (local: number) => instantOf(local, zone);
  return ranges
    .map(([s, e]): [number, number] => [instant(date + minutesOf(s) * MINUTE_MS), instant(date + minutesOf(e) * MINUTE_MS)])
    .filter(([s, e]) => e > s)
    .sort((a, b) => a[0] - b[0]);
}

/** True for a calendar in which every moment counts (the built-in `always`, or one like it). */
export function isAlwaysOpen(calendar: Calendar): boolean {
  return (
    calendar.holidays.length === 0 &&
    WEEKDAYS.every((d) => {
      const ranges = calendar.hours[d] ?? [];
      return ranges.length === 1 && ranges[0]?.[0] === '00:00' && ranges[0]?.[1] === '24:00';
    })
  );
}

/**
 * The instant `minutes` business minutes after `start` in the calendar (fractions allowed): the
 * moment the last of them is used, so a target met exactly at the end of business hours is due
 * then, not when they open again. `ConfigError` when the calendar has too few business hours to
 * get there within `MAX_SEARCH_DAYS`.
 */
export function addBusinessMinutes(start: Date, minutes: number, calendar: Calendar): Date {
  const from = start.getTime();
  let remaining = Math.max(0, minutes) * MINUTE_MS;
  if (remaining === 0) return new Date(from);
  if (isAlwaysOpen(calendar)) return new Date(from + remaining);
  // The day before too: a day's last range may end on the next local date (24:00), or a DST day be longer.
  let date = localDate(from, calendar.timeZone) - DAY_MS;
  for (let day = 0; day < MAX_SEARCH_DAYS; day++, date += DAY_MS) {
    for (const [s, e] of dayIntervals(date, calendar)) {
      const begin = Math.max(s, from);
      if (e <= begin) continue;
      if (e - begin >= remaining) return new Date(begin + remaining);
      remaining -= e - begin;
    }
  }
  throw new ConfigError(`the calendar has too few business hours to count ${minutes} minutes within ${MAX_SEARCH_DAYS} days`);
}

/**
 * Business minutes between two instants in the calendar (fractions included); 0 when `end` is not
 * after `start`. `ConfigError` for a span over `MAX_SEARCH_DAYS`.
 */
export function businessMinutesBetween(start: Date, end: Date, calendar: Calendar): number {
  const from = start.getTime();
  const to = end.getTime();
  if (to <= from) return 0;
  if (isAlwaysOpen(calendar)) return (to - from) / MINUTE_MS;
  if (to - from > MAX_SEARCH_DAYS * DAY_MS) throw new ConfigError(`a span over ${MAX_SEARCH_DAYS} days is not counted in business time`);
  let total = 0;
  const last = localDate(to, calendar.timeZone) + DAY_MS;
  for (let date = localDate(from, calendar.timeZone) - DAY_MS; date <= last; date += DAY_MS) {
    for (const [s, e] of dayIntervals(date, calendar)) {
      const overlap = Math.min(e, to) - Math.max(s, from);
      if (overlap > 0) total += overlap;
    }
  }
  return total / MINUTE_MS;
}
