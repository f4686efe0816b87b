import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../../functions/core/errors.ts';
import { leavePresence, markPresence, presenceOn } from '../../../../functions/core/work/presence.ts';
import { AGENT_1, AGENT_2, SUPERVISOR, workWorld } from '../../../support/work-world.ts';

async function world() {
  const w = await workWorld();
  w.conversations.add('c-billing', 'billing', 'billing');
  w.conversations.add('c-support', 'support', 'support');
  return w;
}

describe('presence on a conversation', () => {
  it('shows each agent to the other, the caller marked as self, longest first', async () => {
    // Arrange
    const w = await world();
    await markPresence(w.deps, AGENT_1, 'c-billing', 'answering');
    w.clock.advance(5_000);
    await markPresence(w.deps, AGENT_2, 'c-billing', 'viewing');
    // Act
    const seenBy1 = await presenceOn(w.deps, AGENT_1, 'c-billing');
    const seenBy2 = await presenceOn(w.deps, AGENT_2, 'c-billing');
    // Assert
    expect(seenBy1).toEqual([
      { agentId: 'agent-1', displayName: 'Alex Agent', state: 'answering', since: '2026-11-22T10:00:00.000Z', self: true },
      { agentId: 'agent-2', displayName: 'Blair Agent', state: 'viewing', since: '2026-11-22T10:00:05.000Z', self: false },
    ]);
    expect(seenBy2.map((p) => [p.agentId, p.self])).toEqual([
      ['agent-1', false],
      ['agent-2', true],
    ]);
  });

  it('keeps `since` across heartbeats in one state, starts it again on a change, and lapses 60 s after the last heartbeat', async () => {
    // Arrange
    const w = await world();
    await markPresence(w.deps, AGENT_1, 'c-billing', 'viewing');
    w.clock.advance(20_000);
    await markPresence(w.deps, AGENT_1, 'c-billing', 'viewing');
    const kept = (await presenceOn(w.deps, AGENT_2, 'c-billing'))[0]?.since;
    w.clock.advance(20_000);
    await markPresence(w.deps, AGENT_1, 'c-billing', 'answering');
    const changed = (await presenceOn(w.deps, AGENT_2, 'c-billing'))[0]?.since;
    // Act
    w.clock.advance(59_999);
    const stillThere = await presenceOn(w.deps, AGENT_2, 'c-billing');
    w.clock.advance(1);
    const lapsed = await presenceOn(w.deps, AGENT_2, 'c-billing');
    await markPresence(w.deps, AGENT_1, 'c-billing', 'answering');
    const back = (await presenceOn(w.deps, AGENT_2, 'c-billing'))[0]?.since;
    // Assert
    expect(kept).toBe('2026-11-22T10:00:00.000Z');
    expect(changed).toBe('2026-11-22T10:00:40.000Z');
    expect(stillThere).toHaveLength(1);
    expect(lapsed).toEqual([]);
    expect(back).toBe(w.clock.now().toISOString());
  });

  it('is gone at once when the agent leaves', async () => {
    // Arrange
    const w = await world();
    await markPresence(w.deps, AGENT_1, 'c-billing', 'viewing');
    await markPresence(w.deps, AGENT_2, 'c-billing', 'viewing');
    // Act
    await leavePresence(w.deps, AGENT_1, 'c-billing');
    // Assert
    expect((await presenceOn(w.deps, AGENT_2, 'c-billing')).map((p) => p.agentId)).toEqual(['agent-2']);
  });

  it('is a 404 on a conversation the caller may not see, as reading it would be; a supervisor sees every one', async () => {
    // Arrange
    const w = await world();
    await markPresence(w.deps, AGENT_1, 'c-support', 'viewing');
    // Act
    const attempts = await Promise.allSettled([
      markPresence(w.deps, AGENT_2, 'c-support', 'viewing'),
      presenceOn(w.deps, AGENT_2, 'c-support'),
      leavePresence(w.deps, AGENT_2, 'c-support'),
      presenceOn(w.deps, AGENT_2, 'no-such-conversation'),
    ]);
    // Assert
    for (const a of attempts) expect((a as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
    expect((await presenceOn(w.deps, SUPERVISOR, 'c-support')).map((p) => p.agentId)).toEqual(['agent-1']);
  });
});
