import { z } from '@hono/zod-openapi';
import { route } from '../roles.ts';
import { deleteCalendar, listCalendars, putCalendar, readCalendar, type CalendarEntry } from '../../core/admin/calendar-admin.ts';
import { CalendarIdSchema, CalendarSchema } from '../../core/sla/calendar.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, ETAG_HEADER, etagOf, IfMatchHeaderSchema, json, jsonBody, optionalVersion, PageQuerySchema, pageOf, VersionFields } from '../http.ts';

const tags = ['calendars'];
const Params = z.object({ calendarId: CalendarIdSchema });

const CalendarInputSchema = CalendarSchema.meta({
  id: 'CalendarInput',
  description:
    'Business hours per weekday (`mon`…`sun`, each a list of `["HH:MM", "HH:MM"]` ranges, start before end, no overlaps, `24:00` as an end), in an IANA time zone, and holidays (`YYYY-MM-DD` local dates).',
});
const CalendarOutSchema = CalendarSchema.extend({
  id: z.string(),
  builtIn: z.boolean().meta({ description: 'The built-in `always` (24/7): read-only.' }),
  ...VersionFields,
}).meta({ id: 'Calendar' });
const CalendarPageSchema = pageOf(CalendarOutSchema, 'CalendarPage');

const PUT =
  'Validated whole: an IANA time zone (`Europe/Berlin`, `UTC`), ranges `["HH:MM", "HH:MM"]` with the start before the end and no overlaps within a day ' +
  '(`24:00` only as an end; a night shift is two ranges on two days), `YYYY-MM-DD` holidays (at most 500), at least one range in the week. ' +
  'Creates the calendar, or replaces it (at the version `If-Match` names, when given). `always` is built in: 409. ' +
  'Running SLA clocks keep their due times; a resume after this counts in the new hours.';

const out = (entry: CalendarEntry) => ({
  ...entry.value,
  id: entry.id,
  builtIn: entry.builtIn,
  version: entry.version,
  updatedAt: entry.updatedAt,
  managedBy: entry.managedBy,
});

/** Business calendars of the SLA clocks (`docs/sla.md`): agents read them, admins change them. */
export function calendarRoutes(app: AdminApp, deps: AdminApiDeps): void {
  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'get',
        path: '/calendars',
        tags,
        summary: 'List business calendars (the built-in `always` first)',
        request: { query: PageQuerySchema },
        responses: { 200: json(CalendarPageSchema, 'A page of calendars'), ...ERRORS },
      },
    ),
    async (c) => {
      const page = await listCalendars(deps, c.req.valid('query'));
      return c.json({ items: page.items.map(out), cursor: page.cursor }, 200);
    },
  );

  app.openapi(
    route(
      { role: 'agent' },
      {
        method: 'get',
        path: '/calendars/{calendarId}',
        tags,
        summary: 'Read a business calendar',
        request: { params: Params },
        responses: { 200: json(CalendarOutSchema, 'The calendar'), ...ERRORS },
      },
    ),
    async (c) => {
      const entry = await readCalendar(deps, c.req.valid('param').calendarId);
      return c.json(out(entry), 200, { [ETAG_HEADER]: etagOf(entry.version) });
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'put',
        path: '/calendars/{calendarId}',
        tags,
        summary: 'Create or replace a business calendar',
        description: PUT,
        request: { params: Params, headers: IfMatchHeaderSchema, ...jsonBody(CalendarInputSchema) },
        responses: { 200: json(CalendarOutSchema, 'The calendar'), ...ERRORS },
      },
    ),
    async (c) => {
      const entry = await putCalendar(deps, adminRequest(c), c.req.valid('param').calendarId, c.req.valid('json'), optionalVersion(c.req.header('if-match')));
      return c.json(out(entry), 200, { [ETAG_HEADER]: etagOf(entry.version) });
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'delete',
        path: '/calendars/{calendarId}',
        tags,
        summary: "Delete a business calendar; refused (409) for `always` and while a channel's or the account's SLA names it",
        request: { params: Params, headers: IfMatchHeaderSchema },
        responses: { 204: { description: 'Deleted' }, ...ERRORS },
      },
    ),
    async (c) => {
      await deleteCalendar(deps, adminRequest(c), c.req.valid('param').calendarId, optionalVersion(c.req.header('if-match')));
      return c.body(null, 204);
    },
  );
}
