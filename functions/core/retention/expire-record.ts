import type { ExpiredRecord, ExpiringMessage, RetentionObjects, RetentionRecords } from './ports.ts';

export interface ExpireRecordDeps {
  readonly records: RetentionRecords;
  readonly objects: RetentionObjects;
}

/** What one expired record took along. Ids and ticket numbers only: nothing of a customer's mail. */
export interface ExpiryOutcome {
  readonly kind: ExpiredRecord['kind'];
  /** The conversation's id and ticket number, for a conversation. */
  readonly conversation: { readonly id: string; readonly ticketNumber: string; readonly channelId: string } | null;
  /** Stored messages deleted. */
  readonly messages: number;
  /** Objects deleted from the mail bucket. */
  readonly objects: number;
}

/**
 * Deletes what an expired item leaves behind, exactly once per item whatever retries happen (each
 * step is idempotent, and a message item goes last). The same reaction runs after DynamoDB's TTL
 * in AWS (the table's stream) and after the sandbox's sweep:
 *
 * - a conversation: every message under it with its traces (claims, processing and sending
 *   records, feedback lookups), its raw copy once no other channel's record uses it, its
 *   extracted attachments and outbound plan; then its notes and its ticket and reply-token entries;
 * - a message outside any conversation: the same for that one message;
 * - failed mail: its processing record and, once nothing else of the mail remains, its raw copy;
 * - anything else: nothing (it was all there was).
 */
export async function expireRecord(deps: ExpireRecordDeps, record: ExpiredRecord): Promise<ExpiryOutcome> {
  switch (record.kind) {
    case 'conversation': {
      const { conversation } = record;
      let objects = 0;
      const messages = await deps.records.messagesOf(conversation.id);
      for (const message of messages) objects += await expireMessage(deps, message);
      await deps.records.deleteConversation(conversation);
      const { id, ticketNumber, channelId } = conversation;
      return { kind: record.kind, conversation: { id, ticketNumber, channelId }, messages: messages.length, objects };
    }
    case 'message':
      return { kind: record.kind, conversation: null, messages: 1, objects: await expireMessage(deps, record.message) };
    case 'failed-mail': {
      const { rawUnused } = await deps.records.forgetFailedMail(record.sesMessageId, record.channelId);
      return { kind: record.kind, conversation: null, messages: 0, objects: rawUnused ? await deps.objects.deleteRaw(record.rawKey) : 0 };
    }
    case 'other':
      return { kind: record.kind, conversation: null, messages: 0, objects: 0 };
  }
}

/** One message: its traces in the table, its objects, then the message item itself. */
async function expireMessage(deps: ExpireRecordDeps, message: ExpiringMessage): Promise<number> {
  const { rawUnused } = await deps.records.forgetMessage(message);
  const objects = await deps.objects.deleteMessageObjects(message, { raw: rawUnused });
  await deps.records.deleteMessage(message);
  return objects;
}
