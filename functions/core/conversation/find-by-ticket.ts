import { ConflictError } from '../errors.ts';

/** What a lookup by ticket number needs of a conversation. */
export interface TicketHolder {
  readonly id: string;
  readonly channelId: string;
  readonly ticketNumber: string;
}

/**
 * Every conversation a ticket number names, looked up on each of the channels (the ticket index
 * is kept per channel). Since ticket numbers come from one counter for the deployment that is at
 * most one; a number handed out before (when each channel counted from 1) may name one per
 * channel. A leading `#` is ignored.
 */
export async function conversationsWithTicket<C extends TicketHolder>(
  lookup: (channelId: string, ticketNumber: string) => Promise<C | null>,
  channelIds: readonly string[],
  ticketNumber: string,
): Promise<C[]> {
  const ticket = ticketNumber.trim().replace(/^#/u, '');
  const byId = new Map<string, C>();
  for (const found of await Promise.all([...new Set(channelIds)].map((id) => lookup(id, ticket)))) if (found) byId.set(found.id, found);
  return [...byId.values()];
}

/**
 * The one conversation of a ticket number, or null. Several (a number from before ticket numbers
 * were unique across channels) are a `ConflictError` (409) naming each with its channel, so the
 * caller names the conversation by id or the channel instead of answering the wrong one.
 */
export function onlyConversation<C extends TicketHolder>(found: readonly C[], ticketNumber: string): C | null {
  if (found.length <= 1) return found[0] ?? null;
  const named = found.map((c) => `${c.id} (channel ${c.channelId})`).join(', ');
  throw new ConflictError(
    `ticket number ${ticketNumber} names ${found.length} conversations, from before ticket numbers were unique ` +
      `across channels: ${named}; name the conversation by id, or the channel`,
  );
}
