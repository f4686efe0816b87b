import type { ConversationRef } from '../model/conversation.ts';
import type { ConversationStore } from '../ports/conversation-store.ts';

export interface SentMessageInput {
  readonly channelId: string;
  readonly conversationId: string;
  /** The Postroom id of the stored outbound message. */
  readonly messageId: string;
  /** Message-IDs a reply may carry: ours, and the one the provider rewrote it to (SES). */
  readonly threadIds: readonly string[];
  /** Everyone the mail went to (To, Cc, Bcc): they become participants. */
  readonly recipients: readonly string[];
  /** The agent who wrote it; null for an automatic message (an acknowledgement). */
  readonly agentId: string | null;
  /**
   * Sent to external parties (a forward, or a reply to an external party's mail): its recipients
   * become external parties of the conversation, not participants, and its Message-IDs are marked,
   * so a mail answering it is known as theirs. It answers no customer (the SLA does not count it). @default false
   */
  readonly external?: boolean;
  /** ISO time of the write. */
  readonly at: string;
}

/**
 * Makes a message we sent part of its conversation: its recipients become participants, its
 * agent the conversation's last agent (for preferred-agent routing), and its Message-IDs are
 * claimed for the conversation and owned by the stored message, so a customer's reply threads
 * by any of them, and a copy of our own mail coming back is known as ours, never a customer's.
 * Idempotent: a retried send records the same.
 */
export async function recordSentMessage(store: ConversationStore, input: SentMessageInput): Promise<ConversationRef> {
  const recipients = [...new Set(input.recipients.map((r) => r.toLowerCase()))];
  const conversation = await store.join(input.conversationId, recipients, input.at, {
    // An agent's reply leaves the conversation's status to the agent's app.
    reopen: false,
    ...(input.agentId !== null ? { agent: input.agentId } : {}),
    ...(input.external ? { external: true } : {}),
    // An agent's mail to the customer (a reply, a new mail; not an acknowledgement or a mail to external parties) meets the first response and pauses the SLA clocks.
    ...(input.agentId !== null && !input.external ? { answer: true } : {}),
  });
  // Ids of a mail to external parties are marked: a mail answering one is theirs, whoever it names.
  const claim = input.external ? { external: true } : {};
  for (const id of new Set(input.threadIds)) await store.claimOwn(input.channelId, id, input.messageId, conversation.id, undefined, claim);
  return conversation;
}
