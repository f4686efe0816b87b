import { z } from 'zod';
import { AcknowledgementSettingsSchema } from './acknowledgement-settings.ts';
import { LaneSchema } from './classification.ts';
import { LanguageCodeSchema } from './language.ts';
import { AddressSchema, headerSafeText, IdSchema, TEXT_LIMITS } from './fields.ts';
import { OUTBOUND_FLOW_CONFLICT, OutboundSettingsSchema, oneOutboundFlow, withOutboundFlow } from './outbound-settings.ts';
import { MailSourceSchema } from './mail-source.ts';
import { ChannelRetentionSchema } from './retention.ts';
import { SmtpTransportSettingsSchema } from './transport-settings.ts';
import { SlaSettingsSchema } from '../sla/sla-settings.ts';

export const TicketFormatSchema = z.strictObject({
  /** Where the ticket number goes in a subject; `hidden` keeps it out of subjects altogether. */
  placement: z.enum(['end', 'start', 'hidden']).default('end'),
  /** `none`: `#123456`; `brackets`: `[#123456]`; `braces`: `{#123456}`. */
  delimiter: z.enum(['none', 'brackets', 'braces']).default('brackets'),
  /** Text before the digits inside the delimiters, e.g. `#` or `Ticket#`. */
  hook: headerSafeText(16)
    .min(1)
    .regex(/^[^\s\d[\]{}]+$/, 'no spaces, digits or brackets')
    .default('#'),
  /** Number of digits of a ticket number, check digit included. */
  digits: z.number().int().min(5).max(12).default(7),
});
export type TicketFormat = z.infer<typeof TicketFormatSchema>;

/** Most values one condition lists. */
const MAX_CONDITION_VALUES = 100;
const values = <T extends z.ZodType>(item: T) => z.array(item).max(MAX_CONDITION_VALUES).optional();

export const RoutingConditionSchema = z.strictObject({
  /** Any of these recipient addresses (To/Cc/envelope), case-insensitive. */
  recipients: values(z.string().max(TEXT_LIMITS.address)),
  /** Any of these sender addresses, case-insensitive. */
  senders: values(z.string().max(TEXT_LIMITS.address)),
  /** Any of these sender domains; a domain also matches its subdomains. */
  senderDomains: values(z.string().max(TEXT_LIMITS.domain)),
  /** Any of these words or phrases in the subject, case-insensitive, on word boundaries. */
  subjectKeywords: values(z.string().max(TEXT_LIMITS.keyword)),
  /** Any of these words or phrases in the new text of the body. */
  bodyKeywords: values(z.string().max(TEXT_LIMITS.keyword)),
  /** All of these tags. */
  tags: values(z.string().max(TEXT_LIMITS.tag)),
  /** Any of these lanes. */
  lanes: values(LaneSchema),
  /** Any of these message priorities. */
  priorities: values(z.enum(['high', 'normal', 'low'])),
  /** Any of these languages of the new text (ISO 639-1, lowercase); a mail whose language is unknown matches none. */
  languages: values(LanguageCodeSchema),
});
export type RoutingCondition = z.infer<typeof RoutingConditionSchema>;

export const RoutingRuleSchema = z.strictObject({
  /** An id (it names the rule in URLs and in routed messages). */
  name: IdSchema,
  /** All given conditions must hold; a rule without conditions always matches. */
  when: RoutingConditionSchema.default({}),
  skill: IdSchema,
  /** Overrides the routed priority when set. */
  priority: z.enum(['high', 'normal', 'low']).optional(),
});
export type RoutingRule = z.infer<typeof RoutingRuleSchema>;

/** Most routing rules of one channel (each mail is tried against them in order). */
const MAX_RULES = 200;

export const ChannelSettingsSchema = z
  .strictObject({
    id: IdSchema,
    /** The receiving address, e.g. `support@example.com`. */
    address: AddressSchema,
    /** The channel's name; the From display name when `displayName` is empty. */
    name: headerSafeText(TEXT_LIMITS.name).default(''),
    /** Further addresses that deliver into this channel. */
    aliases: z.array(AddressSchema).max(100).default([]),
    defaultSkill: IdSchema,
    ticket: TicketFormatSchema.default(TicketFormatSchema.parse({})),
    /** `prefer-in-reply-to` (default) or `ignore-in-reply-to` (ticket number and reply token only). */
    threading: z.enum(['prefer-in-reply-to', 'ignore-in-reply-to']).default('prefer-in-reply-to'),
    /** Reply address with a per-conversation token, `local+TOKEN@domain`. */
    replyToken: z.boolean().default(true),
    routing: z.array(RoutingRuleSchema).max(MAX_RULES).default([]),
    /** Skill for mail SES marks as spam when `spamPolicy` is `route`. */
    spamSkill: IdSchema.optional(),
    spamPolicy: z.enum(['route', 'tag', 'drop']).default('tag'),
    /** Largest message accepted, in bytes (SES receiving caps at 40 MB). */
    maxMessageBytes: z
      .number()
      .int()
      .positive()
      .max(40 * 1024 * 1024)
      .default(40 * 1024 * 1024),
    /** Lowercase extensions without dot; null allows every extension. */
    allowedAttachmentExtensions: z.array(z.string().max(TEXT_LIMITS.extension)).max(200).nullable().default(null),
    // Sending: display name, allowed From addresses, branded template, outbound switch and transport.
    ...OutboundSettingsSchema.shape,
    /** The channel's own SMTP server, when `outbound.transport` is `smtp`; its secrets are stored apart, encrypted. */
    smtp: SmtpTransportSettingsSchema.nullable().default(null),
    /** Where inbound mail comes from: SES receiving (the default) or a mailbox read over IMAP, POP3 or Microsoft Graph. */
    source: MailSourceSchema.default({ type: 'ses' }),
    /** Automatic acknowledgement of new conversations opened by a person's mail; off by default. */
    acknowledgement: AcknowledgementSettingsSchema.default(AcknowledgementSettingsSchema.parse({})),
    /** How long its conversations are kept after their last message; absent: the account-wide `retention.mailDays`. */
    retention: ChannelRetentionSchema.optional(),
    /** SLA targets in business minutes of a calendar (`docs/sla.md`); absent: the account's `sla`, if any. */
    sla: SlaSettingsSchema.optional(),
  })
  .refine((c) => c.outbound.transport !== 'smtp' || c.smtp !== null, { message: 'an smtp transport needs smtp settings', path: ['smtp'] })
  .refine((c) => !(c.smtp?.auth.type === 'oauth2' && 'oauth' in c.source && c.source.oauth), {
    message: 'one OAuth client per channel: leave source.oauth out and the source uses the SMTP one (one consent for both directions)',
    path: ['source', 'oauth'],
  })
  .refine((c) => !((c.source.type === 'imap' || c.source.type === 'pop3') && c.source.auth === 'oauth2' && !c.source.oauth && c.smtp?.auth.type !== 'oauth2'), {
    message: 'auth oauth2 needs source.oauth (provider, clientId), or an OAuth 2.0 smtp.auth to share',
    path: ['source', 'oauth'],
  })
  .refine(oneOutboundFlow, OUTBOUND_FLOW_CONFLICT)
  .overwrite(withOutboundFlow);
export type ChannelSettings = z.infer<typeof ChannelSettingsSchema>;
export type ChannelSettingsInput = z.input<typeof ChannelSettingsSchema>;
