import { describe, expect, it } from 'vitest';
import { BusyError } from '../../../../functions/core/errors.ts';
import { applyThread } from '../../../../functions/core/conversation/apply-thread.ts';
import { MemoryConversationStore } from '../../../../functions/adapters/memory/memory-conversation-store.ts';
import { formatTicketNumber } from '../../../../functions/core/mail/ticket-number.ts';
import type { ThreadDecision } from '../../../../functions/core/model/conversation.ts';
import type { ConversationStore, NewConversation } from '../../../../functions/core/ports/conversation-store.ts';
import { addr, channelSettings, parsedMessage } from '../../../support/factories.ts';

const channel = channelSettings();
const message = parsedMessage({ messageId: 'reply-b@customer.example', inReplyTo: 'root@customer.example', references: ['root@customer.example'] });
const newDecision: ThreadDecision = {
  action: 'new',
  rule: 'new-conversation',
  conversation: null,
  signals: [],
  reason: 'nothing known',
  flags: [],
  claimIds: ['reply-b@customer.example', 'root@customer.example'],
};
const candidate = { conversationId: 'conv-b', ticketNumber: '0000029', replyToken: null };
const at = '2026-11-22T10:00:00.000Z';

function storeAnd() {
  const store = new MemoryConversationStore();
  const conversation = (id: string, ticketNumber = '0000011'): NewConversation => ({
    id,
    channelId: channel.id,
    ticketNumber,
    replyToken: null,
    createdAt: at,
  });
  /** A conversation another attempt created and published. */
  const published = async (id: string, ...claims: string[]) => {
    await store.create(conversation(id));
    for (const c of claims) await store.claim(channel.id, c, id);
    return store.publish(conversation(id), [], at, { reopen: false });
  };
  return { store, conversation, published };
}

describe('applyThread', () => {
  it('creates and publishes the candidate when every claim is won', async () => {
    const { store } = storeAnd();
    const applied = await applyThread({ store }, { channel, message, decision: newDecision, candidate, at });
    expect(applied).toMatchObject({ id: 'conv-b', created: true, participants: ['customer@customer.example'] });
    expect(await store.findByTicketNumber(channel.id, '0000029')).toMatchObject({ id: 'conv-b' });
  });

  it('joins the winner when a shared reference is already claimed, and hands over its own claim', async () => {
    // Arrange: the other reply already created conv-a and claimed the root
    const { store, published } = storeAnd();
    await published('conv-a', 'root@customer.example');
    // Act
    const applied = await applyThread({ store }, { channel, message, decision: newDecision, candidate, at });
    // Assert: the candidate is merged, never findable by its ticket; its claim moved over
    expect(applied).toMatchObject({ id: 'conv-a', created: false, ticketNumber: '0000011' });
    expect((await store.findByMessageIds(channel.id, ['reply-b@customer.example'])).get('reply-b@customer.example')?.id).toBe('conv-a');
    expect(await store.findByTicketNumber(channel.id, '0000029')).toBeNull();
    expect(store.list().map((c) => c.id)).toEqual(['conv-a']);
  });

  it('claims in sorted order and moves claims it won before losing a later one', async () => {
    const { store, published } = storeAnd();
    await published('conv-a', 'reply-b@customer.example');
    const claimed: string[] = [];
    const spy: ConversationStore = Object.assign(Object.create(store) as ConversationStore, {
      claim: async (c: string, id: string, conv: string) => {
        claimed.push(id);
        return store.claim(c, id, conv);
      },
    });
    const decision = { ...newDecision, claimIds: ['reply-b@customer.example', 'other@customer.example'] };
    const applied = await applyThread({ store: spy }, { channel, message, decision, candidate, at });
    expect(applied?.id).toBe('conv-a');
    expect(claimed).toEqual(['other@customer.example', 'reply-b@customer.example']);
    expect((await store.findByMessageIds(channel.id, ['other@customer.example'])).get('other@customer.example')?.id).toBe('conv-a');
  });

  it('never merges two racing candidates into each other (mail and its quick reply, both new)', async () => {
    // Arrange: X (own x1, refs p) and Y (own y1, In-Reply-To x1, refs p) decided before either wrote,
    // claims interleaved one by one — the order that made each lose to the other when claims were unordered.
    const { store } = storeAnd();
    const X = parsedMessage({ messageId: 'x1@customer.example', references: ['p@customer.example'] });
    const Y = parsedMessage({
      messageId: 'y1@other.example',
      inReplyTo: 'x1@customer.example',
      references: ['p@customer.example', 'x1@customer.example'],
      from: addr('bob@other.example'),
    });
    let turn = Promise.resolve();
    const interleaved: ConversationStore = Object.assign(Object.create(store) as ConversationStore, {
      claim: async (c: string, id: string, conv: string) => {
        await turn;
        turn = new Promise((r) => setTimeout(r, 0));
        return store.claim(c, id, conv);
      },
    });
    // Act
    const [x, y] = await Promise.all([
      applyThread(
        { store: interleaved, pause: async () => new Promise((r) => setTimeout(r, 1)) },
        {
          channel,
          message: X,
          decision: { ...newDecision, claimIds: ['x1@customer.example', 'p@customer.example'] },
          candidate: { ...candidate, conversationId: 'conv-x' },
          at,
        },
      ),
      applyThread(
        { store: interleaved, pause: async () => new Promise((r) => setTimeout(r, 1)) },
        {
          channel,
          message: Y,
          decision: { ...newDecision, claimIds: ['y1@other.example', 'x1@customer.example', 'p@customer.example'] },
          candidate: { ...candidate, conversationId: 'conv-y' },
          at,
        },
      ),
    ]);
    // Assert
    expect(x?.id).toBe(y?.id);
    expect(store.list()).toHaveLength(1);
    const found = await store.findByMessageIds(channel.id, ['p@customer.example', 'x1@customer.example', 'y1@other.example']);
    expect(new Set([...found.values()].map((c) => c.id))).toEqual(new Set([x?.id]));
  });

  it('treats a join of its own candidate (a retry after a crash) as the creation it was', async () => {
    const { store, conversation } = storeAnd();
    await store.create(conversation('conv-b', candidate.ticketNumber));
    await store.claim(channel.id, 'root@customer.example', 'conv-b');
    const ref = (await store.findByMessageIds(channel.id, ['root@customer.example'])).get('root@customer.example') ?? null;
    const decision: ThreadDecision = { ...newDecision, action: 'join', rule: 'in-reply-to', conversation: ref };
    const applied = await applyThread({ store }, { channel, message, decision, candidate, at });
    expect(applied).toMatchObject({ id: 'conv-b', created: true });
    expect(await store.findByTicketNumber(channel.id, candidate.ticketNumber)).toMatchObject({ id: 'conv-b' });
  });

  it('joins an existing conversation, claiming the message id for it', async () => {
    const { store, published } = storeAnd();
    const decision: ThreadDecision = {
      ...newDecision,
      action: 'join',
      rule: 'in-reply-to',
      conversation: await published('conv-x'),
      claimIds: ['reply-b@customer.example'],
    };
    const applied = await applyThread({ store }, { channel, message, decision, candidate: null, at });
    expect(applied).toMatchObject({ id: 'conv-x', created: false });
    expect((await store.findByMessageIds(channel.id, ['reply-b@customer.example'])).get('reply-b@customer.example')?.id).toBe('conv-x');
  });

  it('refuses to join another attempt’s pending candidate (it may still lose), with a retryable BusyError', async () => {
    // Arrange: conv-p is mid-creation, claims taken, not yet published or merged
    const { store, conversation } = storeAnd();
    await store.create(conversation('conv-p'));
    const pending = {
      id: 'conv-p',
      channelId: channel.id,
      ticketNumber: '0000011',
      participants: [],
      status: 'open' as const,
      lastAgent: null,
      replyToken: null,
    };
    const decision: ThreadDecision = { ...newDecision, action: 'join', rule: 'in-reply-to', conversation: pending, claimIds: ['reply-b@customer.example'] };
    // Act
    const error = await applyThread({ store }, { channel, message, decision, candidate: null, at }).catch((e: unknown) => e);
    // Assert: nothing claimed for it
    expect(error).toBeInstanceOf(BusyError);
    expect((error as BusyError).retryable).toBe(true);
    expect((await store.findByMessageIds(channel.id, ['reply-b@customer.example'])).size).toBe(0);
  });

  it('waits for a pending candidate to settle and joins where it ended (merged → its winner)', async () => {
    const { store, conversation, published } = storeAnd();
    await published('conv-w');
    await store.create(conversation('conv-p'));
    const pending = {
      id: 'conv-p',
      channelId: channel.id,
      ticketNumber: '0000012',
      participants: [],
      status: 'open' as const,
      lastAgent: null,
      replyToken: null,
    };
    const decision: ThreadDecision = { ...newDecision, action: 'join', rule: 'in-reply-to', conversation: pending, claimIds: ['reply-b@customer.example'] };
    const pause = async (): Promise<void> => {
      await store.markMerged('conv-p', 'conv-w', at);
    };
    const applied = await applyThread({ store, pause }, { channel, message, decision, candidate: null, at });
    expect(applied).toMatchObject({ id: 'conv-w', created: false, participants: ['customer@customer.example'] });
  });

  it('lets an automatic answer join a closed conversation without reopening it', async () => {
    const { store, published } = storeAnd();
    const closed = await published('conv-c');
    store.close('conv-c');
    const decision: ThreadDecision = { ...newDecision, action: 'join', rule: 'in-reply-to', conversation: { ...closed, status: 'closed' }, claimIds: [] };
    const ooo = await applyThread({ store }, { channel, message, decision, candidate: null, at, lane: 'out-of-office' });
    expect(ooo?.status).toBe('closed');
    const human = await applyThread({ store }, { channel, message, decision, candidate: null, at, lane: 'human' });
    expect(human?.status).toBe('open');
  });

  it('adds no Reply-To, To or Cc from flagged mail, and nobody from unauthenticated mail', async () => {
    const { store, published } = storeAnd();
    const target = await published('conv-t');
    const spoof = parsedMessage({ from: addr('carla@customer.example'), replyTo: [addr('mallory@evil.example')], cc: [addr('eve@evil.example')] });
    const decision: ThreadDecision = {
      ...newDecision,
      action: 'join',
      rule: 'reply-token',
      conversation: target,
      claimIds: [],
      flags: ['reply-token-from-non-participant'],
    };
    const flagged = await applyThread({ store }, { channel, message: spoof, decision, candidate: null, at });
    expect(flagged?.participants).toEqual(['carla@customer.example']);
    const forged = await applyThread(
      { store },
      {
        channel,
        message: parsedMessage({ from: addr('boss@customer.example'), replyTo: [addr('mallory@evil.example')] }),
        decision: { ...decision, flags: [] },
        candidate: null,
        at,
        tags: ['dmarc-fail'],
      },
    );
    expect(forged?.participants).toEqual(['carla@customer.example']);
  });

  it('claims its own id with its ownership: a late parent, claimed before only as a reference, joins and is no copy', async () => {
    // Arrange: a reply (in conv-a) claimed the parent's id as a reference; the parent arrives now
    const { store, published } = storeAnd();
    await published('conv-a', 'parent@customer.example');
    const parent = parsedMessage({ messageId: 'parent@customer.example' });
    const decision: ThreadDecision = { ...newDecision, claimIds: ['parent@customer.example'] };
    // Act
    const applied = await applyThread({ store }, { channel, message: parent, decision, candidate, at, owner: 'm-parent' });
    // Assert
    expect(applied).toMatchObject({ id: 'conv-a', created: false });
    expect(applied?.copy).toBeUndefined();
    expect((await store.findClaims(channel.id, ['parent@customer.example'])).get('parent@customer.example')).toEqual({
      conversationId: 'conv-a',
      owner: 'm-parent',
    });
  });

  it('finds a second copy in its claims: the candidate is merged away, nothing is joined', async () => {
    // Arrange: the first copy created conv-a and owns the id; the conversation was closed since
    const { store, conversation } = storeAnd();
    await store.create(conversation('conv-a'));
    await store.claimOwn(channel.id, 'reply-b@customer.example', 'm-first', 'conv-a');
    await store.publish(conversation('conv-a'), [], at, { reopen: false });
    store.close('conv-a');
    const decision: ThreadDecision = { ...newDecision, claimIds: ['reply-b@customer.example'] };
    // Act
    const applied = await applyThread({ store }, { channel, message, decision, candidate, at, owner: 'm-second' });
    // Assert
    expect(applied).toMatchObject({ id: 'conv-a', created: false, copy: true, status: 'closed', participants: [] });
    expect(await store.findByTicketNumber(channel.id, candidate.ticketNumber)).toBeNull();
    expect(store.list().map((c) => c.id)).toEqual(['conv-a']);
    expect((await store.findClaims(channel.id, ['reply-b@customer.example'])).get('reply-b@customer.example')?.owner).toBe('m-first');
  });

  it('flags a copy that raced the first one into the same conversation', async () => {
    // Arrange: the first copy owns the id and claimed it for conv-x, which this copy joins too
    const { store, published } = storeAnd();
    const target = await published('conv-x');
    await store.claimOwn(channel.id, 'reply-b@customer.example', 'm-first', 'conv-x');
    const decision: ThreadDecision = { ...newDecision, action: 'join', rule: 'in-reply-to', conversation: target, claimIds: ['reply-b@customer.example'] };
    // Act
    const applied = await applyThread({ store }, { channel, message, decision, candidate: null, at, owner: 'm-second' });
    // Assert
    expect(applied).toMatchObject({ id: 'conv-x', copy: true });
  });

  it('draws the ticket number of a candidate without one, and a retry keeps the number the conversation was created with', async () => {
    // Arrange: the first attempt created the conversation, then crashed
    const { store } = storeAnd();
    let drawn = 0;
    const tickets = { next: async () => ++drawn };
    const open = { ...candidate, ticketNumber: null };
    const crashing = Object.assign(Object.create(store) as ConversationStore, { claimOwn: async () => Promise.reject(new Error('crash')) });
    await applyThread({ store: crashing, tickets }, { channel, message, decision: newDecision, candidate: open, at, owner: 'm-1' }).catch(() => undefined);
    // Act
    const applied = await applyThread({ store, tickets }, { channel, message, decision: newDecision, candidate: open, at, owner: 'm-1' });
    // Assert
    expect(drawn).toBe(2);
    const first = formatTicketNumber(1, channel.ticket);
    expect(applied).toMatchObject({ id: 'conv-b', created: true, ticketNumber: first });
    expect(await store.findByTicketNumber(channel.id, first)).toMatchObject({ id: 'conv-b' });
    expect(await store.findByTicketNumber(channel.id, formatTicketNumber(2, channel.ticket))).toBeNull();
  });

  it('writes nothing for an unattached message', async () => {
    const { store } = storeAnd();
    const decision: ThreadDecision = { ...newDecision, action: 'unattached', rule: 'unattached' };
    expect(await applyThread({ store }, { channel, message, decision, candidate: null, at })).toBeNull();
    expect((await store.findByMessageIds(channel.id, newDecision.claimIds)).size).toBe(0);
  });
});
