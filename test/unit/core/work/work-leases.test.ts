import { describe, expect, it } from 'vitest';
import { setStatus } from '../../../../functions/core/admin/conversation-admin.ts';
import { ForbiddenError, NotFoundError, type ValidationError } from '../../../../functions/core/errors.ts';
import { completeLease, completeOwnLeases, extendLease, releaseLease } from '../../../../functions/core/work/lease-actions.ts';
import { listQueues, takeNext } from '../../../../functions/core/work/take-work.ts';
import { LeaseGoneError, readPointer } from '../../../../functions/core/work/work-item.ts';
import { AGENT_1, AGENT_2, SUPERVISOR, asCaller, workWorld } from '../../../support/work-world.ts';

describe('taking work from a skill queue', () => {
  it("lists an agent's own skills and every skill for a supervisor, with what waits and what is in flight", async () => {
    // Arrange
    const w = await workWorld();
    w.route('billing', 'c1', 'm1');
    w.route('billing', 'c2', 'm2');
    await takeNext(w.deps, asCaller(AGENT_1), 'billing');
    // Act
    const agent = await listQueues(w.deps, AGENT_2);
    const supervisor = await listQueues(w.deps, SUPERVISOR);
    // Assert
    expect(agent).toEqual([{ skill: 'billing', description: 'billing work', waiting: 1, inFlight: 1 }]);
    expect(supervisor.map((q) => [q.skill, q.description])).toEqual([
      ['billing', 'billing work'],
      ['spam-review', null],
      ['support', 'support work'],
    ]);
  });

  it("hands one message to one agent: a second agent finds it invisible, and its conversation's next mail waits behind it", async () => {
    // Arrange
    const w = await workWorld();
    w.route('billing', 'c1', 'm1');
    w.route('billing', 'c1', 'm2');
    // Act
    const first = await takeNext(w.deps, asCaller(AGENT_1), 'billing', 60);
    const second = await takeNext(w.deps, asCaller(AGENT_2), 'billing');
    // Assert
    expect(first).toMatchObject({ id: 'lease-1', skill: 'billing', agentId: 'agent-1', conversationId: 'c1', messageId: 'm1', visibilitySeconds: 60 });
    expect(first?.pointer).toMatchObject({ messageId: 'm1', subject: 'about m1' });
    expect(first?.expiresAt).toBe(new Date(w.clock.now().getTime() + 60_000).toISOString());
    expect(second).toBeNull();
    expect(w.audit.map((e) => [e.action, e.resource.type, e.resource.id])).toEqual([['lease.take', 'conversation', 'c1']]);
  });

  it('refuses an unknown skill (404) before membership, a skill the agent is not in (403), and a visibility out of range (400); a supervisor takes from any skill', async () => {
    // Arrange
    const w = await workWorld();
    w.route('support', 'c1', 'm1');
    // Act
    const attempts = await Promise.allSettled([
      takeNext(w.deps, asCaller(AGENT_2), 'nope'),
      takeNext(w.deps, asCaller(AGENT_2), 'support'),
      takeNext(w.deps, asCaller(AGENT_1), 'support', 29),
      takeNext(w.deps, asCaller(AGENT_1), 'support', 3601),
      takeNext(w.deps, asCaller(AGENT_1), 'support', 60.5),
    ]);
    const supervisor = await takeNext(w.deps, asCaller(SUPERVISOR), 'support');
    // Assert
    const reasons = attempts.map((a) => (a.status === 'rejected' ? (a.reason as Error).constructor.name : 'taken'));
    expect(reasons).toEqual(['NotFoundError', 'ForbiddenError', 'ValidationError', 'ValidationError', 'ValidationError']);
    expect(((attempts[2] as PromiseRejectedResult).reason as ValidationError).issues[0]?.path).toBe('visibilitySeconds');
    expect(supervisor?.agentId).toBe('supervisor-1');
  });

  it('answers nothing when nothing waits', async () => {
    // Arrange
    const w = await workWorld();
    // Act / Assert
    expect(await takeNext(w.deps, asCaller(AGENT_1), 'support')).toBeNull();
    expect(w.audit).toEqual([]);
  });

  it('puts the message back at once when the lease cannot be stored, so it is not hidden with nobody holding it', async () => {
    // Arrange
    const w = await workWorld();
    w.route('support', 'c1', 'm1');
    w.leases.failPut = true;
    // Act
    const failed = await takeNext(w.deps, asCaller(AGENT_1), 'support').catch((e: Error) => e);
    w.leases.failPut = false;
    const again = await takeNext(w.deps, asCaller(AGENT_1), 'support');
    // Assert
    expect(failed).toBeInstanceOf(Error);
    expect(again?.messageId).toBe('m1');
  });
});

describe('a lease', () => {
  it('extends by its own length unless told, from now, and keeps the message from others', async () => {
    // Arrange
    const w = await workWorld();
    w.route('billing', 'c1', 'm1');
    const lease = await takeNext(w.deps, asCaller(AGENT_1), 'billing', 60);
    w.clock.advance(50_000);
    // Act
    const extended = await extendLease(w.deps, asCaller(AGENT_1), lease?.id ?? '');
    w.clock.advance(50_000);
    const other = await takeNext(w.deps, asCaller(AGENT_2), 'billing');
    const longer = await extendLease(w.deps, asCaller(AGENT_1), lease?.id ?? '', 600);
    // Assert
    expect(extended.expiresAt).toBe(new Date(Date.parse('2026-11-22T10:00:00.000Z') + 110_000).toISOString());
    expect(other).toBeNull();
    expect(longer.expiresAt).toBe(new Date(w.clock.now().getTime() + 600_000).toISOString());
    expect((await w.leases.get(lease?.id ?? ''))?.expiresAt).toBe(longer.expiresAt);
  });

  it('is released back to the queue for the next agent, and is gone afterwards', async () => {
    // Arrange
    const w = await workWorld();
    w.route('billing', 'c1', 'm1');
    const lease = await takeNext(w.deps, asCaller(AGENT_1), 'billing');
    // Act
    await releaseLease(w.deps, asCaller(AGENT_1), lease?.id ?? '');
    const next = await takeNext(w.deps, asCaller(AGENT_2), 'billing');
    const again = await releaseLease(w.deps, asCaller(AGENT_1), lease?.id ?? '').catch((e: Error) => e);
    // Assert
    expect(next?.messageId).toBe('m1');
    expect(again).toBeInstanceOf(LeaseGoneError);
    expect(w.audit.map((e) => e.action)).toEqual(['lease.take', 'lease.release', 'lease.take']);
  });

  it("is done: the message leaves the queue and the conversation's next mail can be taken", async () => {
    // Arrange
    const w = await workWorld();
    w.route('billing', 'c1', 'm1');
    w.route('billing', 'c1', 'm2');
    const lease = await takeNext(w.deps, asCaller(AGENT_1), 'billing');
    // Act
    await completeLease(w.deps, asCaller(AGENT_1), lease?.id ?? '');
    const next = await takeNext(w.deps, asCaller(AGENT_2), 'billing');
    const twice = await completeLease(w.deps, asCaller(AGENT_1), lease?.id ?? '').catch((e: Error) => e);
    // Assert
    expect(next?.messageId).toBe('m2');
    expect(await w.queue.counts('q/billing')).toEqual({ waiting: 0, inFlight: 1 });
    expect(twice).toBeInstanceOf(NotFoundError);
    expect((twice as Error).message).toMatch(/not found: it was done \(a reply or close by its holder does that too\) or released/);
  });

  it('of another agent is a 403 for extend and done; a supervisor may release it, not extend it', async () => {
    // Arrange
    const w = await workWorld();
    w.route('billing', 'c1', 'm1');
    const lease = await takeNext(w.deps, asCaller(AGENT_2), 'billing');
    const id = lease?.id ?? '';
    // Act
    const attempts = await Promise.allSettled([
      extendLease(w.deps, asCaller(AGENT_1), id),
      completeLease(w.deps, asCaller(AGENT_1), id),
      releaseLease(w.deps, asCaller(AGENT_1), id),
      extendLease(w.deps, asCaller(SUPERVISOR), id),
    ]);
    await releaseLease(w.deps, asCaller(SUPERVISOR), id);
    // Assert
    for (const a of attempts) expect((a as PromiseRejectedResult).reason).toBeInstanceOf(ForbiddenError);
    expect(await w.queue.counts('q/billing')).toEqual({ waiting: 1, inFlight: 0 });
    expect(w.audit.at(-1)).toMatchObject({ action: 'lease.release', actor: { agentId: 'supervisor-1' }, onBehalfOf: 'agent-2' });
  });

  it('expires by the clock: any action then says the message is back on the queue, and forgets the lease', async () => {
    // Arrange
    const w = await workWorld();
    w.route('support', 'c1', 'm1');
    const lease = await takeNext(w.deps, asCaller(AGENT_1), 'support', 30);
    w.clock.advance(30_000);
    // Act
    const late = await extendLease(w.deps, asCaller(AGENT_1), lease?.id ?? '').catch((e: Error) => e);
    // Assert
    expect(late).toBeInstanceOf(LeaseGoneError);
    expect((late as Error).message).toMatch(/expired at 2026-11-22T10:00:30.000Z: the message is back on skill support's queue/);
    expect(w.leases.items.size).toBe(0);
  });

  it('that the queue no longer holds (the message deleted behind it) is gone, and forgotten', async () => {
    // Arrange
    const w = await workWorld();
    w.route('support', 'c1', 'm1');
    const lease = await takeNext(w.deps, asCaller(AGENT_1), 'support');
    w.queue.queues.set('q/support', []);
    // Act
    const done = await completeLease(w.deps, asCaller(AGENT_1), lease?.id ?? '').catch((e: Error) => e);
    // Assert
    expect(done).toBeInstanceOf(LeaseGoneError);
    expect((done as Error).message).toMatch(/no longer holds its message/);
    expect(w.leases.items.size).toBe(0);
  });
});

describe("answering or closing completes the caller's lease", () => {
  it("completes only the caller's live leases on the conversation, under either of its ids", async () => {
    // Arrange
    const w = await workWorld();
    w.route('billing', 'c1', 'm1');
    w.route('billing', 'c2', 'm2');
    w.route('billing', 'merged-into-c3', 'm3');
    const mine = await takeNext(w.deps, asCaller(AGENT_1), 'billing');
    const theirs = await takeNext(w.deps, asCaller(AGENT_2), 'billing');
    const merged = await takeNext(w.deps, asCaller(AGENT_1), 'billing');
    // Act
    const completed = await completeOwnLeases(w.deps, asCaller(AGENT_1), ['c1', 'c2']);
    const viaOldId = await completeOwnLeases(w.deps, asCaller(AGENT_1), ['c3', 'merged-into-c3']);
    // Assert
    expect([mine?.conversationId, theirs?.conversationId]).toEqual(['c1', 'c2']);
    expect(completed).toBe(1);
    expect(viaOldId).toBe(1);
    expect([...w.leases.items.keys()]).toEqual([theirs?.id]);
    expect(merged).not.toBeNull();
    expect(await w.queue.counts('q/billing')).toEqual({ waiting: 0, inFlight: 1 });
  });

  it('never fails the answer: a queue that fails leaves the lease to its holder', async () => {
    // Arrange
    const w = await workWorld();
    w.route('support', 'c1', 'm1');
    const lease = await takeNext(w.deps, asCaller(AGENT_1), 'support');
    w.queue.failNext = 'delete';
    // Act
    const completed = await completeOwnLeases(w.deps, asCaller(AGENT_1), ['c1']);
    // Assert
    expect(completed).toBe(0);
    expect(w.leases.items.has(lease?.id ?? '')).toBe(true);
  });

  it("closing a conversation completes the closer's lease on it; reopening does not touch leases", async () => {
    // Arrange
    const w = await workWorld();
    w.conversations.add('c1', 'support', 'support');
    w.route('support', 'c1', 'm1');
    await takeNext(w.deps, asCaller(AGENT_1), 'support');
    const deps = { ...w.deps, agents: w.skills as never, bodies: { read: async () => null }, replies: null };
    // Act
    await setStatus(deps, asCaller(AGENT_1), 'c1', 'open');
    const afterReopen = w.leases.items.size;
    await setStatus(deps, asCaller(AGENT_1), 'c1', 'closed');
    // Assert
    expect(afterReopen).toBe(1);
    expect(w.leases.items.size).toBe(0);
    expect(await w.queue.counts('q/support')).toEqual({ waiting: 0, inFlight: 0 });
    expect(w.audit.map((e) => e.action)).toEqual(['lease.take', 'conversation.reopen', 'conversation.close', 'lease.done']);
  });
});

describe('the pointer of a queued message', () => {
  it("is the routed-message record; a body that is no JSON object is kept as text with the queue's id", () => {
    // Act
    const routed = readPointer('{"messageId":"m1","conversationId":"c1"}', 'sqs-1');
    const text = readPointer('not json', 'sqs-2');
    const array = readPointer('[1,2]', 'sqs-3');
    // Assert
    expect(routed).toEqual({ pointer: { messageId: 'm1', conversationId: 'c1' }, conversationId: 'c1', messageId: 'm1' });
    expect(text).toEqual({ pointer: { body: 'not json' }, conversationId: null, messageId: 'sqs-2' });
    expect(array.messageId).toBe('sqs-3');
  });
});
