import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveMail } from '../../../functions/core/inbound/receive-mail.ts';
import { startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../../support/inbound-deps.ts';

let h: AdminHarness;
beforeAll(async () => {
  h = await startAdminHarness();
});
afterAll(async () => h.stop());

const answer = async (res: Response) => ({ status: res.status, body: (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } } });

describe('deleting a channel (409 with the reason, never a lost channel)', () => {
  it('refuses a channel the deploy config seeded', async () => {
    // Act
    const refused = await answer(await h.call('DELETE', '/channels/support', { headers: { 'if-match': '"1"' } }));
    const still = await h.call('GET', '/channels/support');
    // Assert
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'conflict', message: expect.stringContaining('disable it instead') });
    expect(still.status).toBe(200);
  });

  it('refuses a channel with an open conversation, and deletes it once the conversation is closed', async () => {
    // Arrange: a channel made through the API, and a customer mail that opens a conversation on it
    await h.call('POST', '/channels', { body: { id: 'orders', address: 'orders@example.com', defaultSkill: 'support' } });
    await h.aws.putRaw('inbound/raw/ses-orders-1', customerMail({ messageId: 'orders-1@customer.example', to: 'orders@example.com' }));
    const outcome = await receiveMail(inboundDeps(h.aws, new TestClock()), inboundMail('ses-orders-1', ['orders@example.com']));
    await h.aws.drain(h.aws.queueUrls.support ?? '');
    const conversationId = outcome.status === 'routed' ? outcome.conversationId : '';
    // Act
    const refused = await answer(await h.call('DELETE', '/channels/orders', { headers: { 'if-match': '"1"' } }));
    const closed = await h.call('POST', `/conversations/${conversationId}/close`, { body: {} });
    const deleted = await h.call('DELETE', '/channels/orders', { headers: { 'if-match': '"1"' } });
    // Assert
    expect(outcome.status).toBe('routed');
    expect(refused.status).toBe(409);
    expect(refused.body.error?.message).toBe('channel orders has open conversations: disable it instead, or close them first');
    expect(closed.status).toBe(200);
    expect(deleted.status).toBe(204);
    expect(h.receipt.rules.has('orders')).toBe(false);
  });
});
