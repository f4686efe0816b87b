import type { ChannelSettings } from '../model/channel.ts';
import type { Candidate } from '../model/inbound-record.ts';
import type { IdGenerator } from '../ports/clock.ts';
import type { TicketSequence } from '../ports/conversation-store.ts';
import { formatTicketNumber } from '../mail/ticket-number.ts';

/**
 * The conversation a `new` decision will create: the channel's next ticket number, a new id and,
 * if the channel uses them, a reply token. Fixed before the first write, so retries reuse it.
 */
export async function newCandidate(deps: { readonly tickets: TicketSequence; readonly ids: IdGenerator }, channel: ChannelSettings): Promise<Candidate> {
  const ticketNumber = formatTicketNumber(await deps.tickets.next(channel.id), channel.ticket);
  return { conversationId: deps.ids.next(), ticketNumber, replyToken: channel.replyToken ? deps.ids.next().toLowerCase() : null };
}
