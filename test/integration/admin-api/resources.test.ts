import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveMail } from '../../../functions/core/inbound/receive-mail.ts';
import { startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../../support/inbound-deps.ts';

let h: AdminHarness;
beforeAll(async () => {
  h = await startAdminHarness();
});
afterAll(async () => h.stop());

const json = async (res: Response) => (await res.json()) as Record<string, unknown>;

describe('templates and signatures', () => {
  it('creates, replaces with If-Match, refuses a stale one and previews a reply with the signature, escaped', async () => {
    // Act
    const created = await h.call('PUT', '/channels/support/templates/default', {
      body: { html: '<div>{{body}}<hr>{{signature}}<p>Ticket {{ticketNumber}} · {{channelName}}</p></div>' },
    });
    const stale = await h.call('PUT', '/channels/support/templates/default', { body: { html: '<p>{{body}}</p>' }, headers: { 'if-match': '"9"' } });
    const replaced = await h.call('PUT', '/channels/support/templates/default', {
      body: { html: '<main>{{body}}{{signature}}<p>#{{ticketNumber}}</p></main>' },
      headers: { 'if-match': '"1"' },
    });
    const signature = await h.call('PUT', '/agents/agent-1/signature', { body: { html: '<p>Ana, Support</p>', text: 'Ana, Support' } });
    const preview = await h.call('POST', '/channels/support/templates/default/preview', {
      body: { text: 'Hello <b>you</b>\n\nBye', agentId: 'agent-1', ticketNumber: '0000013' },
    });
    const missing = await h.call('POST', '/channels/support/templates/other/preview', { body: { text: 'x' } });
    // Assert
    expect(created.status).toBe(200);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(stale.status).toBe(409);
    expect(replaced.headers.get('etag')).toBe('"2"');
    expect(signature.status).toBe(200);
    expect(await json(preview)).toEqual({
      html: '<main><p>Hello &lt;b&gt;you&lt;/b&gt;</p>\n<p>Bye</p><p>Ana, Support</p><p>#0000013</p></main>',
      text: 'Hello <b>you</b>\n\nBye\n\n-- \nAna, Support\n',
    });
    expect(missing.status).toBe(404);
  });

  it("lists a channel's templates and deletes one with If-Match", async () => {
    // Act
    const list = await json(await h.call('GET', '/channels/support/templates'));
    const noMatch = await h.call('DELETE', '/channels/support/templates/default');
    const deleted = await h.call('DELETE', '/channels/support/templates/default', { headers: { 'if-match': '"2"' } });
    const signature = await json(await h.call('POST', '/agents/agent-1/signature/preview'));
    // Assert
    expect((list.items as { name: string; channelId: string }[]).map((t) => [t.channelId, t.name])).toEqual([['support', 'default']]);
    expect(noMatch.status).toBe(428);
    expect(deleted.status).toBe(204);
    expect(signature).toEqual({ html: '<p>Ana, Support</p>', text: 'Ana, Support' });
  });
});

describe('failed messages', () => {
  it('lists mail for an address no channel owned, and replays it once a channel owns it', async () => {
    // Arrange: a mail to an address without channel, as the inbound function records it
    const clock = new TestClock();
    await h.aws.putRaw('inbound/raw/ses-lost-1', customerMail({ messageId: 'lost-1@customer.example', to: 'orders@example.com' }));
    const outcome = await receiveMail(inboundDeps(h.aws, clock), inboundMail('ses-lost-1', ['orders@example.com']));
    expect(outcome.status).toBe('failed');
    // Act
    const listed = await json(await h.call('GET', '/failed-messages'));
    await h.call('POST', '/channels', { body: { id: 'orders', address: 'orders@example.com', defaultSkill: 'support' } });
    const replayed = await json(await h.call('POST', '/failed-messages/ses-lost-1:-/replay'));
    const after = await json(await h.call('GET', '/failed-messages'));
    const again = await h.call('POST', '/failed-messages/ses-lost-1:-/replay');
    // Assert
    expect(listed.items).toEqual([expect.objectContaining({ id: 'ses-lost-1:-', code: 'unknown-recipient', reason: 'no channel for orders@example.com' })]);
    expect(replayed).toMatchObject({ id: 'ses-lost-1:-', outcome: { status: 'routed', channelId: 'orders', skill: 'support' } });
    expect(after.items).toEqual([]);
    expect(again.status).toBe(404);
    await h.aws.drain(h.aws.queueUrls.support ?? '');
  });

  it('replays a page of failed mail and refuses a malformed id', async () => {
    // Act
    const all = await json(await h.call('POST', '/failed-messages/replay', { body: {} }));
    const bad = await h.call('POST', '/failed-messages/no-colon/replay');
    // Assert
    expect(all).toEqual({ results: [], cursor: null });
    expect(bad.status).toBe(400);
  });
});

describe('suppression list', () => {
  it('adds, lists, and removes addresses, account-wide and per channel', async () => {
    // Act
    const added = await h.call('POST', '/suppressions', { body: { address: 'Gone@Customer.example', detail: 'asked to stop' } });
    const perChannel = await h.call('POST', '/suppressions', { body: { address: 'x@customer.example', channelId: 'billing' } });
    const account = await json(await h.call('GET', '/suppressions'));
    const billing = await json(await h.call('GET', '/suppressions?channelId=billing'));
    const unknown = await h.call('GET', '/suppressions?channelId=nope');
    const removed = await h.call('DELETE', '/suppressions/gone@customer.example');
    const twice = await h.call('DELETE', '/suppressions/gone@customer.example');
    const invalid = await h.call('POST', '/suppressions', { body: { address: 'nope' } });
    // Assert
    expect(added.status).toBe(201);
    expect(await json(added)).toMatchObject({ address: 'gone@customer.example', scope: { kind: 'account' }, reason: 'manual', detail: 'asked to stop' });
    expect(perChannel.status).toBe(201);
    expect((account.items as { address: string }[]).map((e) => e.address)).toEqual(['gone@customer.example']);
    expect((billing.items as { address: string }[]).map((e) => e.address)).toEqual(['x@customer.example']);
    expect(unknown.status).toBe(404);
    expect(removed.status).toBe(204);
    expect(twice.status).toBe(404);
    expect(invalid.status).toBe(400);
  });
});
