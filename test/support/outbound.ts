import type { OutboundStoredMessage } from '../../functions/core/model/stored-message.ts';
import { addr } from './factories.ts';

export const SES_ID = '0100019ad1c2e3f4-5a6b7c8d-1111-2222-3333-444455556666-000000';

/** An outbound message as the send path stores it once SES accepted it, to carla and dan. */
export function sentMessage(overrides: Partial<OutboundStoredMessage> = {}): OutboundStoredMessage {
  const to = overrides.to ?? [addr('carla@customer.example'), addr('dan@customer.example')];
  return {
    direction: 'outbound',
    messageId: 'out-1',
    channelId: 'support',
    internetMessageId: 'out-1.agent@example.com',
    subject: 'Re: Printer does not start [#0000013]',
    from: addr('Support <support@example.com>'),
    to,
    cc: [],
    bcc: [],
    preview: 'Please hold the power button',
    attachments: [],
    conversationId: 'conv-1',
    purpose: 'reply',
    agentId: 'agent-7',
    external: false,
    inReplyTo: 'in-1',
    providerMessageId: SES_ID,
    threadIds: ['out-1.agent@example.com', `${SES_ID}@email.amazonses.com`],
    status: 'sent',
    statusReason: null,
    retrying: false,
    recipients: to.map((a) => ({ address: a.address, status: 'sent' as const, smtpStatus: null, detail: null, at: '2026-12-01T10:00:00.000Z' })),
    createdAt: '2026-12-01T09:59:59.000Z',
    sentAt: '2026-12-01T10:00:00.000Z',
    updatedAt: '2026-12-01T10:00:00.000Z',
    ...overrides,
  };
}
