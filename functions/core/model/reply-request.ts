import { z } from 'zod';
import { checkHtmlDepth, MAX_HTML_DEPTH } from '../outbound/compose/html-depth.ts';
import { SignatureSchema } from './admin-resources.ts';
import { AddressInputSchema } from './agent-reply.ts';
import { AddressSchema, headerSafeText, IdSchema, TEXT_LIMITS } from './fields.ts';
import { S3AttachmentRefSchema } from './outbound-mail.ts';

/** An attachment of a reply: uploaded beforehand (`POST /attachments`), or one of an inbound message of the conversation. */
export const ReplyAttachmentSchema = z.discriminatedUnion('source', [
  S3AttachmentRefSchema.extend({
    /**
     * The key the upload route handed out (`outbound/uploads/agents/<agentId>/…`): one the replying
     * agent uploaded (a supervisor replying for an agent: theirs or the supervisor's own), still stored.
     */
    key: z
      .string()
      .max(1024)
      .regex(/^outbound\/uploads\/[A-Za-z0-9._\-/]+$/, 'a key from POST /attachments')
      .meta({
        description:
          "A key `POST /attachments` handed out to the replying agent (a supervisor replying on an agent's behalf: " +
          "the agent's or their own); the file must be uploaded. Any other key is a 400 naming it.",
      }),
    /** The name the mail gives the file: header text, so no bidi override (`invoice\u202Efdp.exe`) or lone surrogate either. */
    filename: headerSafeText(255).min(1),
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
  "When absent: the channel's stored `default` template, else its inline `outbound.template`, else the built-in layout.";

/** The fields of an agent's reply, defined once: the API's body is derived from them. */
const replyFields = {
  agentId: IdSchema,
  /** The agent's display name for `{{agentName}}`: set by the server (the agents resource), never by an API caller. */
  agentName: headerSafeText(TEXT_LIMITS.name).default(''),
  /** One of the channel's allowed From addresses; the channel address when absent. */
  from: AddressSchema.optional().meta({ description: "One of the channel's allowed From addresses; the channel address when absent." }),
  text: z.string().max(REPLY_LIMITS.text).nullable().default(null),
  html: z
    .string()
    .max(REPLY_LIMITS.html)
    .superRefine((html, ctx) => {
      for (const issue of checkHtmlDepth(html, 'html')) ctx.addIssue({ code: 'custom', message: issue.message });
    })
    .nullable()
    .default(null)
    .meta({
      description:
        'Sanitized before sending; the text alternative is derived from it when `text` is absent. ' + `Elements may nest at most ${MAX_HTML_DEPTH} deep.`,
    }),
  cc: z.array(AddressInputSchema).max(REPLY_LIMITS.recipients).default([]),
  bcc: z.array(AddressInputSchema).max(REPLY_LIMITS.recipients).default([]),
  attachments: z.array(ReplyAttachmentSchema).max(REPLY_LIMITS.attachments).default([]),
  template: IdSchema.optional().meta({ description: TEMPLATE_ORDER }),
  /**
   * The caller, when a supervisor replies on an agent's behalf: their own uploads may be attached
   * too. Set by the server, never by an API caller.
   */
  callerId: IdSchema.optional(),
  /** A signature given by the caller (the `postroom reply` command); else the agent's stored one. Not in the API body. */
  signature: SignatureSchema.optional(),
  /** Postroom id of the customer's message answered; the newest inbound one when absent. */
  inReplyTo: z.string().min(1).max(200).optional().meta({ description: "Postroom id of the customer's message answered; the newest one when absent." }),
};

const hasBody = (r: { readonly text: string | null; readonly html: string | null }): boolean => (r.text ?? '').trim() !== '' || (r.html ?? '').trim() !== '';
const BODY_NEEDED = { message: 'give text or html', path: ['text'] };

/**
 * An agent's reply in a conversation: what `queueReply` takes, from the API, the `postroom reply`
 * command and the sandbox alike. The signature is the one given, else the agent's stored one.
 */
export const ReplyRequestSchema = z.strictObject({ conversationId: z.string().min(1).max(200), ...replyFields }).refine(hasBody, BODY_NEEDED);
export type ReplyRequest = z.output<typeof ReplyRequestSchema>;
export type ReplyRequestInput = z.input<typeof ReplyRequestSchema>;

/**
 * The body of `POST /conversations/{id}/reply`, derived from the request: the conversation is in
 * the path, the agent is the caller (`agentId` may name them), and neither the display name nor
 * the signature can be set (both are the replying agent's stored ones), nor the caller's id.
 */
const { agentName: _agentName, signature: _signature, callerId: _callerId, ...bodyFields } = replyFields;
export const ReplyBodySchema = z
  .strictObject({ ...bodyFields, agentId: IdSchema.optional().meta({ description: 'The replying agent: the caller when absent.' }) })
  .refine(hasBody, BODY_NEEDED);
export type ReplyBody = z.output<typeof ReplyBodySchema>;

/** The To of a new conversation or a forward: at least one address. */
const toField = z.array(AddressInputSchema).min(1, 'name at least one recipient').max(REPLY_LIMITS.recipients);
/** The subject an agent types: header text, one line. */
const subjectField = headerSafeText(TEXT_LIMITS.name).refine((s) => s.trim() !== '', 'a subject is needed');

const { inReplyTo: _inReplyTo, ...mailFields } = replyFields;
const { inReplyTo: _bodyInReplyTo, ...mailBodyFields } = bodyFields;

/**
 * An agent's new mail to a customer that starts a conversation (`POST /conversations`, `postroom
 * compose`): the channel, To, a subject, and the fields of a reply but the message answered.
 */
export const NewConversationRequestSchema = z
  .strictObject({ channelId: IdSchema, to: toField, subject: subjectField, ...mailFields })
  .refine(hasBody, BODY_NEEDED);
export type NewConversationRequest = z.output<typeof NewConversationRequestSchema>;
export type NewConversationRequestInput = z.input<typeof NewConversationRequestSchema>;

/** The body of `POST /conversations`: the agent is the caller (`agentId` may name them, as for a reply). */
export const NewConversationBodySchema = z
  .strictObject({
    channelId: IdSchema.meta({ description: 'The channel the conversation is on; its `outboundFlow` must be on (409 naming it otherwise).' }),
    to: toField,
    subject: subjectField.meta({ description: "The ticket number is placed in it per the channel's ticket format." }),
    ...mailBodyFields,
    agentId: IdSchema.optional().meta({ description: 'The writing agent: the caller when absent.' }),
  })
  .refine(hasBody, BODY_NEEDED);
export type NewConversationBody = z.output<typeof NewConversationBodySchema>;

/** Most messages one forward encloses. */
export const MAX_FORWARDED = 20;

const forwardFields = {
  to: toField,
  cc: z.array(AddressInputSchema).max(REPLY_LIMITS.recipients).default([]),
  note: z.string().max(REPLY_LIMITS.text).optional().meta({ description: 'A note to the recipient, above the forwarded mail.' }),
  messageIds: z
    .array(z.string().min(1).max(200))
    .min(1)
    .max(MAX_FORWARDED)
    .optional()
    .meta({
      description:
        'Postroom ids of the customer messages of this conversation to forward, each enclosed as it was received (message/rfc822, ' +
        'its attachments with it); the newest customer message when absent.',
    }),
  from: replyFields.from,
};

/**
 * An agent's forward of customer mail to an external party (a specialist, a supplier): recorded on
 * the conversation as an outbound message with purpose `forward`; the recipients become the
 * conversation's external parties, never its customers.
 */
export const ForwardRequestSchema = z.strictObject({
  conversationId: z.string().min(1).max(200),
  agentId: IdSchema,
  agentName: replyFields.agentName,
  callerId: replyFields.callerId,
  signature: replyFields.signature,
  ...forwardFields,
});
export type ForwardRequest = z.output<typeof ForwardRequestSchema>;
export type ForwardRequestInput = z.input<typeof ForwardRequestSchema>;

/** The body of `POST /conversations/{id}/forward`. */
export const ForwardBodySchema = z.strictObject({
  ...forwardFields,
  agentId: IdSchema.optional().meta({ description: 'The forwarding agent: the caller when absent.' }),
});
export type ForwardBody = z.output<typeof ForwardBodySchema>;
