import { isMessageId } from '../mail/thread-signals.ts';
import type { ChannelSettings } from '../model/channel.ts';
import type { InboundRecord } from '../model/inbound-record.ts';
import type { ParsedMessage } from '../model/message.ts';
import type { ConversationStore } from '../ports/conversation-store.ts';
import type { DecidedMessage, DecidedMessages } from '../ports/inbound.ts';

/**
 * The record in `decided` that an earlier attempt of this mail left on its stored message, or null.
 *
 * A message whose own Message-ID's claim names its conversation carries its mail's pointer and
 * acknowledgement (the decided checkpoint) instead of the record: the message is written anyway,
 * before anything is sent, and a retry finds it through that claim (owned by this message, the
 * claim names the conversation it was stored in: a published conversation's claims never move).
 * A retry that finds it resends exactly what the crashed attempt was about to send, whatever
 * changed since (a conversation closed, routing rules edited). One that finds nothing decides
 * again: nothing of the earlier attempt was queued.
 */
export async function resumeDecided(
  deps: { readonly conversations: ConversationStore; readonly messages: DecidedMessages },
  channel: ChannelSettings,
  record: InboundRecord,
  message: ParsedMessage,
): Promise<InboundRecord | null> {
  const ownId = message.messageId && isMessageId(message.messageId) ? message.messageId : null;
  if (!ownId) return null;
  const claim = (await deps.conversations.findClaims(channel.id, [ownId])).get(ownId);
  if (claim?.owner !== record.messageId || !claim.conversationId) return null;
  const key = { channelId: channel.id, conversationId: claim.conversationId, receivedAt: record.mail.receivedAt, messageId: record.messageId };
  const found = await deps.messages.findDecided(key);
  return found ? decidedRecord(record, found) : null;
}

/** The record in `decided` as a stored message and its checkpoint describe it. */
export function decidedRecord(record: InboundRecord, { message, decided }: DecidedMessage): InboundRecord {
  return {
    ...record,
    state: 'decided',
    conversationId: message.conversationId,
    routed: decided.routed,
    acknowledgement: decided.acknowledgement,
    disposition: message.disposition,
    lane: message.lane,
    tags: [...message.tags],
    error: null,
  };
}
