import { describe, expect, it } from 'vitest';
import { ERASED_ADDRESS, subjectMatcher } from '../../../functions/core/governance/address-match.ts';
import { authoredBy, erasedStub, involves, namesOf, redactNote, redactValue } from '../../../functions/core/governance/redact-records.ts';
import { progressOf, newPrivacyJob } from '../../../functions/core/governance/privacy-job.ts';
import type { InboundStoredMessage, OutboundStoredMessage } from '../../../functions/core/model/stored-message.ts';

const m = subjectMatcher({ address: 'alice@customer.example' });
const at = '2026-12-08T10:00:00.000Z';

function inbound(from: string, cc: string[] = [], extra: Partial<InboundStoredMessage> = {}): InboundStoredMessage {
  const n = from.startsWith('alice') ? 1 : 2;
  return {
    direction: 'inbound',
    messageId: `m-${n}`,
    channelId: 'support',
    internetMessageId: `q.${n}@mail.example`,
    subject: 'Order 4711',
    from: { address: from, name: from === 'alice@customer.example' ? 'Alice Example' : 'Bob' },
    to: [{ address: 'support@example.test', name: 'Support' }],
    cc: cc.map((address) => ({ address, name: 'Alice Example' })),
    preview: 'Where is it?',
    attachments: [],
    conversationId: 'c1',
    sesMessageId: `ses-${n}`,
    rawKey: `inbound/raw/ses-${n}`,
    date: at,
    receivedAt: at,
    replyTo: [],
    sender: null,
    inReplyTo: null,
    references: [],
    lane: 'human',
    laneReason: 'a person wrote',
    tags: ['spf-pass'],
    disposition: 'route',
    route: null,
    thread: { rule: 'new-conversation', reason: 'no signal', flags: [] },
    rejectedAttachments: [],
    language: null,
    ...extra,
  };
}

function outbound(to: string[], cc: string[] = []): OutboundStoredMessage {
  return {
    direction: 'outbound',
    messageId: 'o1',
    channelId: 'support',
    internetMessageId: 'ours@example.test',
    subject: 'Re: Order 4711',
    from: { address: 'support@example.test', name: 'Support' },
    to: to.map((address) => ({ address, name: '' })),
    cc: cc.map((address) => ({ address, name: '' })),
    bcc: [],
    preview: 'It left today.',
    attachments: [],
    conversationId: 'c1',
    purpose: 'reply',
    agentId: 'agent-1',
    external: false,
    inReplyTo: 'm-1',
    providerMessageId: 'ses-out',
    threadIds: ['ours@example.test'],
    status: 'sent',
    statusReason: null,
    retrying: false,
    recipients: [...to, ...cc].map((address) => ({ address, status: 'sent', smtpStatus: null, detail: null, at })),
    createdAt: at,
    sentAt: at,
    updatedAt: at,
  };
}

describe('whose message it is', () => {
  it("is the person's when they wrote it, or when we wrote to them alone", () => {
    expect(authoredBy(inbound('ALICE@customer.example'), m)).toBe(true);
    expect(authoredBy(outbound(['alice@customer.example']), m)).toBe(true);
    expect(authoredBy(outbound(['alice@customer.example'], ['bob@customer.example']), m)).toBe(false);
    expect(authoredBy(inbound('bob@customer.example', ['alice@customer.example']), m)).toBe(false);
  });

  it('involves the person when they are any party of it, and gives the names they had there', () => {
    const bobs = inbound('bob@customer.example', ['alice@customer.example']);
    expect(involves(bobs, m)).toBe(true);
    expect(involves(inbound('bob@customer.example'), m)).toBe(false);
    expect(namesOf(bobs, m)).toEqual(['Alice Example']);
  });
});

describe('redacting stored values', () => {
  it('takes the person out of address lists, recipient lists and sets, and their address out of text', () => {
    // Arrange
    const bobs = { ...inbound('bob@customer.example', ['alice@customer.example']), preview: 'As alice@customer.example said: yes' };
    const item = { ...bobs, participants: new Set(['bob@customer.example', 'alice@customer.example']) };
    // Act
    const { value, changed } = redactValue(item, m);
    // Assert
    expect(changed).toBe(true);
    expect(value.cc).toEqual([]);
    expect(value.from).toEqual({ address: 'bob@customer.example', name: 'Bob' });
    expect(value.preview).toBe(`As ${ERASED_ADDRESS} said: yes`);
    expect([...value.participants]).toEqual(['bob@customer.example']);
    expect(JSON.stringify(value, (_k, v: unknown) => (v instanceof Set ? [...v] : v))).not.toContain('alice@');
  });

  it("keeps a planned mail's To list non-empty, and drops the person's Message-IDs from References", () => {
    // Arrange
    const known = m.with({ messageIds: ['q.alice@customer.example'] });
    const plan = {
      to: [{ address: 'alice@customer.example', name: 'Alice' }],
      cc: [{ address: 'bob@customer.example', name: '' }],
      references: ['q.alice@customer.example', 'q.bob@x'],
      inReplyTo: '<q.alice@customer.example>',
    };
    // Act
    const { value } = redactValue(plan, known);
    // Assert
    expect(value.to).toEqual([{ address: ERASED_ADDRESS, name: '' }]);
    expect(value.cc).toEqual([{ address: 'bob@customer.example', name: '' }]);
    expect(value.references).toEqual(['q.bob@x']);
    expect(value.inReplyTo).toBe(`<${ERASED_ADDRESS}>`);
  });

  it('reports no change and returns the same value when nothing names the person', () => {
    const bobs = inbound('bob@customer.example');
    const out = redactValue(bobs, m);
    expect(out.changed).toBe(false);
    expect(out.value).toBe(bobs);
  });

  it("makes a stub of the person's message: no parties, subject, text, attachments or ids; its time, direction and conversation stay", () => {
    // Act
    const stub = erasedStub(
      inbound('alice@customer.example', [], {
        attachments: [{ filename: 'id.pdf', contentType: 'application/pdf', size: 3, inline: false, contentId: null, checksum: null }],
      }),
    );
    const sent = erasedStub(outbound(['alice@customer.example']));
    // Assert
    expect(stub).toMatchObject({
      direction: 'inbound',
      conversationId: 'c1',
      receivedAt: at,
      from: null,
      to: [],
      cc: [],
      subject: '[erased]',
      attachments: [],
      internetMessageId: null,
    });
    expect(stub.direction === 'inbound' ? stub.tags : []).toContain('erased');
    expect(JSON.stringify(stub)).not.toMatch(/alice|Alice|4711|Where is it/);
    expect(JSON.stringify(sent)).not.toMatch(/alice|4711|left today/);
    expect(sent).toMatchObject({ direction: 'outbound', recipients: [], threadIds: [], agentId: 'agent-1' });
  });

  it("redacts a note's text, and says when there was nothing to redact", () => {
    const note = { id: 'n1', conversationId: 'c1', author: { kind: 'token' as const, id: 'agent-1' }, text: 'Called alice@customer.example back', at };
    expect(redactNote(note, m)).toEqual({ value: { ...note, text: `Called ${ERASED_ADDRESS} back` }, changed: true });
    expect(redactNote({ ...note, text: 'nothing' }, m).changed).toBe(false);
  });
});

describe('job progress', () => {
  it('moves through the phases, the scan by the share of items read, and is 100 only when done', () => {
    // Arrange
    const job = newPrivacyJob({
      id: 'j1',
      kind: 'erasure',
      address: 'alice@customer.example',
      hash: 'h',
      at,
      requestedBy: { kind: 'token', id: 'admin' },
      requestId: null,
    });
    // Act
    const start = progressOf(job);
    const half = progressOf({ ...job, phase: 'scan', scannedItems: 500, estimatedItems: 1000 });
    const over = progressOf({ ...job, phase: 'scan', scannedItems: 5000, estimatedItems: 1000 });
    const done = progressOf({ ...job, status: 'done', phase: 'done' });
    // Assert
    expect(start.percent).toBe(0);
    expect(half.percent).toBeGreaterThan(start.percent);
    expect(over.percent).toBeLessThan(100);
    expect(done.percent).toBe(100);
  });
});
