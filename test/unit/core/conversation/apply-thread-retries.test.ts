import { describe, expect, it } from 'vitest';
import { applyThread } from '../../../../functions/core/conversation/apply-thread.ts';
import { MemoryConversationStore } from '../../../../functions/adapters/memory/memory-conversation-store.ts';
import type { ThreadDecision } from '../../../../functions/core/model/conversation.ts';
import type { NewConversation } from '../../../../functions/core/ports/conversation-store.ts';
import { addr, channelSettings, parsedMessage } from '../../../support/factories.ts';

const channel = channelSettings();
const at = '2026-11-22T10:00:00.000Z';
const newDecision = (claimIds: string[]): ThreadDecision => ({
  action: 'new',
  rule: 'new-conversation',
  conversation: null,
  signals: [],
  reason: '',
  flags: [],
  claimIds,
});
const conversation = (id: string, ticketNumber = '0000011'): NewConversation => ({ id, channelId: channel.id, ticketNumber, replyToken: null, createdAt: at });

function memoryStore(): MemoryConversationStore {
  return new MemoryConversationStore();
}

/** Reply R (b@c) to parent P (z@c): R's first attempt decided new, claimed its own id for conv-x and crashed; P then created conv-p. */
async function crashedReplyThenParent() {
  const store = memoryStore();
  await store.create(conversation('conv-x', '0000029'));
  await store.claimOwn(channel.id, 'b@c', 'm-reply', 'conv-x');
  await store.create(conversation('conv-p'));
  await store.claimOwn(channel.id, 'z@c', 'm-parent', 'conv-p');
  const parent = await store.publish(conversation('conv-p'), ['carla@customer.example'], at, { reopen: true });
  const reply = parsedMessage({ messageId: 'b@c', inReplyTo: 'z@c', references: ['z@c'], from: addr('bob@other.example') });
  const decision: ThreadDecision = { ...newDecision(['b@c']), action: 'join', rule: 'in-reply-to', conversation: parent };
  return { store, reply, decision };
}

describe('applyThread on a retry', () => {
  it('merges the candidate a crashed attempt left behind into the conversation the retry joins, and moves its claims', async () => {
    // Arrange
    const { store, reply, decision } = await crashedReplyThenParent();
    const candidate = { conversationId: 'conv-x', ticketNumber: '0000029', replyToken: null };
    // Act
    const applied = await applyThread({ store }, { channel, message: reply, decision, candidate, at, owner: 'm-reply', retry: true });
    // Assert: an answer to R finds a published conversation to join
    expect(applied).toMatchObject({ id: 'conv-p', created: false });
    expect((await store.findClaims(channel.id, ['b@c'])).get('b@c')).toEqual({ conversationId: 'conv-p', owner: 'm-reply' });
    const answer = { ...decision, conversation: (await store.findByMessageIds(channel.id, ['b@c'])).get('b@c') ?? null, claimIds: ['c@c'] };
    const joined = await applyThread(
      { store },
      { channel, message: parsedMessage({ messageId: 'c@c', inReplyTo: 'b@c' }), decision: answer, candidate: null, at },
    );
    expect(joined).toMatchObject({ id: 'conv-p' });
    expect(store.list().map((c) => c.id)).toEqual(['conv-p']);
  });

  it('leaves the candidate alone on a first attempt (no retry: nothing to settle, no extra calls)', async () => {
    const { store, reply, decision } = await crashedReplyThenParent();
    const candidate = { conversationId: 'conv-x', ticketNumber: '0000029', replyToken: null };
    await applyThread({ store }, { channel, message: reply, decision, candidate, at, owner: 'm-reply' });
    expect((await store.findClaims(channel.id, ['b@c'])).get('b@c')?.conversationId).toBe('conv-x');
  });

  it('settles nothing when the crashed attempt never created its candidate', async () => {
    const { store, reply, decision } = await crashedReplyThenParent();
    const candidate = { conversationId: 'conv-never', ticketNumber: null, replyToken: null };
    const applied = await applyThread({ store }, { channel, message: reply, decision, candidate, at, owner: 'm-reply', retry: true });
    expect(applied).toMatchObject({ id: 'conv-p' });
    expect(await store.markMerged('conv-never', 'conv-p', at)).toBe('conv-never');
  });
});

describe('applyThread for a second copy of a message in no conversation', () => {
  it('creates and publishes nothing, and leaves the first owner’s claim as it was', async () => {
    // Arrange: an unattached automatic answer owns the id
    const store = memoryStore();
    await store.claimOwn(channel.id, 'same@c', 'm-ooo', null);
    const message = parsedMessage({ messageId: 'same@c', subject: 'A different question' });
    const candidate = { conversationId: 'conv-b', ticketNumber: '0000029', replyToken: null };
    // Act
    const applied = await applyThread({ store }, { channel, message, decision: newDecision(['same@c']), candidate, at, owner: 'm-second' });
    // Assert
    expect(applied).toBeNull();
    expect((await store.findByMessageIds(channel.id, ['same@c'])).size).toBe(0);
    expect(await store.findByTicketNumber(channel.id, '0000029')).toBeNull();
    expect((await store.findClaims(channel.id, ['same@c'])).get('same@c')).toEqual({ conversationId: null, owner: 'm-ooo' });
  });

  it('publishes a candidate that won claims before finding the copy, so no claim leads to a pending one', async () => {
    const store = memoryStore();
    await store.claimOwn(channel.id, 'same@c', 'm-ooo', null);
    const message = parsedMessage({ messageId: 'same@c', inReplyTo: 'a-ref@c', references: ['a-ref@c'] });
    const candidate = { conversationId: 'conv-b', ticketNumber: '0000029', replyToken: null };
    const applied = await applyThread({ store }, { channel, message, decision: newDecision(['same@c', 'a-ref@c']), candidate, at, owner: 'm-second' });
    expect(applied).toBeNull();
    const ref = {
      ...newDecision(['later@c']),
      action: 'join' as const,
      rule: 'in-reply-to' as const,
      conversation: (await store.findByMessageIds(channel.id, ['a-ref@c'])).get('a-ref@c') ?? null,
    };
    expect(await applyThread({ store }, { channel, message: parsedMessage({ messageId: 'later@c' }), decision: ref, candidate: null, at })).toMatchObject({
      id: 'conv-b',
    });
  });
});

describe('applyThread resuming its own candidate', () => {
  it('still loses to the conversation that took an id before the crash, even when a higher-ranked id leads to the candidate', async () => {
    // Arrange: the first attempt claimed a@c for conv-x, lost c@c to the published conv-y and died before merging
    const store = memoryStore();
    await store.create(conversation('conv-y'));
    await store.claim(channel.id, 'c@c', 'conv-y');
    await store.publish(conversation('conv-y'), [], at, { reopen: false });
    await store.create(conversation('conv-x', '0000029'));
    await store.claim(channel.id, 'a@c', 'conv-x');
    const message = parsedMessage({ messageId: 'm@c', inReplyTo: 'a@c', references: ['c@c', 'a@c'] });
    const own = (await store.findByMessageIds(channel.id, ['a@c'])).get('a@c') ?? null;
    const decision: ThreadDecision = { ...newDecision(['m@c']), action: 'join', rule: 'in-reply-to', conversation: own };
    const candidate = { conversationId: 'conv-x', ticketNumber: '0000029', replyToken: null };
    // Act
    const applied = await applyThread({ store }, { channel, message, decision, candidate, at, owner: 'm-1', retry: true });
    // Assert: one thread, conv-y; nothing split off into conv-x
    expect(applied).toMatchObject({ id: 'conv-y', created: false });
    expect(await store.findByTicketNumber(channel.id, '0000029')).toBeNull();
    const found = await store.findByMessageIds(channel.id, ['a@c', 'c@c', 'm@c']);
    expect([...found.values()].map((c) => c.id)).toEqual(['conv-y', 'conv-y', 'conv-y']);
  });
});
