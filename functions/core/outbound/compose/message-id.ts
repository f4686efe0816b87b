import { ValidationError } from '../../errors.ts';
import type { IdGenerator } from '../../ports/clock.ts';
import { isUsableMessageId } from './thread-headers.ts';

/** The domain of an address, lowercase. Throws `ValidationError` for a string without one. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1).toLowerCase();
  if (at < 1 || domain === '') throw new ValidationError(`${address} has no domain`, [{ path: 'address', message: 'no domain' }]);
  return domain;
}

/**
 * Our own Message-ID for an outbound mail, without angle brackets: `RANDOM@DOMAIN`, the random
 * part from the id generator (a UUID: unique without coordination), the domain the channel's.
 * RFC 5322 §3.6.4 asks for an id-right that is ours, so the ids of two systems never collide.
 */
export function newMessageId(ids: IdGenerator, domain: string): string {
  const id = `${ids.next()}@${domain.toLowerCase()}`;
  if (!isUsableMessageId(id)) throw new ValidationError(`cannot build a Message-ID from ${id}`, [{ path: 'messageId', message: 'unusable id' }]);
  return id;
}

// As the inbound side reads tokens back (`replyTokens`): URL-safe, compared lowercase.
const TOKEN = /^[a-z0-9_-]{1,128}$/;

/**
 * The reply-token address `local+TOKEN@domain` of a channel address. Mail to it reaches the
 * channel (SES receipt rules match the domain; the inbound side strips `+TOKEN`), and the token
 * threads a reply even when the customer's client drops In-Reply-To and References. Throws
 * `ValidationError` when the token is not URL-safe or the local part grows past 64 characters.
 */
export function replyTokenAddress(channelAddress: string, token: string): string {
  const lower = token.toLowerCase();
  if (!TOKEN.test(lower)) throw new ValidationError('the reply token is not URL-safe', [{ path: 'replyToken', message: 'not URL-safe' }]);
  const at = channelAddress.lastIndexOf('@');
  const local = `${channelAddress.slice(0, at)}+${lower}`;
  // RFC 5321 §4.5.3.1.1: a local part has at most 64 octets.
  if (at < 1 || local.length > 64) {
    throw new ValidationError(`the reply-token address of ${channelAddress} would have a local part over 64 characters`, [
      { path: 'replyToken', message: 'local part too long' },
    ]);
  }
  return `${local}@${channelAddress.slice(at + 1).toLowerCase()}`;
}
