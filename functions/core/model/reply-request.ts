import { z } from 'zod';
import { SignatureSchema } from './admin-resources.ts';
import { AddressInputSchema } from './agent-reply.ts';
import { AddressSchema, headerSafeText, IdSchema, TEXT_LIMITS } from './fields.ts';
import { S3AttachmentRefSchema } from './outbound-mail.ts';

/** An attachment of a reply: uploaded beforehand (`POST /attachments`), or one of an inbound message of the conversation. */
export const ReplyAttachmentSchema = z.discriminatedUnion('source', [
  S3AttachmentRefSchema.extend({
    /** The key the upload route handed out (under `outbound/uploads/`). */
    key: z.string().max(1024).regex(/^outbound\/uploads\/[A-Za-z0-9._\-/]+$/, 'a key from POST /attachments'),
  }),
  z.strictObject({
    source: z.literal('inbound'),
    /** Postroom id of the inbound message carrying the attachment. */
    messageId: z.string().min(1).max(200),
    filename: z.string().min(1).max(255),
  }),
]);
export type ReplyAttachment = z.infer<typeof ReplyAttachmentSchema>;

/** Longest reply texts: far below what a mail may carry, far above what an agent types. */
export const REPLY_LIMITS = { text: 1_000_000, html: 2_000_000, recipients: 50, attachments: 20 } as const;

const TEMPLATE_ORDER =
  'A template of the channel (`PUT /channels/{id}/templates/{name}`) to render the reply with; 400 when the channel has none of that name. ' +
  'When absent: the channel\'s stored `default` template, else its inline `outbound.template`, else the built-in layout.';

/** The fields of an agent's reply, defined once: the API's body is derived from them. */
const replyFields = {
  agentId: IdSchema,
  /** The agent's display name for `{{agentName}}`: set by the server (the agents resource), never by an API caller. */
  agentName: headerSafeText(TEXT_LIMITS.name).default(''),
  /** One of the channel's allowed From addresses; the channel address when absent. */
  from: AddressSchema.optional().meta({ description: 'One of the channel\'s allowed From addresses; the channel address when absent.' }),
  text: z.string().max(REPLY_LIMITS.text).nullable().default(null),
  html: z
    .string()
    .max(REPLY_LIMITS.html)
    .nullable()
    .default(null)
    .meta({ description: 'Sanitized before sending; the text alternative is derived from it when `text` is absent.' }),
  cc: z.array(AddressInputSchema).max(REPLY_LIMITS.recipients).default([]),
  bcc: z.array(AddressInputSchema).max(REPLY_LIMITS.recipients).default([]),
  attachments: z.array(ReplyAttachmentSchema).max(REPLY_LIMITS.attachments).default([]),
  template: IdSchema.optional().meta({ description: TEMPLATE_ORDER }),
  /** A signature given by the caller (the `postroom reply` command); else the agent's stored one. Not in the API body. */
  signature: SignatureSchema.optional(),
  /** Postroom id of the customer's message answered; the newest inbound one when absent. */
  inReplyTo: z.string().min(1).max(200).optional().meta({ description: 'Postroom id of the customer\'s message answered; the newest one when absent.' }),
};

const hasBody = (r: { readonly text: string | null; readonly html: string | null }): boolean => (r.text ?? '').trim() !== '' || (r.html ?? '').trim() !== '';
const BODY_NEEDED = { message: 'give text or html', path: ['text'] };

/**
 * An agent's reply in a conversation: what `queueReply` takes, from the API, the `postroom reply`
 * command and the sandbox alike. The signature is the one given, else the agent's stored one.
 */
export const ReplyRequestSchema = z
  .strictObject({ conversationId: z.string().min(1).max(200), ...replyFields })
  .refine(hasBody, BODY_NEEDED);
export type ReplyRequest = z.output<typeof ReplyRequestSchema>;
export type ReplyRequestInput = z.input<typeof ReplyRequestSchema>;

/**
 * The body of `POST /conversations/{id}/reply`, derived from the request: the conversation is in
 * the path, the agent is the caller (`agentId` may name them), and neither the display name nor
 * the signature can be set: both are the replying agent's stored ones.
 */
const { agentName: _agentName, signature: _signature, ...bodyFields } = replyFields;
export const ReplyBodySchema = z
  .strictObject({ ...bodyFields, agentId: IdSchema.optional().meta({ description: 'The replying agent: the caller when absent.' }) })
  .refine(hasBody, BODY_NEEDED);
export type ReplyBody = z.output<typeof ReplyBodySchema>;
