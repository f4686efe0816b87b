import type { Clock } from '../core/ports/clock.ts';
import type { VersionedStore } from '../core/ports/admin.ts';
import type { Calendar } from '../core/sla/calendar.ts';
import type { CalendarLookup } from '../core/sla/ports.ts';

/**
 * Calendars for the SLA clocks, read through the calendar store and kept per container for
 * `cacheMs` (as channel settings are): the inbound path reads one only when a clock starts or
 * resumes, and a calendar changes rarely.
 */
export class CachedCalendarLookup implements CalendarLookup {
  private readonly cache = new Map<string, { readonly at: number; readonly calendar: Calendar | null }>();

  constructor(
    private readonly store: Pick<VersionedStore<Calendar>, 'get'>,
    private readonly options: { readonly clock: Clock; readonly cacheMs: number },
  ) {}

  async get(id: string): Promise<Calendar | null> {
    const now = this.options.clock.now().getTime();
    const hit = this.cache.get(id);
    if (hit && now - hit.at < this.options.cacheMs) return hit.calendar;
    const calendar = (await this.store.get(id))?.value ?? null;
    this.cache.set(id, { at: now, calendar });
    return calendar;
  }
}
