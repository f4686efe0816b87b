import { describe, expect, it } from 'vitest';
import { MemoryConversationStore } from '../../../../functions/adapters/memory/memory-conversation-store.ts';
import { OwnIdProbe } from '../../../../functions/core/conversation/own-id-probe.ts';
import { threadMessage } from '../../../../functions/core/conversation/thread-message.ts';
import { confirmOnJoin, decideOnClaims } from '../../../../functions/core/inbound/decide-on-claims.ts';
import { decideMessage, type InboundDecision, type ParsedInboundInput } from '../../../../functions/core/inbound/decide-message.ts';
import { formatTicketNumber } from '../../../../functions/core/mail/ticket-number.ts';
import type { ParsedMessage } from '../../../../functions/core/model/message.ts';
import { addr, channelSettings, parsedMessage } from '../../../support/factories.ts';

const at = '2026-11-22T10:00:00.000Z';
const channel = channelSettings();
const [ticketC, ticketD, ticketK] = [1, 2, 3].map((n) => formatTicketNumber(n, channel.ticket));

/** A memory store that counts the reads of conversations, with published conversations and claimed Message-IDs. */
async function world(setup: (store: MemoryConversationStore) => Promise<void> = async () => undefined) {
  const store = new MemoryConversationStore();
  const reads = { conversations: 0, claims: 0, tickets: 0 };
  const counting =
    <A extends unknown[], T>(name: keyof typeof reads, read: (...a: A) => T) =>
    (...a: A): T => {
      reads[name] += 1;
      return read(...a);
    };
  const counted = Object.assign(Object.create(store) as MemoryConversationStore, {
    getConversations: counting('conversations', (ids: readonly string[]) => store.getConversations(ids)),
    findClaims: counting('claims', (c: string, ids: readonly string[]) => store.findClaims(c, ids)),
    findByTicketNumber: counting('tickets', (c: string, t: string) => store.findByTicketNumber(c, t)),
  });
  const open = async (id: string, ticketNumber: string, participants: string[], ids: string[]) => {
    const c = { id, channelId: channel.id, ticketNumber, replyToken: null, createdAt: at };
    await store.create(c);
    await store.publish(c, participants, at, { reopen: true });
    for (const m of ids) await store.claim(channel.id, m, id);
  };
  await open('conv-c', ticketC ?? '', ['carla@customer.example'], ['p@customer.example']);
  await open('conv-d', ticketD ?? '', ['dora@customer.example'], ['q@customer.example']);
  await setup(store);
  return { store, counted, reads };
}

const outOfOffice = (overrides: Partial<ParsedMessage>): ParsedMessage =>
  parsedMessage({ subject: 'Automatic reply: Re: order', headers: [{ name: 'auto-submitted', value: 'auto-replied' }], text: 'I am away.', ...overrides });

const reply = (overrides: Partial<ParsedMessage> = {}): ParsedMessage =>
  parsedMessage({ messageId: 'r@customer.example', inReplyTo: 'p@customer.example', references: ['p@customer.example'], subject: 'Re: order', ...overrides });

/** The decision as the read path takes it: the store as lookup (claims, then conversations). */
function readPath(store: MemoryConversationStore, input: ParsedInboundInput): Promise<InboundDecision> {
  return decideMessage({ lookup: store }, input);
}

/** A decision on claims completed as `receiveStep` completes it: with the conversation the join returns. */
async function joined(store: MemoryConversationStore, decided: Awaited<ReturnType<typeof decideOnClaims>>): Promise<InboundDecision> {
  const id = decided.decision.thread.conversation?.id ?? '';
  return confirmOnJoin(decided, { ...(await store.join(id, [], at, { reopen: false })), created: false });
}

describe('decideOnClaims: the two-phase decision', () => {
  it('decides a reply on its parent’s claim without reading the conversation; the join completes it as the read path decides it', async () => {
    // Arrange
    const { store, counted, reads } = await world();
    const input = { message: reply(), channel };
    // Act
    const decided = await decideOnClaims(counted, input, 'm-reply');
    const completed = await joined(store, decided);
    // Assert
    expect(reads).toEqual({ conversations: 0, claims: 1, tickets: 0 });
    expect(decided.onClaims).toBe(true);
    expect(decided.decision.thread.conversation?.id).toBe('conv-c');
    expect(completed).toEqual(await readPath(store, input));
    expect(completed.thread.reason).toBe(`in-reply-to p@customer.example belongs to conversation conv-c (ticket ${ticketC})`);
  });

  it('completes a join on the claim of a merged candidate with the conversation it ended in', async () => {
    // Arrange: m@ was claimed for a candidate that lost its race to conv-d
    const { store, counted, reads } = await world(async (s) => {
      await s.create({ id: 'conv-k', channelId: channel.id, ticketNumber: ticketK ?? '', replyToken: null, createdAt: at });
      await s.claim(channel.id, 'm@customer.example', 'conv-k');
      await s.markMerged('conv-k', 'conv-d', at);
    });
    const input = { message: reply({ inReplyTo: 'm@customer.example', references: ['m@customer.example'] }), channel };
    // Act
    const decided = await decideOnClaims(counted, input, 'm-reply');
    const completed = await joined(store, decided);
    // Assert
    expect(reads.conversations).toBe(0);
    expect(decided.decision.thread.conversation?.id).toBe('conv-k');
    expect(completed).toEqual(await readPath(store, input));
    expect(completed.thread.signals[0]).toMatchObject({ conversationId: 'conv-d', ignored: null });
  });

  it.each([
    ['an automatic answer (the closed-conversation rule reads the status)', outOfOffice({ messageId: 'o@customer.example', inReplyTo: 'p@customer.example' })],
    ['a Reply-To other than the From (honoured only for participants)', reply({ replyTo: [addr('else@other.example')] })],
    ['signals that name two conversations', reply({ references: ['q@customer.example', 'p@customer.example'] })],
  ])('reads the conversations once, before any write, for %s, and decides as the read path', async (_, message) => {
    // Arrange
    const { store, counted, reads } = await world(async (s) => s.close('conv-c'));
    const input = { message, channel };
    // Act
    const decided = await decideOnClaims(counted, input, 'm-mail');
    // Assert
    expect(reads).toEqual({ conversations: 1, claims: 1, tickets: 0 });
    expect(decided.onClaims).toBe(false);
    expect(decided.decision).toEqual(await readPath(store, input));
  });

  it('reads the conversation of a second copy’s first one, where the copy is recorded', async () => {
    // Arrange: another stored message owns r@
    const { counted, reads } = await world(async (s) => void (await s.claimOwn(channel.id, 'r@customer.example', 'm-first', 'conv-c')));
    // Act
    const decided = await decideOnClaims(counted, { message: reply(), channel }, 'm-copy');
    // Assert
    expect(reads.conversations).toBe(1);
    expect(decided.seen).toEqual({ claim: { conversationId: 'conv-c', owner: 'm-first' }, conversation: expect.objectContaining({ id: 'conv-c' }) });
  });

  it('decides on claims a retry whose own Message-ID this message owns already', async () => {
    const { counted } = await world(async (s) => void (await s.claimOwn(channel.id, 'r@customer.example', 'm-reply', 'conv-c')));
    expect((await decideOnClaims(counted, { message: reply(), channel }, 'm-reply')).onClaims).toBe(true);
  });

  it('asks the ticket number once when it decides again on the conversations', async () => {
    // Arrange: a ticket number of conv-d in the subject, and a header naming conv-c
    const { counted, reads } = await world();
    const message = reply({ subject: `Re: order [#${ticketD}]`, from: addr('dora@customer.example') });
    // Act
    const decided = await decideOnClaims(counted, { message, channel }, 'm-reply');
    // Assert
    expect(reads).toEqual({ conversations: 1, claims: 1, tickets: 1 });
    expect(decided.decision.thread.signals.map((x) => x.conversationId)).toEqual(['conv-c', 'conv-d']);
  });
});

describe('OwnIdProbe', () => {
  it('answers with conversations known by id alone until resolved, then with the conversations as read', async () => {
    // Arrange
    const { counted, reads } = await world();
    const probe = new OwnIdProbe(counted, 'r@customer.example');
    // Act
    const before = await probe.findByMessageIds(channel.id, ['p@customer.example', 'unknown@x']);
    await probe.resolve(channel.id);
    const after = await probe.findByMessageIds(channel.id, ['p@customer.example']);
    // Assert
    expect(before.get('p@customer.example')).toMatchObject({ id: 'conv-c', ticketNumber: '' });
    expect(probe.provisional).toBe(false);
    expect(after.get('p@customer.example')).toMatchObject({ id: 'conv-c', ticketNumber: ticketC, participants: ['carla@customer.example'] });
    expect(reads).toEqual({ conversations: 1, claims: 1, tickets: 0 });
    expect(probe.seen).toEqual({ claim: null, conversation: null });
  });

  it('reads the conversations of claims first asked after it resolved', async () => {
    // Arrange
    const { counted, reads } = await world();
    const probe = new OwnIdProbe(counted, null);
    await probe.findByMessageIds(channel.id, ['p@customer.example']);
    await probe.resolve(channel.id);
    // Act
    const later = await probe.findByMessageIds(channel.id, ['q@customer.example', 'p@customer.example']);
    // Assert
    expect([...later.values()].map((c) => [c.id, c.ticketNumber])).toEqual([
      ['conv-d', ticketD],
      ['conv-c', ticketC],
    ]);
    expect(reads).toEqual({ conversations: 2, claims: 2, tickets: 0 });
  });
});

describe('threadMessage with a lookup that answered on claims', () => {
  it('reads the conversation of a second copy’s first one when the lookup did not', async () => {
    // Arrange: the first copy owns r@ and is in conv-c
    const { counted, reads } = await world(async (s) => void (await s.claimOwn(channel.id, 'r@customer.example', 'm-first', 'conv-c')));
    const decision = await decideMessage({ lookup: counted }, { message: reply(), channel });
    // Act
    const threaded = await threadMessage(
      { store: counted },
      {
        channel,
        message: reply(),
        decision: decision.thread,
        candidate: null,
        owner: 'm-copy',
        receipt: 'ses-copy',
        at,
        lane: 'human',
        tags: [],
        retry: false,
        seen: { claim: { conversationId: 'conv-c', owner: 'm-first' }, conversation: undefined },
      },
    );
    // Assert
    expect(threaded).toMatchObject({ copy: true, conversation: { id: 'conv-c', created: false }, original: { messageId: 'm-first' }, ownClaim: null });
    expect(reads.conversations).toBe(1);
  });
});
