import type { OutboundStoredMessage } from '../model/stored-message.ts';

/**
 * Messages we send (replies, new mails, forwards, acknowledgements): the one writer of their
 * items, from queued to delivered, and their lookups by what delivery feedback names: the SES
 * message id of an SES event, or a Message-ID that a DSN or ARF report encloses.
 */
export interface OutboundMessageStore {
  /** The message SES sent under this id (its `providerMessageId`), or null. */
  findBySesMessageId(sesMessageId: string): Promise<OutboundStoredMessage | null>;
  /**
   * The message of the channel that carries this Message-ID (bare, without angle brackets) as
   * its own: its `internetMessageId` or one of its `threadIds`. Null when none does.
   */
  findByInternetMessageId(channelId: string, internetMessageId: string): Promise<OutboundStoredMessage | null>;
  /**
   * Writes the message and makes it findable by its provider id and Message-IDs; harmless to
   * repeat. With `expectedUpdatedAt`, writes only while the stored message still has that
   * `updatedAt` (another writer did not get there first), else throws `BusyError`.
   */
  put(message: OutboundStoredMessage, options?: { readonly expectedUpdatedAt?: string }): Promise<void>;
}
