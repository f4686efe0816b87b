import { z } from 'zod';

/** An attachment of a reply: uploaded beforehand (`POST /attachments`), or one of an inbound message of the conversation. */
export const ReplyAttachmentSchema = z.discriminatedUnion('source', [
  z.object({
    source: z.literal('s3'),
    /** The key the upload route handed out (under `outbound/uploads/`). */
    key: z.string().regex(/^outbound\/uploads\/[A-Za-z0-9._\-/]+$/, 'a key from POST /attachments'),
    filename: z.string().min(1).max(255),
    contentType: z.string().min(3).max(255),
  }),
  z.object({
    source: z.literal('inbound'),
    /** Postroom id of the inbound message carrying the attachment. */
    messageId: z.string().min(1),
    filename: z.string().min(1).max(255),
  }),
]);

const Address = z.email().transform((a) => a.toLowerCase());

/** An agent's reply in a conversation, as the API takes it (the send path composes and queues it). */
const replyFields = {
  text: z.string().max(1_000_000).optional(),
  html: z.string().max(2_000_000).optional(),
  /** One of the channel's allowed From addresses; the channel address when absent. */
  from: Address.optional(),
  cc: z.array(Address).max(50).optional(),
  bcc: z.array(Address).max(50).optional(),
  attachments: z.array(ReplyAttachmentSchema).max(20).optional(),
  /** Postroom id of the message answered; the last inbound message when absent. */
  inReplyTo: z.string().min(1).optional(),
};

const needsBody = (r: { readonly text?: string | undefined; readonly html?: string | undefined }): boolean => Boolean(r.text ?? r.html);

/** The body of `POST /conversations/{id}/reply`: the conversation is in the path, the agent defaults to the caller. */
export const ReplyBodySchema = z
  .object({ ...replyFields, agentId: z.string().min(1).max(200).optional() })
  .refine(needsBody, { message: 'a reply needs text or html', path: ['text'] });

export const ReplyRequestSchema = z
  .object({ ...replyFields, conversationId: z.string().min(1), agentId: z.string().min(1).max(200) })
  .refine(needsBody, { message: 'a reply needs text or html', path: ['text'] });
export type ReplyRequest = z.infer<typeof ReplyRequestSchema>;
