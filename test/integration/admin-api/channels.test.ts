import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';

let h: AdminHarness;

beforeAll(async () => {
  h = await startAdminHarness();
});
afterAll(async () => h.stop());

const newChannel = (id: string, address: string) => ({ id, address, name: `Channel ${id}`, defaultSkill: 'support' });

describe('channels', () => {
  it('refuses a request without or with a wrong token, and lists the seeded channels with one', async () => {
    // Act
    const none = await h.call('GET', '/channels', { token: null });
    const wrong = await h.call('GET', '/channels', { token: 'not-the-token' });
    const ok = await h.call('GET', '/channels');
    // Assert
    expect(none.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(await none.json()).toEqual({ error: { code: 'unauthorized', message: 'authorization required', issues: [] } });
    expect(ok.status).toBe(200);
    const body = (await ok.json()) as { items: { id: string; managedBy: string; version: number }[] };
    expect(body.items.map((c) => [c.id, c.managedBy, c.version])).toEqual([
      ['billing', 'config', 1],
      ['support', 'config', 1],
    ]);
  });

  it('creates a channel that receives at once (its receipt rule) and reads it back with its ETag', async () => {
    // Act
    const created = await h.call('POST', '/channels', { body: newChannel('sales', 'Sales@Example.com') });
    const read = await h.call('GET', '/channels/sales');
    // Assert
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(h.receipt.rules.get('sales')).toEqual(['sales@example.com']);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({
      id: 'sales',
      address: 'sales@example.com',
      defaultSkill: 'support',
      managedBy: 'api',
      version: 1,
      ticket: { digits: 7 },
    });
  });

  it('names each bad field and its problem', async () => {
    // Act
    const res = await h.call('POST', '/channels', { body: { id: 'x', address: 'not-an-address', maxMessageBytes: -1 } });
    // Assert
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; issues: { field: string; problem: string }[] } };
    expect(body.error.code).toBe('validation');
    expect(body.error.issues.map((i) => i.field).sort()).toEqual(['address', 'defaultSkill', 'maxMessageBytes']);
    expect(JSON.stringify(body)).not.toMatch(/stack|at .*\.ts/);
  });

  it('refuses unknown skills, foreign domains and an address another channel owns, by field', async () => {
    // Act
    const res = await h.call('POST', '/channels', { body: { id: 'bad', address: 'help@example.com', aliases: ['x@elsewhere.org'], defaultSkill: 'nope' } });
    // Assert
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { issues: { field: string; problem: string }[] } };
    expect(error.issues).toEqual(
      expect.arrayContaining([
        { field: 'defaultSkill', problem: 'no skill nope: create it first (POST /skills)' },
        { field: 'address', problem: 'help@example.com belongs to channel support' },
        expect.objectContaining({ field: 'aliases[0]', problem: expect.stringContaining('elsewhere.org is not a domain') }),
      ]),
    );
  });

  it('answers 409 for an id that exists, 404 for one that does not', async () => {
    // Act
    const again = await h.call('POST', '/channels', { body: newChannel('support', 'other@example.com') });
    const missing = await h.call('GET', '/channels/nope');
    // Assert
    expect(again.status).toBe(409);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not-found');
  });

  it('updates with If-Match, refuses a stale ETag with 409 and a missing one with 428', async () => {
    // Arrange
    await h.call('POST', '/channels', { body: newChannel('press', 'press@example.com') });
    // Act
    const patched = await h.call('PATCH', '/channels/press', {
      body: { name: 'Press office', aliases: ['media@example.com'] },
      headers: { 'if-match': '"1"' },
    });
    const receivingAfterPatch = h.receipt.rules.get('press');
    const stale = await h.call('PATCH', '/channels/press', { body: { name: 'Again' }, headers: { 'if-match': '"1"' } });
    const without = await h.call('PATCH', '/channels/press', { body: { name: 'Again' } });
    const otherId = await h.call('PUT', '/channels/press', {
      body: { ...newChannel('ignored', 'press@example.com'), name: 'Put' },
      headers: { 'if-match': '"2"' },
    });
    const put = await h.call('PUT', '/channels/press', { body: { ...newChannel('press', 'press@example.com'), name: 'Put' }, headers: { 'if-match': '"2"' } });
    // Assert
    expect(patched.status).toBe(200);
    expect(patched.headers.get('etag')).toBe('"2"');
    expect(receivingAfterPatch).toEqual(['press@example.com', 'media@example.com']);
    expect(h.receipt.rules.get('press')).toEqual(['press@example.com']);
    expect(stale.status).toBe(409);
    expect(otherId.status).toBe(400);
    expect(without.status).toBe(428);
    expect(((await without.json()) as { error: { issues: { field: string }[] } }).error.issues[0]?.field).toBe('If-Match');
    expect(put.status).toBe(200);
    expect(await put.json()).toMatchObject({ id: 'press', name: 'Put', aliases: [], version: 3 });
  });

  it('deletes with If-Match: the receipt rule goes, the channel is gone', async () => {
    // Arrange
    await h.call('POST', '/channels', { body: newChannel('temp', 'temp@example.com') });
    // Act
    const stale = await h.call('DELETE', '/channels/temp', { headers: { 'if-match': '"7"' } });
    const deleted = await h.call('DELETE', '/channels/temp', { headers: { 'if-match': '"1"' } });
    const after = await h.call('GET', '/channels/temp');
    // Assert
    expect(stale.status).toBe(409);
    expect(deleted.status).toBe(204);
    expect(h.receipt.rules.has('temp')).toBe(false);
    expect(after.status).toBe(404);
  });

  it('pages with a cursor and refuses a forged one', async () => {
    // Act
    const first = (await (await h.call('GET', '/channels?limit=2')).json()) as { items: { id: string }[]; cursor: string | null };
    const second = (await (await h.call('GET', `/channels?limit=2&cursor=${first.cursor}`)).json()) as { items: { id: string }[]; cursor: string | null };
    const forged = await h.call('GET', '/channels?cursor=bm90LWpzb24');
    const badLimit = await h.call('GET', '/channels?limit=1000');
    // Assert
    expect(first.items).toHaveLength(2);
    expect(first.cursor).not.toBeNull();
    expect(second.items.length).toBeGreaterThan(0);
    expect(second.items.map((c) => c.id)).not.toContain(first.items[0]?.id);
    expect(forged.status).toBe(400);
    expect(((await forged.json()) as { error: { issues: { field: string }[] } }).error.issues[0]?.field).toBe('cursor');
    expect(badLimit.status).toBe(400);
  });

  it('records every change in the audit log, with who and which fields', async () => {
    // Act
    const res = await h.call('GET', '/audit?limit=100');
    // Assert
    const { items } = (await res.json()) as { items: { action: string; actor: { kind: string; id: string }; resource: { id: string }; fields: string[] }[] };
    const press = items.filter((i) => i.resource.id === 'press').map((i) => i.action);
    expect(press).toEqual(['channel.update', 'channel.update', 'channel.create']);
    expect(items[0]?.actor).toEqual({ kind: 'token', id: 'admin', agentId: 'admin', role: 'admin' });
    expect(items.find((i) => i.action === 'channel.update' && i.fields.includes('aliases'))).toBeDefined();
  });
});
