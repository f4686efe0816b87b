import { describe, expect, it } from 'vitest';
import { InMemoryThreading } from '../../../../functions/cli/in-memory-threading.ts';
import { recordSentMessage } from '../../../../functions/core/conversation/record-sent.ts';
import { linkedConversationId, resolveThread, type ResolveThreadInput } from '../../../../functions/core/conversation/resolve-thread.ts';
import { formatTicketNumber } from '../../../../functions/core/mail/ticket-number.ts';
import type { ChannelSettings } from '../../../../functions/core/model/channel.ts';
import type { Classification } from '../../../../functions/core/model/classification.ts';
import type { ConversationRef, ThreadDecision } from '../../../../functions/core/model/conversation.ts';
import type { ParsedMessage } from '../../../../functions/core/model/message.ts';
import { addr, channelSettings, classification, parsedMessage } from '../../../support/factories.ts';

const CUSTOMER = 'customer@customer.example';

function setup(channel: ChannelSettings = channelSettings()) {
  let n = 0;
  const store = new InMemoryThreading({ ids: { next: () => `ID${++n}` } });
  const resolve = (message: ParsedMessage, overrides: Partial<Omit<ResolveThreadInput, 'message'>> = {}) =>
    resolveThread({ lookup: store }, { channel, message, classification: classification(), recipients: ['support@example.com'], ...overrides });
  /** Opens a conversation from a first customer mail and returns it. */
  const open = async (messageId: string, from = CUSTOMER): Promise<ConversationRef> => {
    const message = parsedMessage({ messageId, from: addr(from) });
    const applied = await store.apply(channel.id, await resolve(message), { channel, message });
    if (!applied) throw new Error('not created');
    return applied;
  };
  return { store, resolve, open, channel };
}

const signal = (decision: ThreadDecision, kind: string) => decision.signals.find((s) => s.kind === kind);

describe('resolveThread: new conversations', () => {
  it('opens a new conversation for human mail without signals and claims its own id', async () => {
    // Arrange
    const { resolve } = setup();

    // Act
    const decision = await resolve(parsedMessage({ messageId: 'first@customer.example' }));

    // Assert
    expect(decision).toMatchObject({ action: 'new', rule: 'new-conversation', conversation: null, flags: [], signals: [] });
    expect(decision.claimIds).toEqual(['first@customer.example']);
  });

  it('claims unknown parents of a new thread (In-Reply-To, then References newest first)', async () => {
    // Arrange
    const { resolve } = setup();
    const message = parsedMessage({
      messageId: 'c@x.example',
      inReplyTo: 'b@x.example',
      references: ['root@x.example', 'a@x.example', 'b@x.example'],
    });

    // Act
    const decision = await resolve(message);

    // Assert
    expect(decision.action).toBe('new');
    expect(decision.claimIds).toEqual(['c@x.example', 'b@x.example', 'a@x.example', 'root@x.example']);
    expect(decision.signals.map((s) => [s.kind, s.value, s.ignored])).toEqual([
      ['in-reply-to', 'b@x.example', 'points at no known conversation'],
      ['references', 'a@x.example', 'points at no known conversation'],
      ['references', 'root@x.example', 'points at no known conversation'],
    ]);
  });

  it('opens a new conversation for bulk mail like for human mail', async () => {
    // Arrange
    const { resolve } = setup();

    // Act
    const decision = await resolve(parsedMessage(), { classification: classification({ lane: 'bulk' }) });

    // Assert
    expect(decision).toMatchObject({ action: 'new', rule: 'new-conversation' });
  });

  it('claims nothing of its own for a message without Message-ID', async () => {
    // Arrange
    const { resolve } = setup();

    // Act
    const decision = await resolve(parsedMessage({ messageId: null, inReplyTo: 'ghost@x.example' }));

    // Assert
    expect(decision.action).toBe('new');
    expect(decision.claimIds).toEqual(['ghost@x.example']);
  });

  it('never looks up or claims ids that are not shaped like x@y (git-send-email "<yes>")', async () => {
    // Arrange
    const { resolve, open } = setup();
    await open('yes');

    // Act
    const decision = await resolve(parsedMessage({ messageId: 'patch@x.example', inReplyTo: 'yes', references: ['yes'] }));

    // Assert
    expect(decision.action).toBe('new');
    expect(decision.claimIds).toEqual(['patch@x.example']);
    expect(signal(decision, 'in-reply-to')).toEqual({
      kind: 'in-reply-to',
      value: 'yes',
      conversationId: null,
      ignored: 'not shaped like a message id',
    });
  });

  it('does not claim a malformed own Message-ID', async () => {
    // Arrange
    const { resolve } = setup();

    // Act
    const decision = await resolve(parsedMessage({ messageId: '12345' }));

    // Assert
    expect(decision.claimIds).toEqual([]);
  });
});

describe('resolveThread: header signals', () => {
  it('joins by In-Reply-To and claims referenced ids it has not seen', async () => {
    // Arrange
    const { resolve, open } = setup();
    const conversation = await open('root@customer.example');
    const reply = parsedMessage({
      messageId: 'reply@customer.example',
      inReplyTo: 'root@customer.example',
      references: ['ghost@customer.example', 'root@customer.example'],
    });

    // Act
    const decision = await resolve(reply);

    // Assert
    expect(decision).toMatchObject({ action: 'join', rule: 'in-reply-to', flags: [] });
    expect(decision.conversation?.id).toBe(conversation.id);
    expect(decision.claimIds).toEqual(['reply@customer.example', 'ghost@customer.example']);
    expect(decision.reason).toContain(conversation.ticketNumber);
    expect(signal(decision, 'in-reply-to')).toMatchObject({ conversationId: conversation.id, ignored: null });
  });

  it('falls back to References, newest first, when In-Reply-To points at a missing message', async () => {
    // Arrange: notmuch "fake-root": In-Reply-To names a message that never existed.
    const { resolve, open } = setup();
    const conversation = await open('child@x.example');
    const message = parsedMessage({
      messageId: 'fake-root@x.example',
      inReplyTo: 'nonexistent@x.example',
      references: ['root@x.example', 'child@x.example', 'nonexistent@x.example'],
    });

    // Act
    const decision = await resolve(message);

    // Assert
    expect(decision).toMatchObject({ action: 'join', rule: 'references' });
    expect(decision.conversation?.id).toBe(conversation.id);
    expect(decision.claimIds).toEqual(['fake-root@x.example', 'nonexistent@x.example', 'root@x.example']);
  });

  it('lets In-Reply-To win over References that point at another conversation', async () => {
    // Arrange: Debbugs-style References in the wrong order point elsewhere.
    const { resolve, open } = setup();
    const parent = await open('parent@x.example');
    const other = await open('other@x.example');
    const message = parsedMessage({ messageId: 'm@x.example', inReplyTo: 'parent@x.example', references: ['parent@x.example', 'other@x.example'] });

    // Act
    const decision = await resolve(message);

    // Assert
    expect(decision.conversation?.id).toBe(parent.id);
    expect(decision.flags).toEqual(['thread-signals-disagree']);
    expect(signal(decision, 'references')).toEqual({
      kind: 'references',
      value: 'other@x.example',
      conversationId: other.id,
      ignored: 'outranked by in-reply-to',
    });
  });

  it('joins the conversation of a message the system sent', async () => {
    // Arrange
    const { resolve, open, store } = setup();
    const conversation = await open('root@customer.example');
    await recordSentMessage(store, {
      channelId: conversation.channelId,
      conversationId: conversation.id,
      messageId: 'out-1',
      threadIds: ['agent-reply@example.com'],
      recipients: [CUSTOMER],
      agentId: null,
      at: '2026-11-22T10:00:00.000Z',
    });

    // Act
    const decision = await resolve(parsedMessage({ messageId: 'r2@customer.example', inReplyTo: 'agent-reply@example.com' }));

    // Assert
    expect(decision).toMatchObject({ action: 'join', rule: 'in-reply-to' });
    expect(decision.conversation?.id).toBe(conversation.id);
  });

  it('joins a closed conversation (the store reopens it)', async () => {
    // Arrange
    const { resolve, open, store } = setup();
    const conversation = await open('root@customer.example');
    store.close(conversation.id);

    // Act
    const decision = await resolve(parsedMessage({ messageId: 'late@customer.example', inReplyTo: 'root@customer.example' }));

    // Assert
    expect(decision.action).toBe('join');
    expect(decision.conversation).toMatchObject({ id: conversation.id, status: 'closed' });
  });

  it('reads several ids from one In-Reply-To value', async () => {
    // Arrange
    const { resolve, open } = setup();
    const conversation = await open('second@x.example');

    // Act
    const decision = await resolve(parsedMessage({ messageId: 'm@x.example', inReplyTo: '<first@x.example> <second@x.example>' }));

    // Assert
    expect(decision).toMatchObject({ action: 'join', rule: 'in-reply-to' });
    expect(decision.conversation?.id).toBe(conversation.id);
    expect(decision.claimIds).toEqual(['m@x.example', 'first@x.example']);
  });

  it('ignores a reference to the message itself', async () => {
    // Arrange
    const { resolve } = setup();

    // Act
    const decision = await resolve(parsedMessage({ messageId: 'self@x.example', inReplyTo: 'self@x.example', references: ['self@x.example'] }));

    // Assert
    expect(decision.signals).toEqual([]);
    expect(decision.claimIds).toEqual(['self@x.example']);
  });
});

describe('resolveThread: ticket numbers', () => {
  it('joins by ticket number when the sender is a participant', async () => {
    // Arrange
    const { resolve, open } = setup();
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(parsedMessage({ messageId: 'new@customer.example', subject: `Still broken [#${conversation.ticketNumber}]` }));

    // Assert
    expect(decision).toMatchObject({ action: 'join', rule: 'ticket-number', flags: [] });
    expect(decision.conversation?.id).toBe(conversation.id);
  });

  it('compares the sender with participants case-insensitively', async () => {
    // Arrange
    const { resolve, open } = setup();
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(parsedMessage({ from: { name: '', address: 'Customer@Customer.Example' }, subject: `x [#${conversation.ticketNumber}]` }));

    // Assert
    expect(decision.rule).toBe('ticket-number');
  });

  it('does not let a stranger post into a conversation with its ticket number', async () => {
    // Arrange
    const { resolve, open } = setup();
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(
      parsedMessage({ messageId: 'evil@stranger.example', from: addr('stranger@stranger.example'), subject: `Re: [#${conversation.ticketNumber}]` }),
    );

    // Assert
    expect(decision).toMatchObject({
      action: 'new',
      rule: 'new-conversation',
      conversation: null,
      flags: ['ticket-number-from-non-participant', 'unauthenticated-follow-up'],
    });
    expect(linkedConversationId(decision)).toBe(conversation.id);
    expect(signal(decision, 'ticket-number')).toEqual({
      kind: 'ticket-number',
      value: conversation.ticketNumber,
      conversationId: conversation.id,
      ignored: 'sender is not a participant',
    });
  });

  it('treats a message without From as a stranger', async () => {
    // Arrange
    const { resolve, open } = setup();
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(parsedMessage({ from: null, subject: `[#${conversation.ticketNumber}]` }));

    // Assert
    expect(decision.flags).toContain('ticket-number-from-non-participant');
  });

  it('leaves automatic mail with a stranger’s ticket number unattached', async () => {
    // Arrange
    const { resolve, open } = setup();
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(
      parsedMessage({ from: addr('mailer-daemon@mx.example'), subject: `Undeliverable: Re: Help [#${conversation.ticketNumber}]` }),
      { classification: classification({ lane: 'bounce' }) },
    );

    // Assert
    expect(decision).toMatchObject({ action: 'unattached', rule: 'unattached', flags: ['ticket-number-from-non-participant', 'unauthenticated-follow-up'] });
    expect(linkedConversationId(decision)).toBe(conversation.id);
  });

  it('lets a stranger join through a header match, ticket number or not', async () => {
    // Arrange: a colleague of the customer answers the agent's mail.
    const { resolve, open } = setup();
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(
      parsedMessage({ from: addr('colleague@customer.example'), inReplyTo: 'root@customer.example', subject: `Re: [#${conversation.ticketNumber}]` }),
    );

    // Assert
    expect(decision).toMatchObject({ action: 'join', rule: 'in-reply-to', flags: [] });
    expect(signal(decision, 'ticket-number')).toMatchObject({ conversationId: conversation.id, ignored: 'sender is not a participant' });
  });

  it('records a ticket number that belongs to no conversation', async () => {
    // Arrange
    const { resolve } = setup();

    // Act
    const decision = await resolve(parsedMessage({ subject: `Help [#${formatTicketNumber(42, channelSettings().ticket)}]` }));

    // Assert
    expect(decision.action).toBe('new');
    expect(signal(decision, 'ticket-number')).toMatchObject({ conversationId: null, ignored: 'points at no known conversation' });
  });
});

describe('resolveThread: reply tokens', () => {
  it('joins by the token in a plus address of the channel', async () => {
    // Arrange
    const { resolve, open } = setup();
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(parsedMessage({ messageId: 'm@customer.example' }), {
      recipients: [`support+${conversation.replyToken}@example.com`],
    });

    // Assert
    expect(decision).toMatchObject({ action: 'join', rule: 'reply-token', flags: [] });
    expect(decision.conversation?.id).toBe(conversation.id);
  });

  it('accepts a token on an alias address', async () => {
    // Arrange
    const { resolve, open } = setup(channelSettings({ aliases: ['help@example.org'] }));
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(parsedMessage(), { recipients: [`help+${conversation.replyToken}@example.org`] });

    // Assert
    expect(decision.rule).toBe('reply-token');
  });

  it('opens a linked conversation for a stranger who uses the token', async () => {
    // Arrange: the token address may have been forwarded; whoever has it is not the customer.
    const { resolve, open } = setup();
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(parsedMessage({ from: addr('someone@else.example') }), {
      recipients: [`support+${conversation.replyToken}@example.com`],
    });

    // Assert
    expect(decision).toMatchObject({ action: 'new', rule: 'new-conversation', flags: ['reply-token-from-non-participant', 'unauthenticated-follow-up'] });
    expect(decision.reason).toBe(`no signal points at a usable conversation (reply-token of conversation ${conversation.id}: sender is not a participant)`);
    expect(linkedConversationId(decision)).toBe(conversation.id);
  });

  it('ranks the token above the ticket number', async () => {
    // Arrange
    const { resolve, open } = setup();
    const first = await open('one@customer.example');
    const second = await open('two@customer.example');

    // Act
    const decision = await resolve(parsedMessage({ subject: `[#${second.ticketNumber}]` }), {
      recipients: [`support+${first.replyToken}@example.com`],
    });

    // Assert
    expect(decision.conversation?.id).toBe(first.id);
    expect(signal(decision, 'ticket-number')?.ignored).toBe('outranked by reply-token');
  });

  it.each([
    ['the channel does not use tokens', channelSettings({ replyToken: false }), (t: string) => `support+${t}@example.com`],
    ['the domain is not the channel’s', channelSettings(), (t: string) => `support+${t}@evil.example`],
    ['the local part is not the channel’s', channelSettings(), (t: string) => `sales+${t}@example.com`],
    ['the token is empty', channelSettings(), () => 'support+@example.com'],
    ['the token has characters ids never have', channelSettings(), (t: string) => `support+${t}.x@example.com`],
  ])('ignores a token when %s', async (_label, channel, recipient) => {
    // Arrange
    const { resolve, open } = setup(channel);
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(parsedMessage(), { recipients: [recipient(conversation.replyToken ?? 'tok')] });

    // Assert
    expect(decision.action).toBe('new');
    expect(signal(decision, 'reply-token')).toBeUndefined();
  });
});

describe('resolveThread: automatic mail', () => {
  const report = (originalMessageId: string | null): Partial<Classification> => ({
    lane: 'bounce',
    deliveryReport: { recipients: [], originalMessageId },
  });

  it('attaches a bounce to the conversation of the enclosed original message', async () => {
    // Arrange
    const { resolve, open, store } = setup();
    const conversation = await open('root@customer.example');
    await recordSentMessage(store, {
      channelId: conversation.channelId,
      conversationId: conversation.id,
      messageId: 'out-1',
      threadIds: ['sent-1@example.com'],
      recipients: [CUSTOMER],
      agentId: null,
      at: '2026-11-22T10:00:00.000Z',
    });

    // Act
    const decision = await resolve(parsedMessage({ messageId: 'dsn@mx.example', from: addr('mailer-daemon@mx.example') }), {
      classification: classification(report('sent-1@example.com')),
    });

    // Assert
    expect(decision).toMatchObject({ action: 'join', rule: 'original-message', flags: [] });
    expect(decision.conversation?.id).toBe(conversation.id);
  });

  it.each([
    [
      'feedback report',
      { lane: 'feedback-report' as const, feedbackReport: { feedbackType: 'abuse', recipients: [], originalMessageId: 'sent-1@example.com' } },
    ],
    ['read receipt', { lane: 'read-receipt' as const, originalMessageId: 'sent-1@example.com' }],
  ])('attaches a %s by its original message', async (_label, overrides) => {
    // Arrange
    const { resolve, open, store } = setup();
    const conversation = await open('root@customer.example');
    await recordSentMessage(store, {
      channelId: conversation.channelId,
      conversationId: conversation.id,
      messageId: 'out-1',
      threadIds: ['sent-1@example.com'],
      recipients: [CUSTOMER],
      agentId: null,
      at: '2026-11-22T10:00:00.000Z',
    });

    // Act
    const decision = await resolve(parsedMessage(), { classification: classification(overrides) });

    // Assert
    expect(decision.rule).toBe('original-message');
  });

  it('leaves an out-of-office reply that answers nothing known unattached', async () => {
    // Arrange
    const { resolve } = setup();

    // Act
    const decision = await resolve(parsedMessage({ messageId: 'ooo@customer.example', inReplyTo: 'unknown@x.example' }), {
      classification: classification({ lane: 'out-of-office' }),
    });

    // Assert
    expect(decision).toMatchObject({ action: 'unattached', rule: 'unattached', conversation: null });
    expect(decision.claimIds).toEqual(['ooo@customer.example']);
  });

  it('joins an auto-reply by In-Reply-To', async () => {
    // Arrange
    const { resolve, open } = setup();
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(parsedMessage({ inReplyTo: 'root@customer.example' }), {
      classification: classification({ lane: 'auto-reply' }),
    });

    // Assert
    expect(decision.conversation?.id).toBe(conversation.id);
  });
});

describe('resolveThread: ignore-in-reply-to policy', () => {
  const channel = channelSettings({ threading: 'ignore-in-reply-to' });

  it('records headers as ignored, opens a new conversation and claims only its own id', async () => {
    // Arrange
    const { resolve, open } = setup(channel);
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(
      parsedMessage({ messageId: 'm@customer.example', inReplyTo: 'root@customer.example', references: ['root@customer.example'] }),
    );

    // Assert
    expect(decision).toMatchObject({ action: 'new', rule: 'new-conversation' });
    expect(decision.claimIds).toEqual(['m@customer.example']);
    expect(signal(decision, 'in-reply-to')).toEqual({
      kind: 'in-reply-to',
      value: 'root@customer.example',
      conversationId: conversation.id,
      ignored: 'channel ignores In-Reply-To and References',
    });
  });

  it('still joins by ticket number', async () => {
    // Arrange
    const { resolve, open } = setup(channel);
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(parsedMessage({ inReplyTo: 'root@customer.example', subject: `Re: [#${conversation.ticketNumber}]` }));

    // Assert
    expect(decision).toMatchObject({ action: 'join', rule: 'ticket-number' });
  });

  it('still attaches reports by their original message', async () => {
    // Arrange
    const { resolve, open, store } = setup(channel);
    const conversation = await open('root@customer.example');
    await recordSentMessage(store, {
      channelId: conversation.channelId,
      conversationId: conversation.id,
      messageId: 'out-1',
      threadIds: ['sent@example.com'],
      recipients: [CUSTOMER],
      agentId: null,
      at: '2026-11-22T10:00:00.000Z',
    });

    // Act
    const decision = await resolve(parsedMessage(), {
      classification: classification({ lane: 'bounce', deliveryReport: { recipients: [], originalMessageId: 'sent@example.com' } }),
    });

    // Assert
    expect(decision.rule).toBe('original-message');
  });
});

describe('resolveThread: forged senders', () => {
  const UNPROVEN = { authenticated: false, reason: 'dmarc=gray, spf=fail, dkim=gray: no pass aligned with customer.example' };

  it('does not let an unauthenticated sender post with a participant’s address and ticket number', async () => {
    // Arrange: the From header names the customer, but nothing the receiving side checked proves it
    const { resolve, open } = setup();
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(parsedMessage({ messageId: 'forged@evil.example', subject: `Re: [#${conversation.ticketNumber}]` }), {
      authentication: UNPROVEN,
    });

    // Assert
    expect(decision).toMatchObject({ action: 'new', rule: 'new-conversation', flags: ['unauthenticated-follow-up'] });
    expect(signal(decision, 'ticket-number')?.ignored).toBe(`sender is not authenticated (${UNPROVEN.reason})`);
    expect(linkedConversationId(decision)).toBe(conversation.id);
  });

  it('does not let an unauthenticated participant join by the reply token either', async () => {
    // Arrange
    const { resolve, open } = setup();
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(parsedMessage(), { recipients: [`support+${conversation.replyToken}@example.com`], authentication: UNPROVEN });

    // Assert
    expect(decision).toMatchObject({ action: 'new', flags: ['unauthenticated-follow-up'] });
    expect(signal(decision, 'reply-token')).toMatchObject({ conversationId: conversation.id, ignored: `sender is not authenticated (${UNPROVEN.reason})` });
  });

  it('lets an authenticated participant join by ticket number and by reply token', async () => {
    // Arrange
    const { resolve, open } = setup();
    const conversation = await open('root@customer.example');
    const proven = { authenticated: true, reason: 'spf=pass aligned (customer.example)' };

    // Act
    const byTicket = await resolve(parsedMessage({ subject: `Re: [#${conversation.ticketNumber}]` }), { authentication: proven });
    const byToken = await resolve(parsedMessage(), { recipients: [`support+${conversation.replyToken}@example.com`], authentication: proven });

    // Assert
    expect(byTicket).toMatchObject({ action: 'join', rule: 'ticket-number', flags: [] });
    expect(byToken).toMatchObject({ action: 'join', rule: 'reply-token', flags: [] });
    expect(linkedConversationId(byTicket)).toBeNull();
  });

  it('threads an unauthenticated reply by In-Reply-To: a Message-ID is only ever received, never typed', async () => {
    // Arrange
    const { resolve, open } = setup();
    const conversation = await open('root@customer.example');

    // Act
    const decision = await resolve(parsedMessage({ inReplyTo: 'root@customer.example', subject: `Re: [#${conversation.ticketNumber}]` }), {
      authentication: UNPROVEN,
    });

    // Assert
    expect(decision).toMatchObject({ action: 'join', rule: 'in-reply-to', flags: [] });
    expect(linkedConversationId(decision)).toBeNull();
  });
});
