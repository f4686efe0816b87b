import { describe, expect, it } from 'vitest';
import { formatTicketNumber } from '../../../../functions/core/mail/ticket-number.ts';
import { OutboundMailSchema } from '../../../../functions/core/model/outbound-mail.ts';
import { ACKNOWLEDGEMENT_AGENT, planAcknowledgementMail } from '../../../../functions/core/outbound/acknowledgement/plan-acknowledgement.ts';
import { addr, channelSettings, parsedMessage } from '../../../support/factories.ts';

const channel = channelSettings({ name: 'ACME Support', acknowledgement: { enabled: true } });
const ticket = formatTicketNumber(12, channel.ticket);
const conversation = { id: 'conv-1', ticketNumber: ticket, replyToken: 'tok123' };
const ids = () => {
  let n = 0;
  return { next: () => `ack-${++n}` };
};

describe('planAcknowledgementMail', () => {
  it('answers the customer only, threaded under the mail, marked automatic, with the ticket number in the subject', () => {
    // Arrange
    const answered = parsedMessage({
      subject: 'AW: Printer broken',
      messageId: 'c2@customer.example',
      references: ['c1@customer.example'],
      from: addr('Anna Kunde <anna@customer.example>'),
      replyTo: [addr('Anna <anna@customer.example>'), addr('team@customer.example')],
      cc: [addr('boss@customer.example')],
    });

    // Act
    const mail = planAcknowledgementMail({ ids: ids() }, { channel, conversation, answered, to: 'anna@customer.example' });

    // Assert
    expect(OutboundMailSchema.parse(mail)).toEqual(mail);
    expect(mail).toMatchObject({
      kind: 'reply',
      agentId: ACKNOWLEDGEMENT_AGENT,
      to: [{ address: 'anna@customer.example', name: 'Anna' }],
      cc: [],
      bcc: [],
      inReplyTo: 'c2@customer.example',
      subject: `Re: Printer broken [#${ticket}]`,
      replyTo: { address: 'support+tok123@example.com' },
    });
    expect(mail.references.slice(0, 1)).toEqual(['c1@customer.example']);
    expect(mail.references.at(-1)).toBe('c2@customer.example');
    expect(mail.headers).toEqual([
      { name: 'auto-submitted', value: 'auto-replied' },
      { name: 'x-auto-response-suppress', value: 'All' },
      { name: 'x-loop', value: 'support@example.com' },
    ]);
    expect(mail.content.text).toContain(`ticket ${ticket}`);
    expect(mail.content.text).toContain('Hello Anna Kunde');
  });

  it('fills the channel’s own templates; a placeholder-looking subject stays text', () => {
    // Arrange
    const custom = channelSettings({
      name: 'ACME',
      acknowledgement: { enabled: true, subject: 'Received: {{subject}}', body: 'Ticket {{ticketNumber}} for {{customerName}}.' },
    });
    const answered = parsedMessage({ subject: 'Re: {{ticketNumber}} lost', from: addr('customer@customer.example') });

    // Act
    const mail = planAcknowledgementMail({ ids: ids() }, { channel: custom, conversation, answered, to: 'customer@customer.example' });

    // Assert
    expect(mail.subject).toBe(`Received: {{ticketNumber}} lost [#${ticket}]`);
    expect(mail.content.text).toBe(`Ticket ${ticket} for customer@customer.example.`);
  });
});
