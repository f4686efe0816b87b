import { z } from 'zod';
import type { Envelope } from '../ports/outbound.ts';

/** An address of an outbound mail: the plain address and its display name (empty for none). */
export const OutboundAddressSchema = z.object({
  address: z.string().min(1).max(254),
  name: z.string().max(200).default(''),
});
export type OutboundAddress = z.infer<typeof OutboundAddressSchema>;

// type/subtype per RFC 6838 §4.2, without parameters.
const CONTENT_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** Largest file an agent's app may upload for a reply: the signed upload form refuses a larger one. */
export const MAX_UPLOAD_BYTES = 25 * 1024 * 1024;

/** A file the agent's app uploaded to the outbound attachment bucket (through a presigned upload form). */
export const S3AttachmentRefSchema = z.strictObject({
  source: z.literal('s3'),
  key: z.string().min(1).max(1024),
  filename: z.string().min(1).max(255),
  contentType: z.string().regex(CONTENT_TYPE, 'a MIME type such as application/pdf'),
});

/**
 * An attachment of an inbound message, forwarded: the raw copy's key and the attachment's
 * position in the stored message's `attachments` list (`partIndex`) or its filename.
 */
export const InboundAttachmentRefSchema = z
  .strictObject({
    source: z.literal('inbound'),
    rawKey: z.string().min(1).max(1024),
    /** Postroom id of the stored message, for the record. */
    messageId: z.string().min(1).max(200).optional(),
    partIndex: z.number().int().nonnegative().max(10_000).optional(),
    filename: z.string().min(1).max(255).optional(),
  })
  .refine((ref) => ref.partIndex !== undefined || ref.filename !== undefined, { message: 'give partIndex or filename' });

/** Where an attachment's bytes are; the composer fetches them through an `AttachmentSource`. */
export const AttachmentRefSchema = z.discriminatedUnion('source', [S3AttachmentRefSchema, InboundAttachmentRefSchema]);
export type AttachmentRef = z.infer<typeof AttachmentRefSchema>;

export const ExtraHeaderSchema = z.object({ name: z.string(), value: z.string() });
export type ExtraHeader = z.infer<typeof ExtraHeaderSchema>;

/**
 * The content pieces, as given: the composer sanitizes the HTML, derives what is missing (text
 * from HTML, HTML from text) and fills the template. The plan keeps them apart so sanitizing
 * (an adapter's job) happens on the agent's HTML and never on the channel's template.
 */
export const OutboundContentSchema = z.object({
  text: z.string().nullable(),
  html: z.string().nullable(),
  signature: z.object({ text: z.string().nullable(), html: z.string().nullable() }).nullable(),
  /** The HTML template: the one the reply named, the channel's stored `default`, its inline one, or the built-in one. */
  template: z.string(),
  /** That template's plain-text variant; null for body and signature after the `-- ` line. */
  textTemplate: z.string().nullable().default(null),
  ticketNumber: z.string(),
  agentName: z.string(),
  channelName: z.string(),
});
export type OutboundContent = z.infer<typeof OutboundContentSchema>;

/**
 * A planned outbound mail: everything the composer needs, checked. Message ids are stored
 * without angle brackets, like the ids of inbound messages.
 */
export const OutboundMailSchema = z.object({
  kind: z.enum(['reply', 'new', 'forward']),
  channelId: z.string(),
  conversationId: z.string(),
  agentId: z.string(),
  from: OutboundAddressSchema,
  /** The reply-token address (or the channel address when From is not one we receive on); null for none. */
  replyTo: OutboundAddressSchema.nullable(),
  to: z.array(OutboundAddressSchema).min(1),
  cc: z.array(OutboundAddressSchema),
  bcc: z.array(OutboundAddressSchema),
  subject: z.string(),
  messageId: z.string(),
  inReplyTo: z.string().nullable(),
  /** Oldest first. */
  references: z.array(z.string()),
  content: OutboundContentSchema,
  attachments: z.array(AttachmentRefSchema),
  headers: z.array(ExtraHeaderSchema),
  transport: z.object({ kind: z.enum(['ses', 'smtp']), configurationSet: z.string().nullable() }),
});
export type OutboundMail = z.infer<typeof OutboundMailSchema>;

/** The SMTP envelope of a planned mail: From as return path, every To, Cc and Bcc recipient. */
export function mailEnvelope(mail: OutboundMail): Envelope {
  return { from: mail.from.address, to: [...mail.to, ...mail.cc, ...mail.bcc].map((a) => a.address) };
}

/** `<id>` for a bare id; an id that has its brackets already is returned as is. */
export function bracketMessageId(id: string): string {
  return id.startsWith('<') && id.endsWith('>') ? id : `<${id}>`;
}

/** The id without angle brackets. */
export function bareMessageId(id: string): string {
  return id.replace(/^<\s*/, '').replace(/\s*>$/, '');
}
