import { describe, expect, it } from 'vitest';
import { baseAddress, customerAddress, isOwnAddress, participantsOf, replyToDiffers } from '../../../functions/core/mail/participants.ts';
import type { ParsedMessage } from '../../../functions/core/model/message.ts';
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

  it('takes nobody from a mail whose DMARC failed: its From is a forgery', () => {
    expect(participantsOf(channel, message, ['dmarc-fail'])).toEqual([]);
    expect(participantsOf(channel, message, ['spoofing-suspected'])).toEqual([]);
  });

  it('takes only From from a mail nothing authenticates, or a refused follow-up: the other headers are the writer’s choice', () => {
    expect(participantsOf(channel, message, ['unauthenticated-sender'])).toEqual(['a@customer.example']);
    expect(participantsOf(channel, message, ['unauthenticated-follow-up'])).toEqual(['a@customer.example']);
  });

  it('never takes a Reply-To that was not honoured', () => {
    expect(participantsOf(channel, message, ['reply-to-differs'])).toEqual(['a@customer.example', 'colleague@customer.example']);
  });
});

describe('replyToDiffers', () => {
  const withReplyTo = (replyTo: string[]) => parsedMessage({ from: addr('carla@customer.example'), replyTo: replyTo.map(addr) });
  const join = (participants: string[]) => ({ action: 'join' as const, conversation: { participants } });
  const opens = { action: 'new' as const, conversation: null };

  it('is false without a Reply-To, or one naming the From address or the channel', () => {
    expect(replyToDiffers(channel, withReplyTo([]), opens, false)).toBe(false);
    expect(replyToDiffers(channel, withReplyTo(['Carla@Customer.example']), opens, false)).toBe(false);
    expect(replyToDiffers(channel, withReplyTo(['support+tok@example.com']), join([]), true)).toBe(false);
  });

  it('in a conversation, honours only a Reply-To whose every address is a participant already', () => {
    expect(replyToDiffers(channel, withReplyTo(['team@customer.example']), join(['carla@customer.example', 'team@customer.example']), true)).toBe(false);
    expect(replyToDiffers(channel, withReplyTo(['attacker@attacker.example']), join(['carla@customer.example']), true)).toBe(true);
    expect(replyToDiffers(channel, withReplyTo(['team@customer.example', 'x@attacker.example']), join(['team@customer.example']), true)).toBe(true);
  });

  it('in the first mail of a conversation, honours a Reply-To only from an authenticated sender', () => {
    expect(replyToDiffers(channel, withReplyTo(['carla@home.example']), opens, true)).toBe(false);
    expect(replyToDiffers(channel, withReplyTo(['attacker@attacker.example']), opens, false)).toBe(true);
  });

  it('is false for a mail without From: the Reply-To is whom it names', () => {
    expect(replyToDiffers(channel, parsedMessage({ from: null, replyTo: [addr('x@y.example')] }), opens, false)).toBe(false);
  });
});

describe('customerAddress', () => {
  it.each([
    ['From', { from: addr('Jane <jane@customer.example>'), replyTo: [addr('other@customer.example')] }, 'jane@customer.example'],
    [
      'Reply-To when From is missing',
      { from: null, replyTo: [addr('Shop Customer <customer@customer.example>')], sender: addr('forms@webshop.example') },
      'customer@customer.example',
    ],
    ['Sender when From and Reply-To are missing', { from: null, replyTo: [], sender: addr('forms@webshop.example') }, 'forms@webshop.example'],
    [
      'Reply-To when From has an empty address',
      { from: { address: '', name: 'Shop Customer' }, replyTo: [addr('customer@customer.example')] },
      'customer@customer.example',
    ],
  ] as [string, Partial<ParsedMessage>, string][])('takes %s', (_, fields, expected) => {
    // Arrange
    const message = parsedMessage(fields);

    // Act
    const customer = customerAddress(message);

    // Assert
    expect(customer?.address).toBe(expected);
  });

  it('is null when no header names an address', () => {
    // Act
    const customer = customerAddress(parsedMessage({ from: null, replyTo: [], sender: null }));

    // Assert
    expect(customer).toBeNull();
  });
});
