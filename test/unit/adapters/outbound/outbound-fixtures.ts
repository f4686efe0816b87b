import { formatTicketNumber } from '../../../../functions/core/mail/ticket-number.ts';
import type { AttachmentRef, OutboundMail } from '../../../../functions/core/model/outbound-mail.ts';
import { OutboundSettingsSchema } from '../../../../functions/core/model/outbound-settings.ts';
import type { AttachmentContent, AttachmentSource } from '../../../../functions/core/ports/composer.ts';
import { planReply } from '../../../../functions/core/outbound/compose/plan-reply.ts';
import type { AgentReply } from '../../../../functions/core/model/agent-reply.ts';
import { agentReply } from '../../../support/agent-reply.ts';
import { channelSettings, parsedMessage } from '../../../support/factories.ts';

export const TICKET = formatTicketNumber(1, channelSettings().ticket);

/** A reply planned by the real core, with overrides of the agent's input. */
export function plannedReply(reply: Partial<AgentReply> = {}): OutboundMail {
  return planReply(
    { ids: { next: () => 'our-1' } },
    {
      channel: channelSettings({ name: 'ACME Support' }),
      outbound: OutboundSettingsSchema.parse({}),
      conversation: { id: 'conv-1', ticketNumber: TICKET, replyToken: 'tok' },
      answered: parsedMessage({ subject: 'AW: Drucker kaputt', messageId: 'c2@customer.example', references: ['c1@customer.example'] }),
      reply: agentReply({ agentId: 'agent-1', agentName: 'Max', text: 'Hello Jane,\n\nwe are on it.', ...reply }),
      headers: [{ name: 'X-Postroom-Conversation', value: 'conv-1' }],
    },
  ).mail;
}

/** Attachments held in memory, by S3 key or inbound raw key. */
export class MemoryAttachmentSource implements AttachmentSource {
  readonly fetched: AttachmentRef[] = [];

  constructor(private readonly files: Readonly<Record<string, AttachmentContent>>) {}

  async fetch(ref: AttachmentRef): Promise<AttachmentContent> {
    this.fetched.push(ref);
    const file = this.files[ref.source === 's3' ? ref.key : ref.rawKey];
    if (!file) throw new Error(`no file for ${JSON.stringify(ref)}`);
    return file;
  }
}
