import { z } from 'zod';
import { LaneSchema } from './classification.ts';
import { SlaViewSchema } from '../sla/sla-clock.ts';

/** Version of the routed-message record; bump on any breaking change. */
export const ROUTED_MESSAGE_SCHEMA_VERSION = 2 as const;

export const PrioritySchema = z.enum(['high', 'normal', 'low']);
export type Priority = z.infer<typeof PrioritySchema>;

/**
 * The record an agent's app reads from a skill queue: a small pointer to a stored message,
 * with what is needed to pick the right agent. Bodies and attachments stay in storage.
 */
export const RoutedMessageSchema = z
  .object({
    schemaVersion: z.literal(ROUTED_MESSAGE_SCHEMA_VERSION),
    channelId: z.string().describe('Channel (receiving address) the mail came in on.'),
    messageId: z
      .string()
      .describe(
        'Postroom id of the stored message. Consumers must de-duplicate on it: it is also the FIFO deduplication id, but SQS drops a resent record only within its 5-minute deduplication window, and a resend after a longer outage arrives twice.',
      ),
    internetMessageId: z.string().nullable().describe('Message-ID header, without angle brackets.'),
    conversationId: z.string().describe('Conversation the message belongs to; also the FIFO message group.'),
    ticketNumber: z.string().describe('Human ticket number of the conversation.'),
    isNewConversation: z.boolean(),
    lane: LaneSchema.describe('What kind of mail this is: human, bulk, auto-reply, ...'),
    laneReason: z.string(),
    tags: z.array(z.string()).describe('e.g. spam, dmarc-fail, auto, bulk, ticket-number-from-non-participant.'),
    skill: z.string().describe('Skill whose queue carries this record.'),
    routingRule: z.string().describe('Name of the routing rule that chose the skill, or `default`.'),
    priority: PrioritySchema,
    from: z.object({ address: z.string(), name: z.string() }).nullable(),
    subject: z.string(),
    receivedAt: z.string().describe('ISO 8601 time Postroom received the mail.'),
    previousAgent: z.string().nullable().describe('Agent who last answered in this conversation, for preferred-agent routing.'),
    autoAnswerAllowed: z.boolean().describe('False for automatic and bulk mail: never send an acknowledgement.'),
    language: z
      .string()
      .nullable()
      .default(null)
      .describe('ISO 639-1 code (lowercase) of the new text, without quoted history and signature; null when unsure.'),
    sla: SlaViewSchema.nullable().default(null).describe('The SLA of the conversation when the mail was routed (due times to sort by), or null without one.'),
  })
  .describe('Postroom routed message: one per inbound mail on a skill queue.');
export type RoutedMessage = z.infer<typeof RoutedMessageSchema>;

/**
 * A record as an earlier version wrote it, read as the current one: version 1 (before `language`
 * and `sla`; both read as null) is still found on the queues and in the checkpoints of mail
 * stored before an upgrade.
 */
export const StoredRoutedMessageSchema = z.preprocess(
  (value) =>
    typeof value === 'object' && value !== null && (value as { schemaVersion?: unknown }).schemaVersion === 1
      ? { ...value, schemaVersion: ROUTED_MESSAGE_SCHEMA_VERSION }
      : value,
  RoutedMessageSchema,
);

/** The JSON Schema (draft 2020-12) of the routed-message record, generated from its zod schema. */
export function routedMessageJsonSchema(): Record<string, unknown> {
  return {
    $id: `https://postroom.dev/schemas/routed-message.v${ROUTED_MESSAGE_SCHEMA_VERSION}.json`,
    title: 'RoutedMessage',
    ...z.toJSONSchema(RoutedMessageSchema, { target: 'draft-2020-12' }),
  };
}
