import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminApp, type AdminApp } from '../../../functions/api/app.ts';
import { bearerTokens } from '../../../functions/api/auth.ts';
import { receiveMail } from '../../../functions/core/inbound/receive-mail.ts';
import { startAdminHarness, TOKENS, type AdminHarness } from '../../support/admin-api.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../../support/inbound-deps.ts';

/**
 * The work routes on dynalite and fauxqs, as agents' apps use them: each agent with their own
 * token, mail routed by the real inbound use case onto the real FIFO skill queues.
 */
let h: AdminHarness;
let n = 0;

beforeAll(async () => {
  h = await startAdminHarness();
});
afterAll(async () => h.stop());

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> & { error?: { code: string; message: string; issues: { field: string }[] } };
}

async function as(user: string, method: string, path: string, body?: unknown, app?: AdminApp): Promise<Answer> {
  const headers: Record<string, string> = { authorization: `Bearer ${TOKENS[user] ?? ''}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = app
    ? await app.request(path, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    : await h.as(user, method, path, body === undefined ? {} : { body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Answer['body']) : {} };
}

/** A customer's mail through the inbound use case (subject words route it: "invoice" → billing); its conversation id. */
async function customerWrites(subject: string, options: { inReplyTo?: string } = {}): Promise<{ conversationId: string; messageId: string }> {
  n += 1;
  const messageId = `work-${n}@customer.example`;
  await h.aws.putRaw(`inbound/raw/ses-work-${n}`, customerMail({ messageId, subject, ...options }));
  const outcome = await receiveMail(inboundDeps(h.aws, new TestClock()), inboundMail(`ses-work-${n}`));
  if (outcome.status !== 'routed') throw new Error(`not routed: ${JSON.stringify(outcome)}`);
  return { conversationId: outcome.conversationId ?? '', messageId };
}

type Lease = { id: string; skill: string; expiresAt: string; conversationId: string; messageId: string; pointer: Record<string, unknown> };
const leaseOf = (a: Answer): Lease => (a.body as { lease: Lease }).lease;
const queues = async (user: string) => (await as(user, 'GET', '/work/queues')).body.queues as { skill: string; waiting: number; inFlight: number }[];
const countOn = async (skill: string) => (await queues('admin')).find((q) => q.skill === skill);

describe('the work queues', () => {
  it("lists the caller's skills (every skill for an admin) with SQS counts", async () => {
    // Arrange
    await customerWrites('Question about invoice 1');
    // Act
    const agent1 = await queues('agent-1');
    const agent2 = await queues('agent-2');
    const admin = await queues('admin');
    // Assert
    expect(agent1.map((q) => q.skill)).toEqual(['billing', 'support']);
    expect(agent2).toEqual([{ skill: 'billing', description: 'Invoices, refunds and payments', waiting: 1, inFlight: 0 }]);
    expect(admin.map((q) => q.skill)).toEqual(['billing', 'spam-review', 'support']);
    await h.aws.drain(h.aws.queueUrls.billing ?? '');
  });
});

describe('taking the next message', () => {
  it("hands it to one agent: invisible to a second agent's take, the conversation's next mail held back; released, the other takes it; done, it is gone", async () => {
    // Arrange
    const first = await customerWrites('Refund for invoice 2');
    await customerWrites('Re: Refund for invoice 2', { inReplyTo: first.messageId });
    // Act
    const taken = await as('agent-1', 'POST', '/work/queues/billing/take', {});
    const second = await as('agent-2', 'POST', '/work/queues/billing/take', {});
    const counts = await countOn('billing');
    const released = await as('agent-1', 'POST', `/work/leases/${leaseOf(taken).id}/release`);
    const retaken = await as('agent-2', 'POST', '/work/queues/billing/take');
    const done = await as('agent-2', 'POST', `/work/leases/${leaseOf(retaken).id}/done`);
    const next = await as('agent-1', 'POST', '/work/queues/billing/take', { visibilitySeconds: 30 });
    await as('agent-1', 'POST', `/work/leases/${leaseOf(next).id}/done`);
    const empty = await as('agent-2', 'POST', '/work/queues/billing/take', {});
    // Assert
    expect(taken.status).toBe(200);
    expect(leaseOf(taken)).toMatchObject({
      skill: 'billing',
      conversationId: first.conversationId,
      pointer: { subject: 'Refund for invoice 2', skill: 'billing', schemaVersion: 2 },
    });
    expect(JSON.stringify(taken.body)).not.toMatch(/receipt/i);
    expect(second.status).toBe(204);
    expect(counts).toMatchObject({ waiting: 1, inFlight: 1 });
    expect(released.status).toBe(204);
    expect(leaseOf(retaken).messageId).toBe(leaseOf(taken).messageId);
    expect(done.status).toBe(204);
    expect(leaseOf(next)).toMatchObject({ conversationId: first.conversationId, pointer: { isNewConversation: false } });
    expect(Date.parse(leaseOf(next).expiresAt) - Date.now()).toBeLessThanOrEqual(30_000);
    expect(empty.status).toBe(204);
    expect(await countOn('billing')).toMatchObject({ waiting: 0, inFlight: 0 });
  });

  it("extends a lease from now, and refuses another agent's lease (403) while a supervisor may release it", async () => {
    // Arrange
    await customerWrites('Payment failed');
    const taken = await as('agent-2', 'POST', '/work/queues/billing/take', { visibilitySeconds: 30 });
    const id = leaseOf(taken).id;
    // Act
    const extended = await as('agent-2', 'POST', `/work/leases/${id}/extend`, { visibilitySeconds: 900 });
    const byOther = await Promise.all(['extend', 'done', 'release'].map((action) => as('agent-1', 'POST', `/work/leases/${id}/${action}`)));
    const bySupervisor = await as('supervisor-1', 'POST', `/work/leases/${id}/release`);
    const afterRelease = await as('agent-2', 'POST', `/work/leases/${id}/extend`);
    // Assert
    expect(extended.status).toBe(200);
    expect(Date.parse(String(extended.body.expiresAt))).toBeGreaterThan(Date.parse(leaseOf(taken).expiresAt) + 800_000);
    expect(byOther.map((a) => a.status)).toEqual([403, 403, 403]);
    expect(byOther[0]?.body.error?.message).toMatch(/another agent's/);
    expect(bySupervisor.status).toBe(204);
    expect(afterRelease.status).toBe(404);
    expect(afterRelease.body.error?.message).toMatch(/not found: it was done .* or released/);
    await h.aws.drain(h.aws.queueUrls.billing ?? '');
  });

  it('refuses a skill the agent is not in (403), an unknown skill (404), and an unknown lease (404)', async () => {
    // Act
    const notMine = await as('agent-2', 'POST', '/work/queues/support/take', {});
    const unknown = await as('agent-2', 'POST', '/work/queues/nosuchskill/take', {});
    const noLease = await as('agent-1', 'POST', '/work/leases/no-such-lease/done');
    // Assert
    expect(notMine.status).toBe(403);
    expect(notMine.body.error?.message).toMatch(/skill support needs membership/);
    expect(unknown.status).toBe(404);
    expect(noLease.status).toBe(404);
  });

  it('answers bad input with a 400 naming the field, and a body that is not JSON with 415', async () => {
    // Act
    const answers = await Promise.all([
      as('agent-1', 'POST', '/work/queues/support/take', { visibilitySeconds: 5 }),
      as('agent-1', 'POST', '/work/queues/support/take', { visibilitySeconds: '600' }),
      as('agent-1', 'POST', '/work/queues/support/take', { visibility: 600 }),
      as('agent-1', 'POST', '/work/queues/Support!/take', {}),
      as('agent-1', 'POST', '/work/leases/x/extend', { visibilitySeconds: 4000 }),
      as('agent-1', 'POST', '/work/leases/bad%20id/done'),
      as('agent-1', 'PUT', '/conversations/c1/presence', { state: 'typing' }),
      as('agent-1', 'PUT', '/conversations/c1/presence', {}),
    ]);
    const text = await h.as('agent-1', 'POST', '/work/queues/support/take', { raw: 'visibilitySeconds=60', headers: { 'content-type': 'text/plain' } });
    // Assert
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400, 400, 400, 400, 400]);
    expect(answers.map((a) => a.body.error?.issues[0]?.field)).toEqual([
      'visibilitySeconds',
      'visibilitySeconds',
      'visibility',
      'skill',
      'visibilitySeconds',
      'leaseId',
      'state',
      'state',
    ]);
    expect(text.status).toBe(415);
  });

  it('records takes, releases and dones in the audit log, as the agent who acted', async () => {
    // Act
    const audit = (await as('admin', 'GET', '/audit?limit=100')).body.items as { action: string; actor: { agentId: string }; onBehalfOf?: string }[];
    // Assert
    const actions = audit.filter((e) => e.action.startsWith('lease.'));
    expect(actions.map((e) => e.action)).toEqual(expect.arrayContaining(['lease.take', 'lease.release', 'lease.done']));
    expect(actions.find((e) => e.action === 'lease.release' && e.actor.agentId === 'supervisor-1')?.onBehalfOf).toBe('agent-2');
  });
});

describe('answering or closing the conversation', () => {
  it("completes the holder's lease when they reply: the message leaves the queue and the lease is gone", async () => {
    // Arrange
    const mail = await customerWrites('Where is my parcel?');
    const taken = await as('agent-1', 'POST', '/work/queues/support/take', {});
    // Act
    const reply = await as('agent-1', 'POST', `/conversations/${mail.conversationId}/reply`, { text: 'It left today.' });
    const extend = await as('agent-1', 'POST', `/work/leases/${leaseOf(taken).id}/extend`);
    // Assert
    expect(leaseOf(taken).conversationId).toBe(mail.conversationId);
    expect(reply.status).toBe(202);
    expect(extend.status).toBe(404);
    expect(await countOn('support')).toMatchObject({ waiting: 0, inFlight: 0 });
  });

  it("completes the holder's lease on close, but not on another agent's reply", async () => {
    // Arrange
    const mail = await customerWrites('My parcel is damaged');
    const taken = await as('agent-1', 'POST', '/work/queues/support/take', {});
    // Act
    const supervisorReply = await as('supervisor-1', 'POST', `/conversations/${mail.conversationId}/reply`, { text: 'We are looking into it.' });
    const stillHeld = await as('agent-1', 'POST', `/work/leases/${leaseOf(taken).id}/extend`, {});
    const closed = await as('agent-1', 'POST', `/conversations/${mail.conversationId}/close`);
    const afterClose = await as('agent-1', 'POST', `/work/leases/${leaseOf(taken).id}/done`);
    // Assert
    expect(supervisorReply.status).toBe(202);
    expect(stillHeld.status).toBe(200);
    expect(closed.status).toBe(200);
    expect(afterClose.status).toBe(404);
    expect(await countOn('support')).toMatchObject({ waiting: 0, inFlight: 0 });
  });
});

describe('presence', () => {
  it('shows two agents on a conversation to each other, drops one who left, and lapses without heartbeats', async () => {
    // Arrange: an app on a clock of its own, to let a minute pass
    const clock = new TestClock(new Date());
    const byToken = Object.fromEntries(Object.entries(TOKENS).map(([user, token]) => [token, user]));
    const app = createAdminApp({ ...h.deps, clock }, { authenticate: bearerTokens(byToken) });
    const { conversationId } = await customerWrites('Second invoice is wrong');
    const path = `/conversations/${conversationId}/presence`;
    // Act
    const put1 = await as('agent-1', 'PUT', path, { state: 'answering' }, app);
    await as('agent-2', 'PUT', path, { state: 'viewing' }, app);
    const seenBy1 = await as('agent-1', 'GET', path, undefined, app);
    const seenBy2 = await as('agent-2', 'GET', path, undefined, app);
    const left = await as('agent-2', 'DELETE', path, undefined, app);
    const afterLeave = await as('agent-1', 'GET', path, undefined, app);
    clock.advance(61_000);
    const lapsed = await as('agent-1', 'GET', path, undefined, app);
    const hidden = await as('agent-2', 'GET', `/conversations/${(await customerWrites('Hello there')).conversationId}/presence`, undefined, app);
    // Assert
    expect(put1.status).toBe(204);
    expect(seenBy1.body.agents).toEqual([
      { agentId: 'agent-1', displayName: 'Alex Agent', state: 'answering', since: expect.any(String), self: true },
      { agentId: 'agent-2', displayName: 'Blair Agent', state: 'viewing', since: expect.any(String), self: false },
    ]);
    expect((seenBy2.body.agents as { agentId: string; self: boolean }[]).map((a) => [a.agentId, a.self])).toEqual([
      ['agent-1', false],
      ['agent-2', true],
    ]);
    expect(left.status).toBe(204);
    expect((afterLeave.body.agents as { agentId: string }[]).map((a) => a.agentId)).toEqual(['agent-1']);
    expect(lapsed.body.agents).toEqual([]);
    expect(hidden.status).toBe(404);
    await h.aws.drain(h.aws.queueUrls.billing ?? '');
    await h.aws.drain(h.aws.queueUrls.support ?? '');
  });
});

describe('the From choices of a reply', () => {
  it('lists the channel address first, then its allowed From addresses, to whoever may answer the conversation; 404 to anyone else', async () => {
    // Arrange: a support conversation, and an allowed From address set by the admin
    const { conversationId } = await customerWrites('Where is my order?');
    const history = await as('admin', 'GET', `/conversations/${conversationId}?bodies=false`);
    const channelId = (history.body.conversation as { channelId: string }).channelId;
    const channel = await h.as('admin', 'GET', `/channels/${channelId}`);
    const address = ((await channel.json()) as { address: string }).address;
    const patched = await h.as('admin', 'PATCH', `/channels/${channelId}`, {
      body: { allowedFrom: [{ address: 'orders@example.com', name: 'Orders' }] },
      headers: { 'if-match': channel.headers.get('etag') ?? '' },
    });
    expect(patched.status, await patched.text()).toBe(200);
    // Act
    const agent = await as('agent-1', 'GET', `/conversations/${conversationId}/senders`);
    const stranger = await as('agent-2', 'GET', `/conversations/${conversationId}/senders`);
    // Assert
    expect(agent.status).toBe(200);
    expect(agent.body).toEqual({
      channelId,
      items: [
        { address, name: expect.any(String), default: true },
        { address: 'orders@example.com', name: 'Orders', default: false },
      ],
    });
    expect(stranger.status).toBe(404);
  });
});
