import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../functions/core/errors.ts';
import { applyThread } from '../../../functions/core/inbound/apply-thread.ts';
import type { ConversationRef, ThreadDecision } from '../../../functions/core/model/conversation.ts';
import type { ConversationStore, NewConversation } from '../../../functions/core/ports.ts';
import { channelSettings, parsedMessage } from './factories.ts';

/** In-memory write side with the Dynamo adapter's semantics (first writer wins, hidden until published). */
class FakeStore implements ConversationStore {
  readonly conversations = new Map<string, NewConversation & { participants: Set<string>; visibility: string; mergedInto?: string }>();
  readonly claims = new Map<string, string>();
  async findByMessageIds(): Promise<Map<string, ConversationRef>> { return new Map(); }
  async findByTicketNumber(): Promise<ConversationRef | null> { return null; }
  async findByReplyToken(): Promise<ConversationRef | null> { return null; }
  async create(c: NewConversation) { if (!this.conversations.has(c.id)) this.conversations.set(c.id, { ...c, participants: new Set(), visibility: 'pending' }); }
  async claim(_channel: string, id: string, conversationId: string) { if (!this.claims.has(id)) this.claims.set(id, conversationId); return this.claims.get(id) ?? ''; }
  async moveClaim(_channel: string, id: string, from: string, to: string) { if (this.claims.get(id) === from) this.claims.set(id, to); }
  async join(id: string, participants: readonly string[]): Promise<ConversationRef> {
    const c = this.conversations.get(id);
    if (!c) throw new NotFoundError(id);
    participants.forEach((p) => c.participants.add(p));
    return { id, channelId: c.channelId, ticketNumber: c.ticketNumber, participants: [...c.participants], status: 'open', lastAgent: null, replyToken: c.replyToken };
  }
  async publish(c: NewConversation) { const x = this.conversations.get(c.id); if (x) x.visibility = 'published'; }
  async markMerged(id: string, into: string) { const x = this.conversations.get(id); if (x) Object.assign(x, { visibility: 'merged', mergedInto: into }); }
}

const channel = channelSettings();
const message = parsedMessage({ messageId: 'reply-b@customer.example', inReplyTo: 'root@customer.example', references: ['root@customer.example'] });
const newDecision: ThreadDecision = { action: 'new', rule: 'new-conversation', conversation: null, signals: [], reason: 'nothing known', flags: [], claimIds: ['reply-b@customer.example', 'root@customer.example'] };
const candidate = { conversationId: 'conv-b', ticketNumber: '0000029', replyToken: null };
const at = '2026-11-22T10:00:00.000Z';

describe('applyThread', () => {
  it('creates and publishes the candidate when every claim is won', async () => {
    const store = new FakeStore();
    const applied = await applyThread({ store }, { channel, message, decision: newDecision, candidate, at });
    expect(applied).toMatchObject({ id: 'conv-b', created: true, participants: ['customer@customer.example'] });
    expect(store.conversations.get('conv-b')?.visibility).toBe('published');
    expect([...store.claims.values()]).toEqual(['conv-b', 'conv-b']);
  });

  it('joins the winner when a shared reference is already claimed, and hands over its own claim', async () => {
    // Arrange: the other reply already created conv-a and claimed the root
    const store = new FakeStore();
    await store.create({ id: 'conv-a', channelId: channel.id, ticketNumber: '0000011', replyToken: null, createdAt: at });
    await store.claim(channel.id, 'root@customer.example', 'conv-a');
    // Act
    const applied = await applyThread({ store }, { channel, message, decision: newDecision, candidate, at });
    // Assert
    expect(applied).toMatchObject({ id: 'conv-a', created: false, ticketNumber: '0000011' });
    expect(store.claims.get('reply-b@customer.example')).toBe('conv-a');
    expect(store.conversations.get('conv-b')).toMatchObject({ visibility: 'merged', mergedInto: 'conv-a' });
  });

  it('moves claims it won before losing a later one', async () => {
    const store = new FakeStore();
    await store.create({ id: 'conv-a', channelId: channel.id, ticketNumber: '0000011', replyToken: null, createdAt: at });
    await store.claim(channel.id, 'reply-b@customer.example', 'conv-a');
    const decision = { ...newDecision, claimIds: ['other@customer.example', 'reply-b@customer.example'] };
    const applied = await applyThread({ store }, { channel, message, decision, candidate, at });
    expect(applied?.id).toBe('conv-a');
    expect(store.claims.get('other@customer.example')).toBe('conv-a');
  });

  it('treats a join of its own candidate (a retry after a crash) as the creation it was', async () => {
    const store = new FakeStore();
    await store.create({ id: 'conv-b', channelId: channel.id, ticketNumber: candidate.ticketNumber, replyToken: null, createdAt: at });
    await store.claim(channel.id, 'root@customer.example', 'conv-b');
    const ref = await store.join('conv-b', []);
    const decision: ThreadDecision = { ...newDecision, action: 'join', rule: 'in-reply-to', conversation: ref };
    const applied = await applyThread({ store }, { channel, message, decision, candidate, at });
    expect(applied).toMatchObject({ id: 'conv-b', created: true });
    expect(store.conversations.get('conv-b')?.visibility).toBe('published');
  });

  it('joins an existing conversation, claiming the message id for it', async () => {
    const store = new FakeStore();
    await store.create({ id: 'conv-x', channelId: channel.id, ticketNumber: '0000011', replyToken: null, createdAt: at });
    const decision: ThreadDecision = { ...newDecision, action: 'join', rule: 'in-reply-to', conversation: await store.join('conv-x', []), claimIds: ['reply-b@customer.example'] };
    const applied = await applyThread({ store }, { channel, message, decision, candidate: null, at });
    expect(applied).toMatchObject({ id: 'conv-x', created: false });
    expect(store.claims.get('reply-b@customer.example')).toBe('conv-x');
  });

  it('writes nothing for an unattached message', async () => {
    const store = new FakeStore();
    const decision: ThreadDecision = { ...newDecision, action: 'unattached', rule: 'unattached' };
    expect(await applyThread({ store }, { channel, message, decision, candidate: null, at })).toBeNull();
    expect(store.claims.size).toBe(0);
  });
});
