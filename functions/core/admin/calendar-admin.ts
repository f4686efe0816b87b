import { ConflictError, NotFoundError, type ValidationIssue } from '../errors.ts';
import type { ChannelResource } from '../model/admin-resources.ts';
import type { ChannelStore, Page, PageRequest, Versioned, VersionedStore } from '../ports/admin.ts';
import { ALWAYS_CALENDAR, ALWAYS_CALENDAR_ID, CalendarSchema, type Calendar, type StoredCalendar } from '../sla/calendar.ts';
import type { SlaSettings } from '../sla/sla-settings.ts';
import { parseOrThrow } from '../validation.ts';
import { changedFields, everything, recordChange, type AdminRequest, type AuditDeps } from './admin-context.ts';

export type CalendarStore = VersionedStore<StoredCalendar>;

export interface CalendarAdminDeps extends AuditDeps {
  readonly calendars: CalendarStore;
  readonly channels: ChannelStore;
  /** The account's default SLA (config `sla`): the calendar it names is not deleted. */
  readonly slaDefault?: SlaSettings | null | undefined;
}

/** A calendar as the API shows it: its id, whether it is the built-in one, its stored version. */
export type CalendarEntry = Versioned<Calendar> & { readonly id: string; readonly builtIn: boolean };

/** The built-in `always`: every minute counts; read-only. */
const ALWAYS_ENTRY: CalendarEntry = {
  id: ALWAYS_CALENDAR_ID,
  builtIn: true,
  value: ALWAYS_CALENDAR,
  version: 0,
  updatedAt: '1970-01-01T00:00:00.000Z',
  managedBy: 'config',
};

function refuseBuiltIn(id: string, what: string): void {
  if (id === ALWAYS_CALENDAR_ID) {
    throw new ConflictError(
      `calendar ${ALWAYS_CALENDAR_ID} is built in (24 hours, 7 days, no holidays) and cannot be ${what}; use another id for a calendar of your own`,
    );
  }
}

/** The calendars: `always` first (on the first page), then the stored ones by id. */
export async function listCalendars(deps: Pick<CalendarAdminDeps, 'calendars'>, page: PageRequest): Promise<Page<CalendarEntry>> {
  const stored = await deps.calendars.list(page.cursor ? page : { ...page, limit: Math.max(1, page.limit - 1) });
  const items = stored.items.map((c) => entryOf(c, c.value.id));
  return { items: page.cursor ? items : [ALWAYS_ENTRY, ...items], cursor: stored.cursor };
}

/** One calendar; `always` is built in. `NotFoundError` for an unknown id. */
export async function readCalendar(deps: Pick<CalendarAdminDeps, 'calendars'>, id: string): Promise<CalendarEntry> {
  if (id === ALWAYS_CALENDAR_ID) return ALWAYS_ENTRY;
  const stored = await deps.calendars.get(id);
  if (!stored) throw new NotFoundError(`calendar ${id} not found`);
  return entryOf(stored, id);
}

/**
 * Creates or replaces a calendar: at the version `If-Match` names when given (409 when it moved
 * on), else over whatever stands. Validated whole (`CalendarSchema`: a known time zone, `HH:MM`
 * ranges with the start first and no overlaps, `24:00` as an end, dates, bounded lists). Running
 * clocks keep the due times they have; the next resume counts in the new hours.
 */
export async function putCalendar(
  deps: CalendarAdminDeps,
  request: AdminRequest,
  id: string,
  input: unknown,
  expectedVersion: number | null,
): Promise<CalendarEntry> {
  refuseBuiltIn(id, 'changed');
  const calendar = parseOrThrow(CalendarSchema, input, 'calendar');
  const at = deps.clock.now().toISOString();
  const before = await deps.calendars.get(id);
  const version = expectedVersion ?? before?.version ?? null;
  const value: StoredCalendar = { ...calendar, id };
  const stored = version === null || !before ? await deps.calendars.create(id, value, at) : await deps.calendars.replace(id, value, version, at);
  await recordChange(deps, request, before ? 'calendar.update' : 'calendar.create', { type: 'calendar', id }, changedFields(before?.value ?? null, value));
  return entryOf(stored, id);
}

/** Deletes a calendar; refused (409) for `always`, and while a channel's or the account's SLA names it (each named). */
export async function deleteCalendar(deps: CalendarAdminDeps, request: AdminRequest, id: string, expectedVersion: number | null): Promise<void> {
  refuseBuiltIn(id, 'deleted');
  const stored = await deps.calendars.get(id);
  if (!stored) throw new NotFoundError(`calendar ${id} not found`);
  const users = (await everything((p) => deps.channels.list(p))).filter((c) => c.value.sla?.calendar === id).map((c) => `channel ${c.value.id} (sla.calendar)`);
  if (deps.slaDefault?.calendar === id) users.push('the account default (config sla.calendar)');
  if (users.length > 0) throw new ConflictError(`calendar ${id} is in use by ${users.join(', ')}: point them at another calendar first`);
  await deps.calendars.delete(id, expectedVersion ?? stored.version);
  await recordChange(deps, request, 'calendar.delete', { type: 'calendar', id });
}

/** What the channel schema cannot see: that the calendar its SLA names exists. */
export async function channelCalendarIssues(calendars: Pick<CalendarStore, 'get'> | undefined, channel: ChannelResource): Promise<ValidationIssue[]> {
  const id = channel.sla?.calendar;
  if (!calendars || id === undefined || id === ALWAYS_CALENDAR_ID || (await calendars.get(id))) return [];
  return [{ path: 'sla.calendar', message: `no calendar ${id}: create it first (PUT /calendars/${id}), or use ${ALWAYS_CALENDAR_ID}` }];
}

function entryOf(stored: Versioned<StoredCalendar>, id: string): CalendarEntry {
  const { id: _id, ...calendar } = stored.value;
  return { ...stored, value: calendar, id, builtIn: false };
}
