import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { receiveMail } from '../../../functions/core/inbound/receive-mail.ts';
import { startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../../support/inbound-deps.ts';

let h: AdminHarness;
let conversationId: string;

type Body = Record<string, unknown> & { error?: { code: string; message: string; issues: { field: string; problem: string }[] } };
const json = async (res: Response): Promise<Body> => (await res.json()) as Body;

beforeAll(async () => {
  h = await startAdminHarness();
  // A conversation the inbound path opened, as in AWS.
  await h.aws.putRaw(inboundMail('hold-1').rawKey, customerMail({ messageId: 'hold-1@customer.example' }));
  const outcome = await receiveMail(inboundDeps(h.aws, new TestClock()), inboundMail('hold-1'));
  if (outcome.status === 'failed' || !outcome.conversationId) throw new Error('not opened');
  conversationId = outcome.conversationId;
});
afterAll(async () => h.stop());

const item = async () =>
  (await h.aws.db.send(new GetCommand({ TableName: h.aws.tableName, Key: { pk: `CONV#${conversationId}`, sk: 'CONV' }, ConsistentRead: true }))).Item;

describe("a channel's retention", () => {
  it('is accepted, returned and removed through PUT and PATCH', async () => {
    // Arrange
    const read = await json(await h.call('GET', '/channels/support'));
    const { version: _v, updatedAt: _u, managedBy: _m, ...settings } = read;
    // Act
    const put = await h.call('PUT', '/channels/support', {
      body: { ...settings, retention: { mailDays: 365 } },
      headers: { 'if-match': `"${String(read.version)}"` },
    });
    const afterPut = await json(await h.call('GET', '/channels/support'));
    const patch = await h.call('PATCH', '/channels/support', { body: { retention: null }, headers: { 'if-match': `"${String(afterPut.version)}"` } });
    const afterPatch = await json(await h.call('GET', '/channels/support'));
    // Assert
    expect(put.status).toBe(200);
    expect(afterPut.retention).toEqual({ mailDays: 365 });
    expect(patch.status).toBe(200);
    expect(afterPatch).not.toHaveProperty('retention');
  });

  it('refuses fractions, bounds and unknown fields with a 400 naming the field', async () => {
    // Arrange
    const read = await json(await h.call('GET', '/channels/billing'));
    const patch = (retention: unknown) => h.call('PATCH', '/channels/billing', { body: { retention }, headers: { 'if-match': `"${String(read.version)}"` } });
    // Act
    const answers = await Promise.all([
      patch({ mailDays: 30.5 }),
      patch({ mailDays: 3 }),
      patch({ mailDays: 99_999 }),
      patch({ mailDays: '30' }),
      patch({ days: 30 }),
      patch(30),
    ]);
    // Assert
    for (const res of answers) expect(res.status).toBe(400);
    const [fraction, short, long, text, unknown] = (await Promise.all(answers.map(json))) as [Body, Body, Body, Body, Body, Body];
    expect(fraction.error?.issues).toEqual([{ field: 'retention.mailDays', problem: 'whole days between 7 and 3650, no fractions' }]);
    expect(short.error?.issues).toEqual([{ field: 'retention.mailDays', problem: 'at least 7 days' }]);
    expect(long.error?.issues).toEqual([{ field: 'retention.mailDays', problem: 'at most 3650 days' }]);
    expect(text.error?.issues[0]?.field).toBe('retention.mailDays');
    expect(unknown.error?.issues.map((i) => i.field)).toEqual(expect.arrayContaining(['retention.days']));
    expect((await json(await h.call('GET', '/channels/billing'))).version).toBe(read.version);
  });
});

describe('legal holds', () => {
  it('refuses supervisors and agents (403) and names an unknown conversation (404) or a bad body (400)', async () => {
    // Act
    const supervisor = await h.as('supervisor-1', 'PUT', `/conversations/${conversationId}/legal-hold`, { body: { reason: 'case 1' } });
    const agent = await h.as('agent-1', 'DELETE', `/conversations/${conversationId}/legal-hold`);
    const unknown = await h.call('PUT', '/conversations/no-such-conversation/legal-hold', { body: { reason: 'case 1' } });
    const unknownRelease = await h.call('DELETE', '/conversations/no-such-conversation/legal-hold');
    const noReason = await h.call('PUT', `/conversations/${conversationId}/legal-hold`, { body: {} });
    const blank = await h.call('PUT', `/conversations/${conversationId}/legal-hold`, { body: { reason: '   ' } });
    const extra = await h.call('PUT', `/conversations/${conversationId}/legal-hold`, { body: { reason: 'case 1', until: 'forever' } });
    const badId = await h.call('PUT', '/conversations/bad%20id/legal-hold', { body: { reason: 'case 1' } });
    // Assert
    expect([supervisor.status, agent.status]).toEqual([403, 403]);
    expect([unknown.status, unknownRelease.status]).toEqual([404, 404]);
    expect([noReason.status, blank.status, extra.status, badId.status]).toEqual([400, 400, 400, 400]);
    expect((await json(noReason)).error?.issues).toEqual([{ field: 'reason', problem: expect.stringContaining('a reason is required') }]);
    expect(await item()).not.toHaveProperty('legalHold');
  });

  it('places a hold (no expiry while it stands), shows it on the conversation, and audits it; lifting it restores the expiry', async () => {
    // Arrange
    expect(typeof (await item())?.expiresAt).toBe('number');
    // Act
    const placed = await h.call('PUT', `/conversations/${conversationId}/legal-hold`, { body: { reason: 'Matter 2027-14 (Smith v. Example)' } });
    const placedBody = await json(placed);
    const whileHeld = await item();
    const history = await json(await h.call('GET', `/conversations/${conversationId}?bodies=false`));
    const releaseAnswer = await h.call('DELETE', `/conversations/${conversationId}/legal-hold`);
    const released = await json(releaseAnswer);
    const again = await h.call('DELETE', `/conversations/${conversationId}/legal-hold`);
    const audit = await json(await h.call('GET', '/audit?limit=20'));
    // Assert
    expect(placed.status).toBe(200);
    expect(placedBody).toMatchObject({
      id: conversationId,
      legalHold: { by: 'admin', reason: 'Matter 2027-14 (Smith v. Example)', since: expect.any(String) },
      expiresAt: null,
    });
    expect(whileHeld).toMatchObject({ legalHold: { reason: 'Matter 2027-14 (Smith v. Example)' } });
    expect(whileHeld).not.toHaveProperty('expiresAt');
    expect((history.conversation as Body).legalHold).toMatchObject({ reason: 'Matter 2027-14 (Smith v. Example)' });
    expect(releaseAnswer.status).toBe(200);
    expect(released).toMatchObject({ legalHold: null, expiresAt: expect.any(String) });
    // The conversation's last message was stored at the test clock's time; the account's default period counts from it.
    expect(released.expiresAt).toBe(new Date(new TestClock().now().getTime() + 730 * 86_400_000).toISOString());
    expect(await item()).not.toHaveProperty('legalHold');
    expect((await item())?.expiresAt).toBe(Math.floor(Date.parse(String(released.expiresAt)) / 1000));
    expect(again.status).toBe(404);
    expect((await json(again)).error?.message).toMatch(/has no legal hold/);
    const actions = (audit.items as { action: string; resource: { id: string }; fields: string[] }[])
      .filter((e) => e.resource.id === conversationId)
      .map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['conversation.legal-hold.place', 'conversation.legal-hold.release']));
    expect(JSON.stringify(audit)).not.toContain('Smith');
  });
});
