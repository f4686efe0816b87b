import { z } from 'zod';
import { AttachmentRefSchema, type OutboundAddress } from './outbound-mail.ts';

/**
 * An address as an API caller gives it: a bare address, or an address with a display name.
 * Not checked here beyond its shape: header safety names the field of an unsafe value.
 */
export const AddressInputSchema = z.union([
  z.string().max(254).transform((address): OutboundAddress => ({ address: address.trim(), name: '' })),
  z.object({ address: z.string().max(254).transform((a) => a.trim()), name: z.string().max(200).default('') }),
]);
export type AddressInput = z.input<typeof AddressInputSchema>;

/** The agent's signature; either part may be missing (the other is derived). */
export const SignatureSchema = z.object({
  text: z.string().max(16 * 1024).nullable().default(null),
  html: z.string().max(64 * 1024).nullable().default(null),
});

/** What an agent's app sends to answer a conversation. */
const AgentReplyFields = z.object({
  agentId: z.string().min(1).max(200),
  /** Shown in the template's `{{agentName}}`. */
  agentName: z.string().max(200).default(''),
  /** One of the channel's From addresses; the channel address when missing. */
  from: z.string().max(254).optional(),
  text: z.string().max(2 * 1024 * 1024).nullable().default(null),
  html: z.string().max(8 * 1024 * 1024).nullable().default(null),
  signature: SignatureSchema.nullable().default(null),
  cc: z.array(AddressInputSchema).max(50).default([]),
  bcc: z.array(AddressInputSchema).max(50).default([]),
  attachments: z.array(AttachmentRefSchema).max(100).default([]),
});

const hasBody = (r: { text: string | null; html: string | null }): boolean => (r.text ?? '').trim() !== '' || (r.html ?? '').trim() !== '';

export const AgentReplySchema = AgentReplyFields.refine(hasBody, { message: 'give text or html', path: ['text'] });
export type AgentReply = z.infer<typeof AgentReplySchema>;
export type AgentReplyInput = z.input<typeof AgentReplySchema>;

/** A new outbound mail (not an answer): the reply fields plus To and a subject. */
export const NewMailRequestSchema = z
  .object({
    ...AgentReplyFields.shape,
    to: z.array(AddressInputSchema).min(1).max(50),
    subject: z.string().max(998),
  })
  .refine(hasBody, { message: 'give text or html', path: ['text'] });
export type NewMailRequest = z.infer<typeof NewMailRequestSchema>;
export type NewMailRequestInput = z.input<typeof NewMailRequestSchema>;
