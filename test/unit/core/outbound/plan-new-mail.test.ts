import { describe, expect, it } from 'vitest';
import { ConflictError, HeaderInjectionError } from '../../../../functions/core/errors.ts';
import { formatTicketNumber } from '../../../../functions/core/mail/ticket-number.ts';
import { OutboundSettingsSchema } from '../../../../functions/core/model/outbound-settings.ts';
import { planNewMail, type PlanNewMailInput } from '../../../../functions/core/outbound/compose/plan-new-mail.ts';
import { agentReply } from '../../../support/agent-reply.ts';
import { channelSettings } from '../../../support/factories.ts';

const ticket = formatTicketNumber(5, channelSettings().ticket);
const ids = { next: () => 'new-1' };

function input(enabled: boolean, request: Partial<PlanNewMailInput['request']> = {}): PlanNewMailInput {
  return {
    channel: channelSettings({ ticket: { placement: 'start' } }),
    outbound: OutboundSettingsSchema.parse({ displayName: 'ACME', outboundFlow: enabled }),
    conversation: { id: 'conv-9', ticketNumber: ticket, replyToken: 'tok' },
    request: { ...agentReply(), to: [{ address: 'jane@customer.example', name: '' }], subject: 'Your order', ...request },
  };
}

describe('planNewMail', () => {
  it('plans a mail that starts a thread, with the ticket number placed per the channel', () => {
    // Act
    const { mail } = planNewMail({ ids }, input(true));

    // Assert
    expect(mail).toMatchObject({
      kind: 'new',
      from: { address: 'support@example.com', name: 'ACME' },
      replyTo: { address: 'support+tok@example.com', name: 'ACME' },
      to: [{ address: 'jane@customer.example', name: '' }],
      subject: `[#${ticket}] Your order`,
      messageId: 'new-1@example.com',
      inReplyTo: null,
      references: ['new-1@example.com'],
    });
  });

  it('is refused when the channel does not allow new outbound mail', () => {
    // Act
    const error = (() => {
      try {
        planNewMail({ ids }, input(false));
      } catch (e) {
        return e;
      }
      return null;
    })();

    // Assert
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).message).toContain('outboundFlow');
  });

  it("reads the setting's old name, outbound.enabled, as outboundFlow and does not keep it", () => {
    const legacy = OutboundSettingsSchema.parse({ outbound: { enabled: true, transport: 'smtp' } });
    expect(legacy.outboundFlow).toBe(true);
    expect(legacy.outbound).toEqual({ transport: 'smtp' });
    expect(OutboundSettingsSchema.parse({ outbound: { enabled: false } }).outboundFlow).toBe(false);
    expect(channelSettings({ outbound: { enabled: true } }).outboundFlow).toBe(true);
    expect(() => planNewMail({ ids }, { ...input(false), outbound: legacy })).not.toThrow();
    // The new name wins where both agree; where they disagree neither wins silently.
    expect(OutboundSettingsSchema.parse({ outboundFlow: false, outbound: { enabled: false } }).outboundFlow).toBe(false);
    expect(OutboundSettingsSchema.safeParse({ outboundFlow: false, outbound: { enabled: true } }).success).toBe(false);
    expect(() => channelSettings({ outboundFlow: true, outbound: { enabled: false } })).toThrow(/old name of outboundFlow/);
    expect(OutboundSettingsSchema.parse({}).outboundFlow).toBe(false);
  });

  it('refuses a subject with a line break instead of repairing it', () => {
    expect(() => planNewMail({ ids }, input(true, { subject: 'Order\r\nBcc: evil@attacker.example' }))).toThrow(HeaderInjectionError);
  });
});
