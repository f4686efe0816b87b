import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../../functions/core/errors.ts';
import { MemoryTicketSequence } from '../../../../functions/adapters/memory/memory-ticket-sequence.ts';
import { InMemoryThreading } from '../../../../functions/cli/in-memory-threading.ts';
import { recordSentMessage } from '../../../../functions/core/conversation/record-sent.ts';
import { resolveThread } from '../../../../functions/core/conversation/resolve-thread.ts';
import { formatTicketNumber } from '../../../../functions/core/mail/ticket-number.ts';
import type { ChannelSettings } from '../../../../functions/core/model/channel.ts';
import type { ThreadDecision } from '../../../../functions/core/model/conversation.ts';
import type { ParsedMessage } from '../../../../functions/core/model/message.ts';
import type { TicketSequence } from '../../../../functions/core/ports/conversation-store.ts';
import { addr, channelSettings, classification, parsedMessage } from '../../../support/factories.ts';

function setup(options: { channel?: ChannelSettings; tickets?: TicketSequence } = {}) {
  const channel = options.channel ?? channelSettings();
  let n = 0;
  const store = new InMemoryThreading({ ids: { next: () => `Id${++n}` }, ...(options.tickets ? { tickets: options.tickets } : {}) });
  const decide = (message: ParsedMessage, ch: ChannelSettings = channel) =>
    resolveThread({ lookup: store }, { channel: ch, message, classification: classification(), recipients: [] });
  const deliver = async (message: ParsedMessage, ch: ChannelSettings = channel) => store.apply(ch.id, await decide(message, ch), { channel: ch, message });
  return { store, channel, decide, deliver };
}

const decision = (overrides: Partial<ThreadDecision>): ThreadDecision => ({
  action: 'new',
  rule: 'new-conversation',
  conversation: null,
  signals: [],
  reason: 'test',
  flags: [],
  claimIds: [],
  ...overrides,
});

describe('InMemoryThreading.apply', () => {
  it('creates a conversation with the next ticket number, an id and a lowercase reply token', async () => {
    // Arrange
    const { channel, deliver } = setup();

    // Act
    const created = await deliver(parsedMessage({ messageId: 'a@customer.example' }));

    // Assert
    expect(created).toEqual({
      id: 'Id1',
      channelId: channel.id,
      ticketNumber: formatTicketNumber(1, channel.ticket),
      participants: ['customer@customer.example'],
      status: 'open',
      lastAgent: null,
      replyToken: 'id2',
      created: true,
    });
  });

  it('has no reply token when the channel does not use them', async () => {
    // Arrange
    const { deliver } = setup({ channel: channelSettings({ replyToken: false }) });

    // Act
    const created = await deliver(parsedMessage());

    // Assert
    expect(created?.replyToken).toBeNull();
  });

  it('adds From, Reply-To, To and Cc as participants but not the channel’s own addresses', async () => {
    // Arrange
    const { deliver } = setup({ channel: channelSettings({ aliases: ['help@example.org'] }) });
    const message = parsedMessage({
      from: addr('A <A@Customer.Example>'),
      replyTo: [addr('replies@customer.example')],
      to: [addr('support@example.com'), addr('help@example.org'), addr('colleague@customer.example')],
      cc: [addr('support+tok123@example.com'), addr('boss@customer.example')],
    });

    // Act
    const created = await deliver(message);

    // Assert
    expect(created?.participants.sort()).toEqual(
      ['a@customer.example', 'boss@customer.example', 'colleague@customer.example', 'replies@customer.example'].sort(),
    );
  });

  it('keeps one conversation when the same message is delivered twice', async () => {
    // Arrange
    const { store, deliver } = setup();
    const message = parsedMessage({ messageId: 'dup@customer.example' });
    const first = await deliver(message);

    // Act
    const second = await deliver(message);

    // Assert
    expect(second).toMatchObject({ id: first?.id, created: false });
    expect(store.list()).toHaveLength(1);
  });

  it('puts two racing replies to an unseen message into one conversation', async () => {
    // Arrange: both are decided before either is written, as two Lambdas would.
    const { store, channel, decide } = setup();
    const a = parsedMessage({ messageId: 'a@x.example', inReplyTo: 'root@x.example', references: ['root@x.example'] });
    const b = parsedMessage({ messageId: 'b@x.example', inReplyTo: 'root@x.example', references: ['root@x.example'] });
    const [da, db] = await Promise.all([decide(a), decide(b)]);

    // Act
    const [ca, cb] = await Promise.all([store.apply(channel.id, da, { channel, message: a }), store.apply(channel.id, db, { channel, message: b })]);

    // Assert
    expect([da.action, db.action]).toEqual(['new', 'new']);
    expect(cb?.id).toBe(ca?.id);
    expect([ca?.created, cb?.created]).toEqual([true, false]);
    expect(store.list()).toHaveLength(1);
  });

  it('joins the winner when a claim is taken while the ticket counter is awaited', async () => {
    // Arrange: a counter that yields, so the second write lands in between.
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inner = new MemoryTicketSequence();
    const slow: TicketSequence = {
      next: async (id) => {
        const n = await inner.next(id);
        if (n === 1) await gate;
        return n;
      },
    };
    const { store, channel } = setup({ tickets: slow });
    const claim = decision({ claimIds: ['root@x.example'] });
    const message = parsedMessage({ messageId: null });
    const first = store.apply(channel.id, claim, { channel, message });

    // Act
    const second = await store.apply(channel.id, claim, { channel, message });
    release();
    const firstResult = await first;

    // Assert
    expect(firstResult).toMatchObject({ id: second?.id, created: false });
    expect(second?.ticketNumber).toBe(formatTicketNumber(2, channel.ticket));
    expect(store.list()).toHaveLength(1);
  });

  it('links a parent that arrives after its reply (ghost parent) to the reply’s conversation', async () => {
    // Arrange
    const { store, deliver } = setup();
    const child = await deliver(parsedMessage({ messageId: 'child@x.example', inReplyTo: 'root@x.example', references: ['root@x.example'] }));

    // Act
    const root = await deliver(parsedMessage({ messageId: 'root@x.example' }));

    // Assert
    expect(root).toMatchObject({ id: child?.id, created: false });
    expect(store.list()).toHaveLength(1);
  });

  it('links siblings through a ghost id claimed on join (RT-Ticket style)', async () => {
    // Arrange
    const { store, deliver } = setup();
    const original = await deliver(parsedMessage({ messageId: 'orig@x.example' }));
    await deliver(parsedMessage({ messageId: 'auto@rt.example', inReplyTo: 'orig@x.example', references: ['RT-Ticket-1@rt.example', 'orig@x.example'] }));

    // Act
    const resolved = await deliver(parsedMessage({ messageId: 'resolved@rt.example', references: ['RT-Ticket-1@rt.example'] }));

    // Assert
    expect(resolved?.id).toBe(original?.id);
    expect(store.list()).toHaveLength(1);
  });

  it('reopens a closed conversation on join', async () => {
    // Arrange
    const { store, deliver } = setup();
    const conversation = await deliver(parsedMessage({ messageId: 'a@x.example' }));
    store.close(conversation?.id ?? '');

    // Act
    const joined = await deliver(parsedMessage({ messageId: 'b@x.example', inReplyTo: 'a@x.example' }));

    // Assert
    expect(joined).toMatchObject({ id: conversation?.id, status: 'open', created: false });
  });

  it('does not move an id claimed by another conversation (first writer wins)', async () => {
    // Arrange
    const { store, channel, deliver } = setup();
    const one = await deliver(parsedMessage({ messageId: 'one@x.example' }));
    const two = await deliver(parsedMessage({ messageId: 'two@x.example' }));

    // Act
    await store.apply(channel.id, decision({ action: 'join', rule: 'in-reply-to', conversation: two, claimIds: ['one@x.example', 'three@x.example'] }), {
      channel,
      message: parsedMessage(),
    });
    const found = await store.findByMessageIds(channel.id, ['one@x.example', 'three@x.example']);

    // Assert
    expect(found.get('one@x.example')?.id).toBe(one?.id);
    expect(found.get('three@x.example')?.id).toBe(two?.id);
  });

  it('returns null for an unattached message and claims nothing', async () => {
    // Arrange
    const { store, channel } = setup();

    // Act
    const result = await store.apply(channel.id, decision({ action: 'unattached', rule: 'unattached', claimIds: ['ooo@x.example'] }), {
      channel,
      message: parsedMessage(),
    });

    // Assert
    expect(result).toBeNull();
    expect((await store.findByMessageIds(channel.id, ['ooo@x.example'])).size).toBe(0);
  });

  it('refuses to join an unknown conversation', async () => {
    // Arrange
    const { store, channel } = setup();
    const ghost = { id: 'nope', channelId: channel.id, ticketNumber: '0000013', participants: [], status: 'open' as const, lastAgent: null, replyToken: null };

    // Act
    const act = store.apply(channel.id, decision({ action: 'join', rule: 'in-reply-to', conversation: ghost }), { channel, message: parsedMessage() });

    // Assert
    await expect(act).rejects.toThrow(NotFoundError);
  });

  it('refuses to join a conversation of another channel', async () => {
    // Arrange
    const { store, channel, deliver } = setup();
    const conversation = await deliver(parsedMessage());

    // Act
    const act = store.apply('sales', decision({ action: 'join', rule: 'in-reply-to', conversation }), { channel, message: parsedMessage() });

    // Assert
    await expect(act).rejects.toThrow(NotFoundError);
  });

  it('keeps channels apart', async () => {
    // Arrange
    const { store, deliver } = setup();
    const sales = channelSettings({ id: 'sales', address: 'sales@example.com' });
    const message = parsedMessage({ messageId: 'same@x.example' });

    // Act
    const a = await deliver(message);
    const b = await deliver(message, sales);

    // Assert: two conversations, and two ticket numbers: one counter serves every channel
    expect(b?.id).not.toBe(a?.id);
    expect(b?.ticketNumber).not.toBe(a?.ticketNumber);
    expect(await store.findByTicketNumber('sales', b?.ticketNumber ?? '')).toMatchObject({ id: b?.id });
    expect(await store.findByTicketNumber('sales', a?.ticketNumber ?? '')).toBeNull();
  });
});

describe('InMemoryThreading lookups and outbound', () => {
  it('finds a conversation by ticket number and by reply token in any case', async () => {
    // Arrange
    const { store, channel, deliver } = setup();
    const created = await deliver(parsedMessage());

    // Act
    const byTicket = await store.findByTicketNumber(channel.id, created?.ticketNumber ?? '');
    const byToken = await store.findByReplyToken(channel.id, (created?.replyToken ?? '').toUpperCase());
    const missing = await store.findByTicketNumber(channel.id, '9999999');

    // Assert
    expect([byTicket?.id, byToken?.id, missing]).toEqual([created?.id, created?.id, null]);
  });

  it('records outbound mail as a threading target with its recipients and agent', async () => {
    // Arrange
    const { store, channel, deliver } = setup();
    const created = await deliver(parsedMessage());

    // Act
    await recordSentMessage(store, {
      channelId: channel.id,
      conversationId: created?.id ?? '',
      messageId: 'out-1',
      threadIds: ['out-1@example.com'],
      recipients: ['Partner@Other.Example'],
      agentId: 'agent-7',
      at: '2026-11-22T10:00:00.000Z',
    });
    const found = await store.findByMessageIds(channel.id, ['out-1@example.com']);

    // Assert
    expect(found.get('out-1@example.com')).toMatchObject({ id: created?.id, lastAgent: 'agent-7' });
    expect(store.conversation(created?.id ?? '').participants).toContain('partner@other.example');
  });

  it('refuses outbound mail for an unknown conversation', async () => {
    // Arrange
    const { store, channel } = setup();

    // Act
    const act = recordSentMessage(store, {
      channelId: channel.id,
      conversationId: 'nope',
      messageId: 'out-1',
      threadIds: ['x@example.com'],
      recipients: [],
      agentId: null,
      at: '2026-11-22T10:00:00.000Z',
    });

    // Assert
    await expect(act).rejects.toThrow(NotFoundError);
  });
});

describe('InMemoryThreading own-id claims (as the DynamoDB store keeps them)', () => {
  it('keeps the first owner and the first claim of a Message-ID, each on its own', async () => {
    // Arrange: a reply claimed the id as a reference; an unattached message owns another id
    const { store, channel } = setup();
    await store.claim(channel.id, 'parent@x', 'conv-a');
    await store.claimOwn(channel.id, 'ooo@x', 'm-ooo', null);
    // Act
    const parent = await store.claimOwn(channel.id, 'parent@x', 'm-parent', 'conv-b');
    const copy = await store.claimOwn(channel.id, 'parent@x', 'm-copy', 'conv-c');
    const claimedLater = await store.claim(channel.id, 'ooo@x', 'conv-d');
    // Assert
    expect(parent).toEqual({ conversationId: 'conv-a', owner: 'm-parent' });
    expect(copy).toEqual({ conversationId: 'conv-a', owner: 'm-parent' });
    expect(claimedLater).toBe('conv-d');
    expect(await store.findClaims(channel.id, ['parent@x', 'ooo@x', 'unknown@x'])).toEqual(
      new Map([
        ['parent@x', { conversationId: 'conv-a', owner: 'm-parent' }],
        ['ooo@x', { conversationId: 'conv-d', owner: 'm-ooo' }],
      ]),
    );
  });
});
