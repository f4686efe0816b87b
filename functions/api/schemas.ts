import { z } from 'zod';
import {
  ChannelResourceSchema,
  SkillRecordSchema,
  TemplateSchema,
  SignatureSchema,
  NoteSchema,
  CredentialStatusSchema,
  AuditEntrySchema,
  SECRET_KINDS,
} from '../core/model/admin-resources.ts';
import { AgentInputSchema, AgentSchema, RoleSchema } from '../core/model/agent.ts';
import { RoutingRuleSchema } from '../core/model/channel.ts';
import { SkillSchema } from '../core/model/postroom-config.ts';
import { InboundStoredMessageSchema, OutboundStoredMessageSchema } from '../core/model/stored-message.ts';
import { FailedMailSchema } from '../core/model/inbound-record.ts';
import { SuppressionEntrySchema } from '../core/model/suppression.ts';
import { MAX_UPLOAD_BYTES } from '../core/model/outbound-mail.ts';
import { LegalHoldSchema } from '../core/model/retention.ts';
import { SlaViewSchema } from '../core/sla/sla-clock.ts';
import { VersionFields, pageOf } from './http.ts';
import { AddressSchema, headerSafeText, IdSchema, TEXT_LIMITS } from '../core/model/fields.ts';

/*
 * The API's shapes, built from the core's zod models so the OpenAPI document and the validation
 * are one. `meta({ id })` makes each a named component of the document.
 */

export const ChannelInputSchema = ChannelResourceSchema.meta({
  id: 'ChannelInput',
  description:
    'A channel: receiving address, aliases, default skill, routing rules, ticket format, threading, spam policy, size limit, attachment allow-list, outbound and acknowledgement settings.',
});
export const ChannelPatchSchema = z
  .looseObject({})
  .meta({ id: 'ChannelPatch', description: 'Top-level fields to change (null removes an optional field); the merged channel is validated as a whole.' });
export const ChannelSchema = ChannelResourceSchema.extend(VersionFields).meta({ id: 'Channel' });
export const ChannelPageSchema = pageOf(ChannelSchema, 'ChannelPage');

export const RuleSchema = RoutingRuleSchema.meta({ id: 'RoutingRule' });
export const RulesSchema = z.object({ channelId: z.string(), rules: z.array(RuleSchema), version: z.number().int() }).meta({ id: 'RoutingRules' });
export const RulesInputSchema = z.strictObject({ rules: z.array(RoutingRuleSchema) }).meta({ id: 'RoutingRulesInput' });
export const RuleInputSchema = RoutingRuleSchema.extend({
  position: z.number().int().min(0).optional().meta({ description: '0 = tried first; last when absent.' }),
}).meta({ id: 'RoutingRuleInput' });

export const SkillInputSchema = SkillSchema.meta({ id: 'SkillInput' });
export const SkillPatchSchema = z.strictObject({ description: z.string().max(TEXT_LIMITS.description) }).meta({ id: 'SkillPatch' });
export const SkillOutSchema = SkillRecordSchema.extend(VersionFields).meta({ id: 'Skill' });
export const SkillPageSchema = pageOf(SkillOutSchema, 'SkillPage');

const Verdict = z.enum(['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED']).optional();
export const DryRunQuerySchema = z.strictObject({
  spam: Verdict,
  virus: Verdict,
  spf: Verdict,
  dkim: Verdict,
  dmarc: Verdict,
  recipients: z.string().optional().meta({ description: 'Comma-separated envelope recipients; the channel address when absent.' }),
});
const Signal = z.object({ kind: z.string(), value: z.string(), conversationId: z.string().nullable(), ignored: z.string().nullable() });
export const DryRunResultSchema = z
  .object({
    message: z.object({ messageId: z.string().nullable(), subject: z.string(), from: z.string().nullable() }),
    language: z.string().nullable().meta({ description: 'ISO 639-1 code of the new text (quoted history and signature removed), or null when unsure.' }),
    lane: z.string(),
    laneReason: z.string(),
    tags: z.array(z.string()),
    disposition: z.string(),
    dispositionReason: z.string(),
    ticketNumber: z.string().nullable(),
    thread: z.object({
      action: z.string(),
      rule: z.string(),
      reason: z.string(),
      flags: z.array(z.string()),
      conversationId: z.string().nullable(),
      ticketNumber: z.string().nullable(),
      signals: z.array(Signal),
    }),
    route: z.object({ skill: z.string(), rule: z.string(), priority: z.string(), reason: z.string() }).nullable(),
    autoAnswerAllowed: z.boolean(),
    rejectedAttachments: z.array(z.string()),
  })
  .meta({ id: 'DryRunResult' });

export const ConversationSchema = z
  .object({
    id: z.string(),
    channelId: z.string(),
    ticketNumber: z.string(),
    participants: z.array(z.string()),
    externalParties: z.array(z.string()).optional().meta({
      description: "Addresses an agent forwarded its mail to (suppliers, specialists): their answers are flagged `external-party`, never the customer's.",
    }),
    status: z.enum(['open', 'closed']),
    lastAgent: z.string().nullable(),
    replyToken: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    lastSkill: z.string().nullable(),
    legalHold: LegalHoldSchema.nullable()
      .optional()
      .meta({ description: 'The legal hold that keeps it from expiring (PUT/DELETE `/conversations/{id}/legal-hold`); null when none.' }),
    expiresAt: z
      .string()
      .nullable()
      .optional()
      .meta({ description: 'When it expires with its mail (ISO 8601), moved on by each new message; null while held.' }),
    sla: SlaViewSchema.nullable().optional(),
  })
  .meta({ id: 'Conversation' });
export const ConversationPageSchema = pageOf(ConversationSchema, 'ConversationPage');
export const ConversationQuerySchema = z.strictObject({
  ticket: z.string().max(40).optional().meta({ description: 'Ticket number (digits); with channelId, or searched on every channel.' }),
  channelId: z.string().optional(),
  participant: z.string().max(320).optional().meta({ description: 'An address that wrote or was written to.' }),
  status: z.enum(['open', 'closed']).optional(),
  skill: z.string().optional().meta({ description: 'Skill of the last routed message.' }),
  from: z.iso.datetime({ offset: true }).optional().meta({ description: 'Created at or after (ISO 8601).' }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: 'Created at or before (ISO 8601).' }),
});
const MessageBodySchema = z.object({ text: z.string(), newText: z.string(), html: z.string().nullable() }).nullable();
const AttachmentLinkSchema = z.object({
  index: z.number().int(),
  filename: z.string().nullable(),
  contentType: z.string(),
  size: z.number().int(),
  download: z.string().meta({ description: 'GET this (authorized) for a short-lived presigned URL.' }),
});
export const HistoryEntrySchema = z
  .discriminatedUnion('type', [
    z.object({
      type: z.literal('message'),
      at: z.string(),
      message: z.discriminatedUnion('direction', [InboundStoredMessageSchema, OutboundStoredMessageSchema]),
      body: MessageBodySchema,
      attachmentLinks: z.array(AttachmentLinkSchema),
    }),
    z.object({ type: z.literal('note'), at: z.string(), note: NoteSchema }),
  ])
  .meta({ id: 'HistoryEntry' });
export const HistorySchema = z.object({ conversation: ConversationSchema, entries: z.array(HistoryEntrySchema) }).meta({ id: 'ConversationHistory' });
export const NoteInputSchema = z.strictObject({ text: z.string().min(1).max(20_000) }).meta({ id: 'NoteInput' });
export const NoteOutSchema = NoteSchema.meta({ id: 'Note' });
export const AssignInputSchema = z.strictObject({ agentId: IdSchema }).meta({ id: 'AssignInput' });
export const DownloadLinkSchema = z.object({ url: z.string(), expiresAt: z.string() }).meta({ id: 'DownloadLink' });
export const UploadInputSchema = z
  .strictObject({
    filename: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[^/\\\0\r\n]+$/, 'a file name without path or line breaks'),
    contentType: z
      .string()
      .min(3)
      .max(255)
      .regex(/^[\w.+-]+\/[\w.+-]+$/, 'a MIME type such as application/pdf'),
    size: z.number().int().min(1).max(MAX_UPLOAD_BYTES).meta({ description: 'Bytes; at most 25 MB. The upload must be exactly this size.' }),
  })
  .meta({ id: 'UploadInput' });
export const UploadLinkSchema = z
  .object({
    url: z.string().meta({ description: 'POST a multipart/form-data form here.' }),
    fields: z
      .record(z.string(), z.string())
      .meta({ description: 'Form fields to send first, as they are (key, Content-Type, policy, signature); then the file as the field `file`.' }),
    key: z.string().meta({ description: 'Name it in the reply: `{ "source": "s3", "key": … }`.' }),
    expiresAt: z.string(),
    method: z.literal('POST'),
  })
  .meta({ id: 'UploadLink', description: 'An S3 browser-based upload form whose signed policy fixes the key, the Content-Type and the size.' });
export const OutboundMessageSchema = OutboundStoredMessageSchema.meta({ id: 'OutboundMessage' });

export const FailedMessageSchema = FailedMailSchema.extend({ id: z.string() }).meta({ id: 'FailedMessage' });
export const FailedPageSchema = pageOf(FailedMessageSchema, 'FailedMessagePage');
const OutcomeSchema = z.object({
  status: z.string(),
  duplicate: z.boolean(),
  channelId: z.string().nullable(),
  conversationId: z.string().nullable().optional(),
  skill: z.string().nullable().optional(),
  error: z.object({ code: z.string(), reason: z.string() }).optional(),
});
export const ReplayResultSchema = z.object({ id: z.string(), outcome: OutcomeSchema }).meta({ id: 'ReplayResult' });
export const ReplayAllInputSchema = z
  .strictObject({ limit: z.number().int().min(1).max(50).default(25), cursor: z.string().max(2000).optional() })
  .meta({ id: 'ReplayAllInput' });
export const ReplayAllResultSchema = z.object({ results: z.array(ReplayResultSchema), cursor: z.string().nullable() }).meta({ id: 'ReplayAllResult' });

export const SuppressionSchema = SuppressionEntrySchema.meta({ id: 'Suppression' });
export const SuppressionPageSchema = pageOf(SuppressionSchema, 'SuppressionPage');
export const SuppressionInputSchema = z
  .strictObject({
    address: AddressSchema,
    channelId: IdSchema.optional().meta({ description: 'The channel whose list it joins; the account-wide list when absent.' }),
    detail: z.string().max(500).optional(),
  })
  .meta({ id: 'SuppressionInput' });
export const SuppressionScopeQuerySchema = z.strictObject({
  channelId: IdSchema.optional().meta({ description: "A channel's list; the account-wide one when absent." }),
});

export const CredentialStatusOutSchema = CredentialStatusSchema.meta({ id: 'CredentialStatus' });
export const PasswordInputSchema = z.strictObject({ password: z.string().min(1).max(1024) }).meta({ id: 'SmtpPasswordInput' });
export const SourcePasswordInputSchema = z.strictObject({ password: z.string().min(1).max(1024) }).meta({ id: 'SourcePasswordInput' });
export const ClientSecretInputSchema = z.strictObject({ clientSecret: z.string().min(1).max(4096) }).meta({ id: 'OAuthClientSecretInput' });
/** RFC 6749 `state`: printable ASCII; long enough not to be guessed. */
const OAuthState = z.string().regex(/^[\x21-\x7e]{8,200}$/, '8 to 200 printable ASCII characters, no spaces');
export const ConsentInputSchema = z
  .strictObject({
    state: OAuthState.optional().meta({ description: 'The state to hand out; a random one when absent.' }),
    redirectUri: z.url().max(2048).optional(),
  })
  .meta({ id: 'OAuthConsentInput' });
export const ConsentOutSchema = z
  .object({
    url: z.string(),
    state: z.string(),
    expiresAt: z.string().meta({ description: 'Until when the code exchange takes this state (15 minutes).' }),
  })
  .meta({ id: 'OAuthConsent' });
export const ExchangeInputSchema = z
  .strictObject({
    code: z.string().min(1).max(4096),
    state: OAuthState.meta({ description: 'The state the consent handed out and the provider sent back; good once, for 15 minutes.' }),
    redirectUri: z.url().max(2048).optional(),
  })
  .meta({ id: 'OAuthCodeExchangeInput' });
export const TestInputSchema = z
  .strictObject({ to: z.email().max(320).optional().meta({ description: 'Also send a test mail here.' }) })
  .meta({ id: 'CredentialTestInput' });
/** A channel as PUT or PATCH wrote it, with the secrets the write cleared. */
export const ChannelWriteSchema = ChannelSchema.extend({
  credentialsCleared: z.array(z.enum(SECRET_KINDS)).meta({
    description:
      'Secrets cleared because a setting they are used with changed (SMTP host, port, security, Force TLS, user, auth type, OAuth client, endpoints, tenant, scope): set them again.',
  }),
}).meta({ id: 'ChannelWrite' });

export const TemplateInputSchema = TemplateSchema.omit({ name: true }).meta({
  id: 'TemplateInput',
  description: 'The name is in the path. `html` is stored sanitized; unknown placeholders are refused.',
});
export const TemplateOutSchema = TemplateSchema.extend({ channelId: z.string(), ...VersionFields }).meta({ id: 'Template' });
export const TemplatePageSchema = pageOf(TemplateOutSchema, 'TemplatePage');
export const PreviewInputSchema = z
  .strictObject({
    text: z.string().max(100_000).meta({ description: 'The reply text the preview renders in `{{body}}`.' }),
    agentId: IdSchema.optional().meta({
      description: 'The agent whose stored signature goes in `{{signature}}` and display name in `{{agentName}}`, as in their replies; none when absent.',
    }),
    agentName: headerSafeText(TEXT_LIMITS.name).optional().meta({ description: 'For `{{agentName}}` when no `agentId` is given.' }),
    ticketNumber: z
      .string()
      .regex(/^\d{5,12}$/, '5 to 12 digits')
      .optional()
      .meta({ description: 'For `{{ticketNumber}}`; 0000000 when absent.' }),
    subject: headerSafeText(998).optional().meta({ description: 'For `{{subject}}`.' }),
  })
  .meta({ id: 'PreviewInput' });
export const PreviewSchema = z
  .object({ html: z.string(), text: z.string() })
  .meta({ id: 'Preview', description: 'The HTML and text alternative exactly as a sent mail carries them.' });
export const SignatureInputSchema = SignatureSchema.meta({ id: 'SignatureInput' });
export const SignatureOutSchema = SignatureSchema.extend({ agentId: z.string(), ...VersionFields }).meta({ id: 'Signature' });

export const AgentInputOutSchema = AgentInputSchema.meta({
  id: 'AgentInput',
  description: 'An agent: role (agent, supervisor, admin), display name, channels and skills they work on, identities that sign in as them.',
});
export const AgentOutSchema = AgentSchema.extend(VersionFields).meta({ id: 'Agent' });
export const AgentPageSchema = pageOf(AgentOutSchema, 'AgentPage');
export const MeSchema = z
  .object({
    agentId: z.string(),
    role: RoleSchema,
    displayName: z.string(),
    channels: z.array(z.string()),
    skills: z.array(z.string()),
  })
  .meta({ id: 'Me' });

export const AuditEntryOutSchema = AuditEntrySchema.meta({ id: 'AuditEntry' });
export const AuditPageSchema = pageOf(AuditEntryOutSchema, 'AuditPage');

const SourceHealthOut = z.object({
  status: z.enum(['unknown', 'healthy', 'failing']),
  reason: z.string().nullable(),
  since: z.string().nullable(),
  unreachablePolls: z.number().int(),
});
const SourceCountsOut = z.object({
  fetched: z.number().int(),
  routed: z.number().int(),
  imported: z.number().int(),
  recorded: z.number().int(),
  duplicates: z.number().int(),
  failed: z.number().int(),
});
export const SourceStatusOutSchema = z
  .object({
    channelId: z.string(),
    type: z.enum(['ses', 'imap', 'pop3', 'graph']),
    health: SourceHealthOut,
    lastPollAt: z.string().nullable(),
    lastSuccessAt: z.string().nullable(),
    notBefore: z.string().nullable(),
    cursor: z.record(z.string(), z.unknown()).nullable(),
    initialized: z.boolean(),
    counts: SourceCountsOut,
  })
  .meta({ id: 'SourceStatus' });
export const PollReportOutSchema = z
  .object({
    channelId: z.string(),
    status: z.enum(['polled', 'busy', 'waiting', 'error']),
    error: z.string().optional(),
    items: z.array(
      z.object({
        key: z.string(),
        mailId: z.string(),
        outcome: z.enum(['routed', 'imported', 'recorded', 'duplicate', 'failed']),
        reason: z.string().optional(),
      }),
    ),
    counts: SourceCountsOut,
    more: z.boolean(),
    health: SourceHealthOut,
    rescan: z.boolean(),
  })
  .meta({ id: 'PollReport' });

export const ImportJobOutSchema = z
  .object({
    id: z.string(),
    channelId: z.string(),
    status: z.enum(['awaiting-upload', 'queued', 'running', 'done', 'failed']),
    createdAt: z.string(),
    createdBy: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    counts: z.object({ processed: z.number().int(), imported: z.number().int(), duplicates: z.number().int(), failed: z.number().int() }),
    failures: z.array(z.string()),
    error: z.string().nullable(),
    /** True once some of the archive is done: a stopped run goes on from there. */
    resumable: z.boolean(),
  })
  .meta({ id: 'ImportJob' });
export const ImportCreatedOutSchema = z
  .object({
    import: ImportJobOutSchema,
    upload: z.object({
      url: z.string(),
      fields: z.record(z.string(), z.string()),
      expiresIn: z.number().int(),
      maxBytes: z.number().int(),
    }),
  })
  .meta({ id: 'ImportCreated' });
