import { describe, expect, it } from 'vitest';
import { subjectMatcher } from '../../../functions/core/governance/address-match.ts';
import { type ErasureTally, eraseConversation } from '../../../functions/core/governance/erase-subject.ts';
import type { InboundStoredMessage, OutboundStoredMessage, StoredMessage } from '../../../functions/core/model/stored-message.ts';
import type { ConversationBundle, SubjectData, SubjectEraser } from '../../../functions/core/ports/privacy.ts';

const at = '2026-12-08T10:00:00.000Z';
const ALICE = 'alice@customer.example';

function inbound(id: string, from: string, extra: Partial<InboundStoredMessage> = {}): InboundStoredMessage {
  return {
    direction: 'inbound',
    messageId: id,
    channelId: 'support',
    internetMessageId: `${id}@mail.example`,
    subject: 'Parcel',
    from: { address: from, name: '' },
    to: [],
    cc: [],
    preview: 'text',
    attachments: [],
    conversationId: 'c1',
    sesMessageId: `ses-${id}`,
    rawKey: `raw/${id}`,
    date: at,
    receivedAt: at,
    replyTo: [],
    sender: null,
    inReplyTo: null,
    references: [],
    lane: 'human',
    laneReason: '',
    tags: [],
    disposition: 'route',
    route: null,
    thread: { rule: 'in-reply-to', reason: '', flags: [] },
    rejectedAttachments: [],
    language: null,
    ...extra,
  };
}

function outbound(id: string, to: string[]): OutboundStoredMessage {
  return {
    direction: 'outbound',
    messageId: id,
    channelId: 'support',
    internetMessageId: `${id}@example.test`,
    subject: 'Re: Parcel',
    from: { address: 'support@example.test', name: '' },
    to: to.map((address) => ({ address, name: '' })),
    cc: [],
    bcc: [],
    preview: 'answer',
    attachments: [],
    conversationId: 'c1',
    purpose: 'reply',
    agentId: 'agent-1',
    external: false,
    inReplyTo: null,
    providerMessageId: null,
    threadIds: [`${id}@example.test`],
    status: 'sent',
    statusReason: null,
    retrying: false,
    recipients: [],
    createdAt: at,
    sentAt: at,
    updatedAt: at,
  };
}

/** The conversation in memory, and every write the erasure asks for, by name. */
function world(messages: StoredMessage[], options: { held?: boolean; sharedWithHeld?: readonly string[] } = {}) {
  const calls: string[] = [];
  const heldSharers = options.sharedWithHeld ?? [];
  const bundle: ConversationBundle = {
    conversation: {
      id: 'c1',
      channelId: 'support',
      ticketNumber: '1',
      status: 'open',
      createdAt: at,
      participants: [ALICE, 'bob@customer.example'],
      legalHold: options.held ?? false,
      mergedInto: null,
    },
    messages,
    notes: [{ id: 'n1', conversationId: 'c1', author: { kind: 'token', id: 'agent-1' }, text: `rang ${ALICE}`, at }],
  };
  const data: SubjectData = {
    conversation: async () => bundle,
    rawMail: async () => null,
    plan: async () => null,
    upload: async () => null,
  };
  const record =
    (name: string) =>
    async (...args: unknown[]) => {
      const named = args.map((a) => (typeof a === 'object' && a && 'messageId' in a ? (a as { messageId: string }).messageId : typeof a === 'string' ? a : ''));
      calls.push(`${name} ${named.filter((n) => n !== '').join(' ')}`.trim());
      if (name === 'heldSharers') return heldSharers;
      return name === 'redactMessage' || name === 'redactConversation' ? true : 1;
    };
  const eraser = Object.fromEntries(
    [
      'deleteConversation',
      'redactConversation',
      'putMessage',
      'deleteMessage',
      'redactMessage',
      'putNote',
      'eraseInboundMail',
      'redactInboundRecords',
      'eraseOutbound',
      'redactOutboundRecord',
      'releaseClaims',
      'putRawMail',
      'putPlan',
      'deleteItem',
      'replaceItem',
      'putSuppression',
      'heldSharers',
      'eraseInboundRecordsOnly',
    ].map((n) => [n, record(n)]),
  ) as unknown as SubjectEraser;
  const tally: ErasureTally = { counts: {}, held: new Set(), configuration: new Set(), done: new Set(), matcher: subjectMatcher({ address: ALICE }) };
  const deps = {
    data,
    eraser,
    mail: { redact: (raw: Uint8Array) => ({ value: raw, changed: false }) },
    contents: { read: async () => ({ from: [], subject: '', text: '', attachments: [] }) },
  };
  return { calls, tally, run: () => eraseConversation(deps, tally, 'c1') };
}

describe('erasing a conversation', () => {
  it('leaves the raw copy of a mail a held conversation of another channel shares: only the records outside it go, and the hold is reported', async () => {
    // Arrange: the person's mail went to two channels; the other channel's conversation is held
    const w = world([inbound('q1', ALICE), inbound('b1', 'bob@customer.example')], { sharedWithHeld: ['held-9'] });
    // Act
    await w.run();
    // Assert
    expect(w.calls).toContain('eraseInboundRecordsOnly ses-q1');
    expect(w.calls.some((c) => c.startsWith('eraseInboundMail'))).toBe(false);
    expect(w.calls.some((c) => c.startsWith('putRawMail'))).toBe(false);
    expect([...w.tally.held]).toEqual(['held-9']);
  });

  it("deletes a conversation of the person alone whole, a machine's answer to their mail with it", async () => {
    // Arrange
    const w = world([inbound('q1', ALICE), outbound('r1', [ALICE]), inbound('d1', 'mailer-daemon@customer.example', { lane: 'bounce' })]);
    // Act
    await w.run();
    // Assert
    expect(w.calls).toEqual(expect.arrayContaining(['eraseInboundMail q1', 'eraseOutbound r1', 'eraseInboundMail d1', 'deleteConversation']));
    expect(w.calls.filter((c) => c.startsWith('putMessage') || c.startsWith('redact'))).toEqual([]);
    expect(w.tally.counts).toMatchObject({ conversationsDeleted: 1, messagesErased: 3 });
  });

  it("keeps a shared conversation: the person's messages become stubs, the others' are redacted, and so are notes and participants", async () => {
    // Arrange
    const w = world([inbound('q1', ALICE), outbound('r1', [ALICE, 'bob@customer.example']), inbound('b1', 'bob@customer.example')]);
    // Act
    await w.run();
    // Assert
    expect(w.calls).toEqual(
      expect.arrayContaining([
        'eraseInboundMail q1',
        'putMessage q1',
        'redactMessage r1',
        'redactOutboundRecord r1',
        'redactMessage b1',
        'redactInboundRecords ses-b1',
        'putNote',
        'redactConversation c1',
      ]),
    );
    expect(w.calls).not.toContain('deleteConversation');
    expect(w.calls.some((c) => c.startsWith('deleteMessage'))).toBe(false);
    expect(w.tally.counts).toMatchObject({ messagesErased: 1, conversationsRedacted: 1, notesRedacted: 1 });
  });

  it('leaves a conversation under a legal hold untouched and lists it', async () => {
    // Arrange
    const w = world([inbound('q1', ALICE)], { held: true });
    // Act
    await w.run();
    // Assert
    expect(w.calls).toEqual([]);
    expect([...w.tally.held]).toEqual(['c1']);
  });

  it('works each conversation once per run, however many findings name it', async () => {
    // Arrange
    const w = world([inbound('q1', ALICE)]);
    // Act
    await w.run();
    await w.run();
    // Assert
    expect(w.calls.filter((c) => c === 'deleteConversation')).toHaveLength(1);
  });
});
