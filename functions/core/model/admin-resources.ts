import { z } from 'zod';
import { ChannelSettingsSchema, RoutingRuleSchema } from './channel.ts';
import { SkillSchema } from './postroom-config.ts';
import { checkHtmlDepth } from '../outbound/compose/html-depth.ts';
import { checkTemplate } from '../outbound/compose/render-template.ts';
import { IdSchema } from './fields.ts';

/**
 * Resources the admin API writes, composed around the channel model so the inbound and outbound
 * functions read what the API writes with the schemas they already have.
 */

/** Who made a change: the IAM principal, the JWT subject, or the sandbox's bearer token. */
export const ActorSchema = z.object({
  kind: z.enum(['iam', 'jwt', 'token']),
  id: z.string(),
  /** The agent record the identity resolved to, and the role it acted with. */
  agentId: z.string().optional(),
  role: z.enum(['agent', 'supervisor', 'admin']).optional(),
});
export type Actor = z.infer<typeof ActorSchema>;

/**
 * A channel as the API reads and writes it: its whole settings, receiving and sending (display
 * name, allowed From addresses, template, outbound switch and transport, SMTP settings) and,
 * once defined, acknowledgements. Secrets are never part of it.
 */
export const ChannelResourceSchema = ChannelSettingsSchema;
export type ChannelResource = z.infer<typeof ChannelResourceSchema>;
export type ChannelResourceInput = z.input<typeof ChannelResourceSchema>;

export { RoutingRuleSchema };

/** Who owns a stored setting: the deploy config (a redeploy may rewrite it) or the API (a redeploy never does). */
export const MANAGED_BY = ['config', 'api'] as const;
export type ManagedBy = (typeof MANAGED_BY)[number];

/** A skill with the queues it routes to. */
export const SkillRecordSchema = SkillSchema.extend({
  queueUrl: z.string(),
  deadLetterQueueUrl: z.string(),
});
export type SkillRecord = z.infer<typeof SkillRecordSchema>;

/** The placeholder check of a template field: issues name the field (`html`, `text`) and every unknown placeholder. */
const placeholdersChecked = (field: 'html' | 'text') => (template: string, ctx: z.RefinementCtx) => {
  for (const issue of checkTemplate(template, field, field)) ctx.addIssue({ code: 'custom', message: issue.message });
};

/** HTML nested deeper than `MAX_HTML_DEPTH` is refused: the sanitizer and every reader would choke on it. */
const depthChecked = (html: string, ctx: z.RefinementCtx) => {
  for (const issue of checkHtmlDepth(html, 'html')) ctx.addIssue({ code: 'custom', message: issue.message });
};

/** A signature is sent as written: a `{{…}}` in it would reach the customer literally, since it fills no template. */
const noPlaceholders = (text: string, ctx: z.RefinementCtx) => {
  if (text.includes('{{') || text.includes('}}')) ctx.addIssue({ code: 'custom', message: 'signatures take no placeholders ({{ or }})' });
};

/** Longest template and signature fields, checked on what is given and again on what sanitizing stores. */
export const LAYOUT_LIMITS = { template: 100_000, signature: 20_000 } as const;

/**
 * A channel's mail layout for replies, stored sanitized (scripts, event handlers, `javascript:`
 * URLs, frames and forms removed; document structure, tables and inline styles kept). It uses
 * the placeholders sending fills, in text content only: `{{body}}` (required), `{{signature}}`,
 * `{{ticketNumber}}`, `{{agentName}}`, `{{channelName}}`, `{{subject}}`; any other, and one inside
 * a tag or attribute value, is refused. A reply that names no template is rendered with the
 * channel's `default` one when it exists.
 */
export const TemplateSchema = z.strictObject({
  /** An id; `default` is used unless a reply names another. */
  name: IdSchema,
  html: z.string().min(1).max(LAYOUT_LIMITS.template).superRefine(depthChecked).superRefine(placeholdersChecked('html')),
  /** Plain-text variant, same placeholders; without it the text is the body, then the signature after `-- `. */
  text: z.string().max(LAYOUT_LIMITS.template).superRefine(placeholdersChecked('text')).optional(),
});
export type Template = z.infer<typeof TemplateSchema>;

/** An agent's signature, in HTML (stored sanitized) and plain text: what every reply of the agent carries. No placeholders. */
export const SignatureSchema = z.strictObject({
  html: z.string().max(LAYOUT_LIMITS.signature).superRefine(depthChecked).superRefine(noPlaceholders).default(''),
  text: z.string().max(LAYOUT_LIMITS.signature).superRefine(noPlaceholders).default(''),
});
export type Signature = z.infer<typeof SignatureSchema>;

/*
 * Templates and signatures as the stores read them back: the write limits are not checked again,
 * so a value stored under older (or no) limits still loads, is sanitized again on the way out and
 * can be replaced, instead of failing every read and every reply of its channel or agent.
 */
export const StoredTemplateSchema: z.ZodType<Template> = z.object({ name: z.string(), html: z.string(), text: z.string().optional() });
export const StoredSignatureSchema: z.ZodType<Signature> = z.object({ html: z.string().default(''), text: z.string().default('') });

/** An internal note on a conversation: seen by agents, never sent. */
export const NoteSchema = z.object({
  id: z.string(),
  conversationId: z.string(),
  author: ActorSchema,
  text: z.string(),
  at: z.string(),
});
export type Note = z.infer<typeof NoteSchema>;

/** One change made through the API: who, when, what (field names, never values). */
export const AuditEntrySchema = z.object({
  id: z.string(),
  at: z.string(),
  actor: ActorSchema,
  action: z.string(),
  resource: z.object({ type: z.string(), id: z.string() }),
  /** Names of the fields that changed; never their values, so no secret can land here. */
  fields: z.array(z.string()),
  requestId: z.string().nullable(),
  /** A supervisor acting for another agent (a reply sent as them): that agent's id. */
  onBehalfOf: z.string().optional(),
});
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

/** Whether a credential is stored, since when: never its value. */
export const SecretStatusSchema = z.object({ set: z.boolean(), setAt: z.string().nullable() });
export const CredentialHealthSchema = z.object({
  /** `unset`: the secrets were cleared (their endpoint settings changed) and must be set again. */
  status: z.enum(['unknown', 'healthy', 'failing', 'unset']),
  checkedAt: z.string().nullable(),
  /** What the last check said (SMTP reply, token endpoint error code), never a secret. */
  detail: z.string().nullable(),
});
export type CredentialHealth = z.infer<typeof CredentialHealthSchema>;
export const CredentialStatusSchema = z.object({
  channelId: z.string(),
  smtpPassword: SecretStatusSchema,
  /** The mailbox source's password (IMAP, POP3). */
  sourcePassword: SecretStatusSchema,
  oauthClientSecret: SecretStatusSchema,
  oauthRefreshToken: SecretStatusSchema,
  health: CredentialHealthSchema,
});
export type CredentialStatus = z.infer<typeof CredentialStatusSchema>;

export const SECRET_KINDS = ['smtpPassword', 'sourcePassword', 'oauthClientSecret', 'oauthRefreshToken'] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];
