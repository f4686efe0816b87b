import { recordChange, type AdminRequest, type AuditDeps } from '../admin/admin-context.ts';
import { NotFoundError } from '../errors.ts';
import type { ChannelSettings } from '../model/channel.ts';
import type { LegalHoldInput, RetentionSettings } from '../model/retention.ts';
import { messageTime } from '../model/stored-message.ts';
import type { ConversationAdmin, ConversationSummary, VersionedStore } from '../ports/admin.ts';
import { conversationExpiry, mailRetentionDays } from './expiry.ts';
import type { LegalHolds } from './ports.ts';

export interface LegalHoldDeps extends AuditDeps {
  readonly conversations: Pick<ConversationAdmin, 'get' | 'messages'>;
  readonly holds: LegalHolds;
  /** The channels, for the retention a released conversation gets again. */
  readonly channels: Pick<VersionedStore<ChannelSettings>, 'get'>;
  /** The account-wide settings (a channel without its own `retention` uses them). */
  readonly retention: Pick<RetentionSettings, 'mailDays'>;
}

/**
 * Places a legal hold on a conversation (a merged one: where it ended): its expiry is removed in
 * the same write, so nothing of it expires until the hold is lifted. Placing it again changes the
 * reason and who placed it, and keeps when it was first placed. Audited.
 */
export async function placeLegalHold(deps: LegalHoldDeps, request: AdminRequest, conversationId: string, input: LegalHoldInput): Promise<ConversationSummary> {
  const conversation = await existing(deps, conversationId);
  const since = conversation.legalHold?.since ?? deps.clock.now().toISOString();
  const held = await deps.holds.place(conversation.id, { since, by: request.actor.id, reason: input.reason });
  await recordChange(deps, request, 'conversation.legal-hold.place', { type: 'conversation', id: conversation.id }, ['legalHold']);
  return held;
}

/**
 * Lifts a conversation's legal hold and gives it its expiry again, from the retention setting as
 * it is now (the channel's, else the account's) and its last message: a conversation whose time
 * ran out while it was held expires at the next pass. Audited.
 */
export async function releaseLegalHold(deps: LegalHoldDeps, request: AdminRequest, conversationId: string): Promise<ConversationSummary> {
  const conversation = await existing(deps, conversationId);
  if (!conversation.legalHold) throw new NotFoundError(`conversation ${conversationId} has no legal hold`);
  const channel = await deps.channels.get(conversation.channelId);
  // A channel deleted since keeps its conversations for the account-wide period.
  const retentionDays = mailRetentionDays(channel?.value ?? {}, deps.retention);
  const messages = await deps.conversations.messages(conversation.id);
  // ISO 8601 times in UTC sort as text: the newest message, or the creation of one without any.
  const lastActivity = [conversation.createdAt, ...messages.map(messageTime)].sort().at(-1) ?? conversation.createdAt;
  const expiresAt = conversationExpiry({ lastActivity, retentionDays, legalHold: null }) ?? 0;
  const released = await deps.holds.release(conversation.id, { expiresAt, retentionDays });
  await recordChange(deps, request, 'conversation.legal-hold.release', { type: 'conversation', id: conversation.id }, ['legalHold', 'expiresAt']);
  return released;
}

async function existing(deps: LegalHoldDeps, conversationId: string): Promise<ConversationSummary> {
  const conversation = await deps.conversations.get(conversationId);
  if (!conversation) throw new NotFoundError(`conversation ${conversationId} not found`);
  return conversation;
}
