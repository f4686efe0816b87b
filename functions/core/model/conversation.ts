import { z } from 'zod';
import { SlaStateSchema } from '../sla/sla-clock.ts';

/** What threading needs to know about an existing conversation. */
export const ConversationRefSchema = z.object({
  id: z.string(),
  channelId: z.string(),
  ticketNumber: z.string(),
  /** Lowercase addresses of everyone who wrote or was written to in the conversation. */
  participants: z.array(z.string()),
  status: z.enum(['open', 'closed']),
  /** Agent who last answered, for preferred-agent routing. */
  lastAgent: z.string().nullable(),
  replyToken: z.string().nullable(),
  /** Lowercase addresses an agent forwarded mail of the conversation to (suppliers, specialists): never its customers. */
  externalParties: z.array(z.string()).optional(),
  /** Its SLA clocks, when it has them (`docs/sla.md`). */
  sla: SlaStateSchema.optional(),
});
export type ConversationRef = z.infer<typeof ConversationRefSchema>;

export const THREAD_RULES = ['in-reply-to', 'references', 'ticket-number', 'reply-token', 'original-message', 'new-conversation', 'unattached'] as const;
export type ThreadRule = (typeof THREAD_RULES)[number];

export const ThreadSignalSchema = z.object({
  kind: z.enum(['in-reply-to', 'references', 'ticket-number', 'reply-token', 'original-message']),
  value: z.string(),
  /** Conversation the signal points at, or null when it points at nothing known. */
  conversationId: z.string().nullable(),
  /** Why the signal was not used, when it was not. */
  ignored: z.string().nullable(),
});
export type ThreadSignal = z.infer<typeof ThreadSignalSchema>;

/** The threading decision for one inbound message, with its reasons. */
export const ThreadDecisionSchema = z.object({
  action: z.enum(['join', 'new', 'unattached']),
  rule: z.enum(THREAD_RULES),
  /** The conversation joined, or null for `new` and `unattached`. */
  conversation: ConversationRefSchema.nullable(),
  signals: z.array(ThreadSignalSchema),
  reason: z.string(),
  /** e.g. `ticket-number-from-non-participant`. */
  flags: z.array(z.string()),
  /**
   * Message-IDs this message makes part of its conversation: its own id and, for a new
   * conversation, the ids it refers to. A store claims them with conditional writes so two
   * mails of one new thread that race end in one conversation.
   */
  claimIds: z.array(z.string()),
});
export type ThreadDecision = z.infer<typeof ThreadDecisionSchema>;

/** Tag and thread flag of a mail from an external party of its conversation (`externalParties`): someone an agent forwarded its mail to. */
export const TAG_EXTERNAL_PARTY = 'external-party';
