import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractTicketNumber, formatTicketNumber } from '../../../../functions/core/mail/ticket-number.ts';
import { TicketFormatSchema, type TicketFormat } from '../../../../functions/core/model/channel.ts';
import { newMailSubject, replySubject, stripReplyPrefixes } from '../../../../functions/core/outbound/compose/reply-subject.ts';

const END = TicketFormatSchema.parse({});
const START = TicketFormatSchema.parse({ placement: 'start' });
const HIDDEN = TicketFormatSchema.parse({ placement: 'hidden' });
const NONE = TicketFormatSchema.parse({ delimiter: 'none', hook: 'Ticket#' });
const T = formatTicketNumber(1, END); // 0000011
const STALE = formatTicketNumber(2, END);

describe('stripReplyPrefixes', () => {
  it.each([
    ['Re: Printer', 'Printer'],
    ['RE: AW: Fwd: Printer', 'Printer'],
    ['Re:Re:Printer', 'Printer'],
    ['Re[2]: Re(3): Re^4: Printer', 'Printer'],
    ['Réf : Imprimante', 'Imprimante'],
    ['SV: VS: Antw: Odp: Ref: Vs: Printer', 'Printer'],
    ['WG: TR: RV: Enc: Doorst: Printer', 'Printer'],
    ['回复：答复: 打印机', '打印机'],
    ['Ответ: Принтер', 'Принтер'],
    ['Printer Re: broken', 'Printer Re: broken'],
    ['Reading list', 'Reading list'],
    ['Rechnung: März', 'Rechnung: März'],
  ])('%s → %s', (subject, expected) => {
    expect(stripReplyPrefixes(subject)).toBe(expected);
  });
});

describe('replySubject', () => {
  it('puts one Re: in front and the ticket at the end', () => {
    // Arrange
    const original = 'RE: AW: Printer broken';

    // Act
    const subject = replySubject(original, T, END);

    // Assert
    expect(subject).toBe(`Re: Printer broken [#${T}]`);
  });

  it('does not repeat a ticket of ours that the subject carries, wherever it is', () => {
    expect(replySubject(`Re: Printer broken [#${T}]`, T, END)).toBe(`Re: Printer broken [#${T}]`);
    expect(replySubject(`AW: [#${T}] Re: Printer broken`, T, END)).toBe(`Re: Printer broken [#${T}]`);
    expect(replySubject(`Re: [#${T}] Printer [#${T}]`, T, END)).toBe(`Re: Printer [#${T}]`);
  });

  it('places the ticket after Re: for the start placement', () => {
    expect(replySubject(`Re: Re: [#${T}] Printer`, T, START)).toBe(`Re: [#${T}] Printer`);
  });

  it('replaces a stale ticket of the same format with ours', () => {
    expect(replySubject(`Re: Printer [#${STALE}]`, T, END)).toBe(`Re: Printer [#${T}]`);
  });

  it('keeps numbers that are not tickets of this format', () => {
    expect(replySubject('Re: Order#0000011 and [#123]', T, NONE)).toBe(`Re: Order#0000011 and [#123] Ticket#${T}`);
  });

  it('leaves the number out for a hidden format and neutralises control characters of the customer', () => {
    expect(replySubject('Re:\tPrinter\r\n broken', T, HIDDEN)).toBe('Re: Printer broken');
  });

  it('answers a subject that is empty or only prefixes', () => {
    expect(replySubject('', T, END)).toBe(`Re: [#${T}]`);
    expect(replySubject('Re: ', T, HIDDEN)).toBe('Re:');
  });

  it('cuts a very long customer subject so the reply subject stays one header line', () => {
    const subject = replySubject(`Re: ${'x'.repeat(5000)}`, T, END);
    expect(subject.length).toBeLessThan(998);
    expect(subject.endsWith(`[#${T}]`)).toBe(true);
  });

  it('is idempotent, starts with one Re: and carries exactly our ticket (property)', () => {
    const formatArb: fc.Arbitrary<TicketFormat> = fc.record({
      placement: fc.constantFrom('end', 'start'),
      delimiter: fc.constantFrom('none', 'brackets', 'braces'),
      hook: fc.constantFrom('#', 'Ticket#', 'T-'),
      digits: fc.integer({ min: 5, max: 9 }),
    });
    const partArb = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom('Re:', 'AW: ', 'Fwd:', ' RE : ', '回复：', '[', ']', '#', 'Ticket#', ' '));
    fc.assert(
      fc.property(formatArb, fc.array(partArb, { maxLength: 10 }), fc.integer({ min: 1, max: 9999 }), (format, parts, seq) => {
        // Arrange
        const ticket = formatTicketNumber(seq, format);
        const original = parts.join('');

        // Act
        const once = replySubject(original, ticket, format);

        // Assert
        expect(once.startsWith('Re: ')).toBe(true);
        expect(stripReplyPrefixes(once.slice(4))).toBe(once.slice(4));
        expect(extractTicketNumber(once, format)).toBe(ticket);
        expect(once.split(ticket).length - 1).toBe(1);
        expect(replySubject(once, ticket, format)).toBe(once);
      }),
      { numRuns: 300 },
    );
  });
});

describe('newMailSubject', () => {
  it('places the ticket in the agent subject', () => {
    expect(newMailSubject(' Your order ', T, END)).toBe(`Your order [#${T}]`);
  });
});
