import { z } from 'zod';
import { LaneSchema } from './classification.ts';
import { THREAD_RULES } from './conversation.ts';
import { AttachmentSchema, MailAddressSchema } from './message.ts';
import { PrioritySchema } from './routed-message.ts';

/** Which way a message of a conversation went. */
export const DIRECTIONS = ['inbound', 'outbound'] as const;
export type Direction = (typeof DIRECTIONS)[number];

const commonFields = {
  /** Postroom id of the message. */
  messageId: z.string(),
  channelId: z.string(),
  /** The Message-ID header (with angle brackets): the customer's, or ours for mail we send. */
  internetMessageId: z.string().nullable(),
  subject: z.string(),
  from: MailAddressSchema.nullable(),
  to: z.array(MailAddressSchema),
  cc: z.array(MailAddressSchema),
  /** Start of the new text (quoted history removed), for lists; the body stays in S3. */
  preview: z.string(),
  attachments: z.array(AttachmentSchema),
};

/** A stored inbound message: metadata and a short preview, never the body or attachments. */
export const InboundStoredMessageSchema = z.object({
  direction: z.literal('inbound'),
  ...commonFields,
  /** Null for unattached, quarantined and dropped mail. */
  conversationId: z.string().nullable(),
  sesMessageId: z.string(),
  rawKey: z.string(),
  date: z.string().nullable(),
  receivedAt: z.string(),
  // What an answer needs to address and thread it (RFC 5322 §3.6.2, §3.6.4).
  replyTo: z.array(MailAddressSchema).default([]),
  sender: MailAddressSchema.nullable().default(null),
  inReplyTo: z.string().nullable().default(null),
  /** The newest Message-IDs of its References, capped. */
  references: z.array(z.string()).default([]),
  lane: LaneSchema,
  laneReason: z.string(),
  tags: z.array(z.string()),
  disposition: z.enum(['route', 'record', 'quarantine', 'drop']),
  route: z.object({ skill: z.string(), rule: z.string(), priority: PrioritySchema }).nullable(),
  thread: z.object({
    rule: z.enum(THREAD_RULES),
    reason: z.string(),
    flags: z.array(z.string()),
    /** An unauthenticated follow-up (`unauthenticated-follow-up`): the conversation its ticket number or reply token named, not joined. */
    linkedConversationId: z.string().nullable().optional(),
  }),
  rejectedAttachments: z.array(z.string()),
  /** ISO 639-1 code of the new text, null when unsure (and on messages stored before detection). */
  language: z.string().nullable().default(null),
});
export type InboundStoredMessage = z.infer<typeof InboundStoredMessageSchema>;

/**
 * Where a message we send stands: `queued` until the sender takes it, `sent` when the transport
 * accepted it, `failed` when it gave up (with the reason); delivery feedback moves a sent message
 * on per recipient.
 */
export const DELIVERY_STATUSES = ['queued', 'sent', 'failed', 'delivered', 'delayed', 'bounced', 'complained'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** What is known of the delivery to one recipient. */
export const RecipientDeliverySchema = z.object({
  address: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  /** SMTP or enhanced status, when the report gives one. */
  smtpStatus: z.string().nullable(),
  detail: z.string().nullable(),
  at: z.string(),
});
export type RecipientDelivery = z.infer<typeof RecipientDeliverySchema>;

/** A message we send (an agent's reply, a new outbound mail, an acknowledgement) and its fate. */
export const OutboundStoredMessageSchema = z.object({
  direction: z.literal('outbound'),
  ...commonFields,
  conversationId: z.string(),
  /** An agent's reply, a new mail to a customer (it started the conversation), a forward to an external party, or an automatic acknowledgement. */
  purpose: z.enum(['reply', 'new', 'forward', 'acknowledgement']),
  /** The agent who wrote it; null for an acknowledgement. */
  agentId: z.string().nullable(),
  /**
   * Sent to external parties (a forward, or a reply to an external party's mail): its recipients
   * become the conversation's external parties, not participants, and it answers no customer.
   */
  external: z.boolean().default(false),
  bcc: z.array(MailAddressSchema),
  /** The Postroom message this answers, when it is a reply. */
  inReplyTo: z.string().nullable(),
  /** Id the transport gave the message (SES message id, SMTP queue id), once sent. */
  providerMessageId: z.string().nullable(),
  /** Message-IDs a reply to it may carry: ours and, for SES, the id SES rewrote it to. */
  threadIds: z.array(z.string()),
  status: z.enum(DELIVERY_STATUSES),
  /** Why it failed (or what the last report said), never a secret. */
  statusReason: z.string().nullable(),
  /** A failure that will be retried (`failed` is final only when false). */
  retrying: z.boolean(),
  recipients: z.array(RecipientDeliverySchema),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  updatedAt: z.string(),
});
export type OutboundStoredMessage = z.infer<typeof OutboundStoredMessageSchema>;

/** A message of a conversation, either way. */
export const StoredMessageSchema = z.discriminatedUnion('direction', [InboundStoredMessageSchema, OutboundStoredMessageSchema]);
export type StoredMessage = z.infer<typeof StoredMessageSchema>;

/** The time a stored message sorts by in its conversation. */
export function messageTime(message: StoredMessage): string {
  return message.direction === 'inbound' ? message.receivedAt : message.createdAt;
}
