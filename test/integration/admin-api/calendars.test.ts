import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';

let h: AdminHarness;
beforeAll(async () => {
  h = await startAdminHarness();
});
afterAll(async () => h.stop());

type Body = { error?: { code: string; message: string; issues: { field: string; problem: string }[] }; [key: string]: unknown };
const answer = async (res: Response) => ({ status: res.status, body: (await res.json().catch(() => ({}))) as Body });
const BERLIN = {
  timeZone: 'Europe/Berlin',
  hours: {
    mon: [['09:00', '17:00']],
    tue: [
      ['09:00', '12:00'],
      ['13:00', '17:00'],
    ],
  },
  holidays: ['2026-12-25'],
};

describe('calendars', () => {
  it('lets an admin create, replace, read, list and delete a calendar, and agents read it', async () => {
    // Act
    const created = await answer(await h.call('PUT', '/calendars/berlin', { body: BERLIN }));
    const replaced = await answer(await h.call('PUT', '/calendars/berlin', { body: { ...BERLIN, holidays: ['2026-12-24', '2026-12-25'] } }));
    const read = await answer(await h.as('agent-1', 'GET', '/calendars/berlin'));
    const listed = await answer(await h.as('agent-1', 'GET', '/calendars'));
    const deleted = await h.call('DELETE', '/calendars/berlin');
    const gone = await answer(await h.call('GET', '/calendars/berlin'));
    // Assert
    expect(created).toMatchObject({ status: 200, body: { id: 'berlin', version: 1, builtIn: false, timeZone: 'Europe/Berlin' } });
    expect(replaced.body).toMatchObject({ version: 2, holidays: ['2026-12-24', '2026-12-25'] });
    expect(read.body).toMatchObject({ id: 'berlin', hours: BERLIN.hours });
    expect((listed.body.items as { id: string }[]).map((c) => c.id)).toEqual(['always', 'berlin']);
    expect(deleted.status).toBe(204);
    expect(gone.status).toBe(404);
  });

  it('keeps changes to admins', async () => {
    const agent = await h.as('agent-1', 'PUT', '/calendars/mine', { body: BERLIN });
    const supervisor = await h.as('supervisor-1', 'DELETE', '/calendars/always');
    expect(agent.status).toBe(403);
    expect(supervisor.status).toBe(403);
  });

  it('shows the built-in always calendar and refuses to change or delete it (409)', async () => {
    const read = await answer(await h.call('GET', '/calendars/always'));
    const put = await answer(await h.call('PUT', '/calendars/always', { body: BERLIN }));
    const del = await answer(await h.call('DELETE', '/calendars/always'));
    expect(read.body).toMatchObject({ id: 'always', builtIn: true, timeZone: 'UTC', hours: { sun: [['00:00', '24:00']] } });
    expect(put).toMatchObject({ status: 409, body: { error: { code: 'conflict', message: expect.stringContaining('built in') } } });
    expect(del.status).toBe(409);
  });

  it.each([
    [{ ...BERLIN, timeZone: 'Europe/Atlantis' }, 'timeZone'],
    [{ ...BERLIN, hours: { mon: [['17:00', '09:00']] } }, 'hours.mon[0]'],
    [
      {
        ...BERLIN,
        hours: {
          mon: [
            ['09:00', '13:00'],
            ['12:00', '17:00'],
          ],
        },
      },
      'hours.mon[1]',
    ],
    [{ ...BERLIN, hours: { mon: [['09:00', '25:00']] } }, 'hours.mon[0][1]'],
    [{ ...BERLIN, holidays: ['25.12.2026'] }, 'holidays[0]'],
    [{ ...BERLIN, hours: {} }, 'hours'],
  ])('refuses a bad calendar with a 400 naming the field (%#)', async (body, field) => {
    const res = await answer(await h.call('PUT', '/calendars/bad', { body }));
    expect(res.status).toBe(400);
    expect(res.body.error?.issues.map((i) => i.field)).toContain(field);
  });

  it('refuses a channel SLA naming an unknown calendar, and deleting a calendar a channel uses (409 naming the channel)', async () => {
    // Arrange
    await h.call('PUT', '/calendars/support-hours', { body: BERLIN });
    // Act
    const unknown = await answer(
      await h.call('PATCH', '/channels/support', { body: { sla: { firstResponseMinutes: 60, calendar: 'nowhere' } }, headers: { 'if-match': '"1"' } }),
    );
    const badSla = await answer(await h.call('PATCH', '/channels/support', { body: { sla: { calendar: 'always' } }, headers: { 'if-match': '"1"' } }));
    const set = await answer(
      await h.call('PATCH', '/channels/support', {
        body: { sla: { firstResponseMinutes: 60, solutionMinutes: 960, calendar: 'support-hours' } },
        headers: { 'if-match': '"1"' },
      }),
    );
    const inUse = await answer(await h.call('DELETE', '/calendars/support-hours'));
    // Assert
    expect(unknown.status).toBe(400);
    expect(unknown.body.error?.issues.map((i) => i.field)).toContain('sla.calendar');
    expect(badSla.status).toBe(400);
    expect(badSla.body.error?.message).toContain('sla');
    expect(set).toMatchObject({
      status: 200,
      body: { sla: { firstResponseMinutes: 60, solutionMinutes: 960, calendar: 'support-hours', warningPercent: 80 } },
    });
    expect(inUse).toMatchObject({ status: 409, body: { error: { message: expect.stringContaining('channel support (sla.calendar)') } } });
  });
});
