import { ChannelSettingsSchema, type ChannelSettings, type ChannelSettingsInput } from '../../functions/core/model/channel.ts';
import type { Classification } from '../../functions/core/model/classification.ts';
import type { MailAddress, ParsedMessage } from '../../functions/core/model/message.ts';

/** A mail address from `name <address>` or a bare address. */
export function addr(value: string): MailAddress {
  const m = /^(.*)<([^>]+)>$/.exec(value.trim());
  return m ? { name: (m[1] ?? '').trim(), address: (m[2] ?? '').toLowerCase() } : { name: '', address: value.toLowerCase() };
}

/** A `ParsedMessage` with harmless defaults; override only what a test is about. */
export function parsedMessage(overrides: Partial<ParsedMessage> = {}): ParsedMessage {
  return {
    messageId: 'msg-1@customer.example',
    inReplyTo: null,
    references: [],
    subject: 'Help please',
    from: addr('Customer <customer@customer.example>'),
    sender: null,
    replyTo: [],
    to: [addr('support@example.com')],
    cc: [],
    date: '2024-05-01T10:00:00.000Z',
    contentType: 'text/plain',
    reportType: null,
    headers: [],
    text: 'Hello, I need help.',
    html: null,
    htmlReply: null,
    attachments: [],
    reports: [],
    enclosedHeaders: null,
    size: 1024,
    ...overrides,
  };
}

/** Channel settings parsed through the real schema, so defaults are the production ones. */
export function channelSettings(overrides: Partial<ChannelSettingsInput> = {}): ChannelSettings {
  return ChannelSettingsSchema.parse({
    id: 'support',
    address: 'support@example.com',
    defaultSkill: 'general',
    ...overrides,
  });
}

/** A human-lane classification unless overridden. */
export function classification(overrides: Partial<Classification> = {}): Classification {
  return {
    lane: 'human',
    reason: 'default: human',
    deliveryReport: null,
    feedbackReport: null,
    originalMessageId: null,
    tags: [],
    ...overrides,
  };
}
