import { describe, expect, it } from 'vitest';
import { baseAddress, isOwnAddress, participantsOf } from '../../../functions/core/mail/participants.ts';
import { addr, channelSettings, parsedMessage } from '../../support/factories.ts';

const channel = channelSettings({ aliases: ['help@example.org'] });
const message = parsedMessage({
  from: addr('A <A@Customer.Example>'),
  replyTo: [addr('replies@customer.example')],
  to: [addr('support@example.com'), addr('colleague@customer.example')],
  cc: [addr('Support+Tok123@Example.com'), addr('help@example.org'), addr('a@customer.example')],
});

describe('isOwnAddress', () => {
  it('knows the channel address, its aliases and their +tag forms in any case', () => {
    expect(['SUPPORT@example.com', 'support+x@example.com', 'help+y@example.org'].map((a) => isOwnAddress(channel, a))).toEqual([true, true, true]);
    expect(['supporter@example.com', 'support@example.org', 'x+support@example.com'].map((a) => isOwnAddress(channel, a))).toEqual([false, false, false]);
  });

  it('reduces an address to its base form', () => {
    expect(baseAddress(' Support+Token@Example.com ')).toBe('support@example.com');
    expect(baseAddress('no-at-sign')).toBe('no-at-sign');
  });
});

describe('participantsOf', () => {
  it('takes From, Reply-To, To and Cc, lowercase and unique, without the channel’s own', () => {
    expect(participantsOf(channel, message)).toEqual(['a@customer.example', 'replies@customer.example', 'colleague@customer.example']);
  });

  it('takes only From from a mail flagged for using a ticket number or reply token it was never given', () => {
    expect(participantsOf(channel, message, ['ticket-number-from-non-participant'])).toEqual(['a@customer.example']);
    expect(participantsOf(channel, message, ['reply-token-from-non-participant'])).toEqual(['a@customer.example']);
  });

  it('takes nobody from an unauthenticated mail: its From proves nothing', () => {
    expect(participantsOf(channel, message, ['dmarc-fail'])).toEqual([]);
    expect(participantsOf(channel, message, ['spoofing-suspected'])).toEqual([]);
  });
});
