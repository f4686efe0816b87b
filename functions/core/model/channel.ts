import { z } from 'zod';
import { AcknowledgementSettingsSchema } from './acknowledgement-settings.ts';
import { LaneSchema } from './classification.ts';
import { OutboundSettingsSchema } from './outbound-settings.ts';
import { SmtpTransportSettingsSchema } from './transport-settings.ts';

export const TicketFormatSchema = z.object({
  /** Where the ticket number goes in a subject; `hidden` keeps it out of subjects altogether. */
  placement: z.enum(['end', 'start', 'hidden']).default('end'),
  /** `none`: `#123456`; `brackets`: `[#123456]`; `braces`: `{#123456}`. */
  delimiter: z.enum(['none', 'brackets', 'braces']).default('brackets'),
  /** Text before the digits inside the delimiters, e.g. `#` or `Ticket#`. */
  hook: z.string().min(1).max(16).regex(/^[^\s\d[\]{}]+$/, 'no spaces, digits or brackets').default('#'),
  /** Number of digits of a ticket number, check digit included. */
  digits: z.number().int().min(5).max(12).default(7),
});
export type TicketFormat = z.infer<typeof TicketFormatSchema>;

export const RoutingConditionSchema = z.object({
  /** Any of these recipient addresses (To/Cc/envelope), case-insensitive. */
  recipients: z.array(z.string()).optional(),
  /** Any of these sender addresses, case-insensitive. */
  senders: z.array(z.string()).optional(),
  /** Any of these sender domains; a domain also matches its subdomains. */
  senderDomains: z.array(z.string()).optional(),
  /** Any of these words or phrases in the subject, case-insensitive, on word boundaries. */
  subjectKeywords: z.array(z.string()).optional(),
  /** Any of these words or phrases in the new text of the body. */
  bodyKeywords: z.array(z.string()).optional(),
  /** All of these tags. */
  tags: z.array(z.string()).optional(),
  /** Any of these lanes. */
  lanes: z.array(LaneSchema).optional(),
  /** Any of these message priorities. */
  priorities: z.array(z.enum(['high', 'normal', 'low'])).optional(),
});
export type RoutingCondition = z.infer<typeof RoutingConditionSchema>;

export const RoutingRuleSchema = z.object({
  name: z.string().min(1),
  /** All given conditions must hold; a rule without conditions always matches. */
  when: RoutingConditionSchema.default({}),
  skill: z.string().min(1),
  /** Overrides the routed priority when set. */
  priority: z.enum(['high', 'normal', 'low']).optional(),
});
export type RoutingRule = z.infer<typeof RoutingRuleSchema>;

export const ChannelSettingsSchema = z.object({
  id: z.string().min(1),
  /** The receiving address, e.g. `support@example.com`. */
  address: z.email().transform((a) => a.toLowerCase()),
  name: z.string().default(''),
  /** Further addresses that deliver into this channel. */
  aliases: z.array(z.email().transform((a) => a.toLowerCase())).default([]),
  defaultSkill: z.string().min(1),
  ticket: TicketFormatSchema.default(TicketFormatSchema.parse({})),
  /** `prefer-in-reply-to` (default) or `ignore-in-reply-to` (ticket number and reply token only). */
  threading: z.enum(['prefer-in-reply-to', 'ignore-in-reply-to']).default('prefer-in-reply-to'),
  /** Reply address with a per-conversation token, `local+TOKEN@domain`. */
  replyToken: z.boolean().default(true),
  routing: z.array(RoutingRuleSchema).default([]),
  /** Skill for mail SES marks as spam when `spamPolicy` is `route`. */
  spamSkill: z.string().optional(),
  spamPolicy: z.enum(['route', 'tag', 'drop']).default('tag'),
  /** Largest message accepted, in bytes (SES receiving caps at 40 MB). */
  maxMessageBytes: z.number().int().positive().max(40 * 1024 * 1024).default(40 * 1024 * 1024),
  /** Lowercase extensions without dot; null allows every extension. */
  allowedAttachmentExtensions: z.array(z.string()).nullable().default(null),
  // Sending: display name, allowed From addresses, branded template, outbound switch and transport.
  ...OutboundSettingsSchema.shape,
  /** The channel's own SMTP server, when `outbound.transport` is `smtp`; its secrets are stored apart, encrypted. */
  smtp: SmtpTransportSettingsSchema.nullable().default(null),
  /** Automatic acknowledgement of new conversations opened by a person's mail; off by default. */
  acknowledgement: AcknowledgementSettingsSchema.default(AcknowledgementSettingsSchema.parse({})),
}).refine((c) => c.outbound.transport !== 'smtp' || c.smtp !== null, { message: 'an smtp transport needs smtp settings', path: ['smtp'] });
export type ChannelSettings = z.infer<typeof ChannelSettingsSchema>;
export type ChannelSettingsInput = z.input<typeof ChannelSettingsSchema>;
