import { describe, expect, it } from 'vitest';
import { MemoryConversationStore } from '../../../../functions/adapters/memory/memory-conversation-store.ts';
import { asExternalParty, settleExternalParty } from '../../../../functions/core/inbound/external-party.ts';
import { decideMessage } from '../../../../functions/core/inbound/decide-message.ts';
import { formatTicketNumber } from '../../../../functions/core/mail/ticket-number.ts';
import type { ConversationRef } from '../../../../functions/core/model/conversation.ts';
import type { InboundStoredMessage, StoredMessage } from '../../../../functions/core/model/stored-message.ts';
import { planForward } from '../../../../functions/core/outbound/compose/plan-forward.ts';
import { answeredMessage } from '../../../../functions/core/outbound/compose/queue-reply.ts';
import { forwardSubject } from '../../../../functions/core/outbound/compose/reply-subject.ts';
import { recordSentMessage } from '../../../../functions/core/conversation/record-sent.ts';
import { agentReply } from '../../../support/agent-reply.ts';
import { addr, channelSettings, parsedMessage } from '../../../support/factories.ts';

const channel = channelSettings({ name: 'ACME Support' });
const ticket = formatTicketNumber(7, channel.ticket);
const conversation = { id: 'conv-1', ticketNumber: ticket, replyToken: 'tok-1' };
const ids = { next: () => 'fwd-1' };
const supplier = { address: 'parts@supplier.example', name: 'Parts Desk' };

function forward(overrides: { note?: string; to?: { address: string; name: string }[] } = {}) {
  return planForward(
    { ids },
    {
      channel,
      outbound: channel,
      conversation,
      forwarded: [
        { from: addr('vera@customer.example'), date: '2026-12-01T09:00:00.000Z', subject: 'Broken hinge', filename: `forwarded-${ticket}-1.eml` },
        {
          from: { address: 'vera@customer.example', name: 'Vera' },
          date: null,
          subject: `Re: Re: Broken hinge [#${ticket}]`,
          filename: `forwarded-${ticket}-2.eml`,
        },
      ],
      agent: {
        ...agentReply({
          attachments: [
            { source: 's3', key: 'outbound/uploads/staged/support/x/forwarded.eml', filename: `forwarded-${ticket}-1.eml`, contentType: 'message/rfc822' },
          ],
        }),
        to: overrides.to ?? [supplier],
        note: overrides.note ?? 'Can you send a replacement?',
      },
    },
  );
}

describe('planForward', () => {
  it('writes Fwd: and the newest subject with the ticket number once, answers nothing, and keeps the reply token', () => {
    const { mail } = forward();
    expect(mail.kind).toBe('forward');
    expect(mail.subject).toBe(`Fwd: Broken hinge [#${ticket}]`);
    expect(mail.inReplyTo).toBeNull();
    expect(mail.references).toEqual([mail.messageId]);
    expect(mail.to).toEqual([supplier]);
    expect(mail.replyTo?.address).toBe('support+tok-1@example.com');
    expect(mail.attachments.map((a) => (a.source === 's3' ? a.contentType : a.source))).toEqual(['message/rfc822']);
  });

  it('puts the note first and names each enclosed mail below it', () => {
    const text = forward().mail.content.text ?? '';
    expect(text.startsWith('Can you send a replacement?')).toBe(true);
    expect(text).toContain('From: vera@customer.example\nDate: 2026-12-01T09:00:00.000Z\nSubject: Broken hinge');
    expect(text).toContain(`From: Vera <vera@customer.example>\nSubject: Re: Re: Broken hinge [#${ticket}]\nEnclosed as forwarded-${ticket}-2.eml`);
    expect(forward({ note: '   ' }).mail.content.text?.startsWith('---------- Forwarded message')).toBe(true);
  });

  it('leaves our own addresses out, and refuses a forward to nobody else', () => {
    expect(() => forward({ to: [{ address: 'support@example.com', name: '' }] })).toThrow(/recipient/);
  });

  it('keeps control characters of a customer subject out of the header', () => {
    expect(forwardSubject('Broken\u0007 hinge\r\n', ticket, channel.ticket)).toBe(`Fwd: Broken hinge [#${ticket}]`);
  });
});

describe('external parties', () => {
  it("records a forward's recipients as external parties, never as participants", async () => {
    const store = new MemoryConversationStore();
    const created = await store.create({ id: 'conv-1', channelId: 'support', ticketNumber: ticket, replyToken: null, createdAt: '2026-12-01T09:00:00.000Z' });
    await store.publish(created, ['vera@customer.example'], '2026-12-01T09:00:00.000Z', { reopen: false });
    const after = await recordSentMessage(store, {
      channelId: 'support',
      conversationId: 'conv-1',
      messageId: 'out-1',
      threadIds: ['fwd-1@example.com'],
      recipients: ['Parts@Supplier.example'],
      agentId: 'agent-1',
      at: '2026-12-01T10:00:00.000Z',
      external: true,
    });
    expect(after.participants).toEqual(['vera@customer.example']);
    expect(after.externalParties).toEqual(['parts@supplier.example']);
    // Its Message-ID is marked: a mail answering it is the external party's.
    expect((await store.findClaims('support', ['fwd-1@example.com'])).get('fwd-1@example.com')).toMatchObject({
      conversationId: 'conv-1',
      owner: 'out-1',
      external: true,
    });
  });

  it("marks an external party's mail, and gives the mark back when its sender is a customer after all", async () => {
    const joined: ConversationRef = {
      id: 'conv-1',
      channelId: 'support',
      ticketNumber: ticket,
      participants: ['vera@customer.example'],
      status: 'open',
      lastAgent: 'agent-1',
      replyToken: null,
      externalParties: ['parts@supplier.example'],
    };
    const lookup = new MemoryConversationStore();
    const fromSupplier = asExternalParty(await decideMessage({ lookup }, { channel, message: parsedMessage({ from: addr('PARTS@supplier.example') }) }));
    expect(fromSupplier.tags).toContain('external-party');
    expect(fromSupplier.thread.flags).toContain('external-party');
    expect(fromSupplier.autoAnswerAllowed).toBe(false);
    expect(settleExternalParty(fromSupplier, joined)).toBe(fromSupplier);
    // Vera, copied by the supplier, answers the supplier's mail: hers, not the supplier's.
    const fromVera = asExternalParty(await decideMessage({ lookup }, { channel, message: parsedMessage({ from: addr('vera@customer.example') }) }));
    const settled = settleExternalParty(fromVera, joined);
    expect(settled.tags).not.toContain('external-party');
    expect(settled.thread.flags).not.toContain('external-party');
  });

  it("answers the customer's newest message by default, not an external party's newer one", () => {
    const inbound = (messageId: string, tags: string[]): InboundStoredMessage => ({ direction: 'inbound', messageId, tags }) as unknown as InboundStoredMessage;
    const history: StoredMessage[] = [inbound('m-1', []), inbound('m-2', ['external-party'])];
    expect(answeredMessage(history, undefined).messageId).toBe('m-1');
    expect(answeredMessage(history, 'm-2').messageId).toBe('m-2');
  });
});
