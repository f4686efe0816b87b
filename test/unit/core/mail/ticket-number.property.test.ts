import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractTicketNumber, formatTicketNumber, isTicketNumber, renderSubject } from '../../../../functions/core/mail/ticket-number.ts';
import type { TicketFormat } from '../../../../functions/core/model/channel.ts';

const formatArb: fc.Arbitrary<TicketFormat> = fc.record({
  placement: fc.constantFrom('end', 'start', 'hidden'),
  delimiter: fc.constantFrom('none', 'brackets', 'braces'),
  hook: fc.constantFrom('#', 'Ticket#', 'T-', 'Nr.', '№', 'Case:'),
  digits: fc.integer({ min: 5, max: 12 }),
});

/** A format plus a sequence that fits its digit count. */
const ticketArb = formatArb.chain((format) => fc.integer({ min: 1, max: 10 ** (format.digits - 1) - 1 }).map((sequence) => ({ format, sequence })));

/** Subject text, biased towards the characters tickets are made of so collisions get tried. */
const subjectArb = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 60 }),
  fc
    .array(fc.constantFrom('[', ']', '{', '}', '#', 'Ticket#', 'Re: ', ' ', '\u00a0', '0', '1', '7', '9', 'x', 'Nr.'), {
      maxLength: 40,
    })
    .map((parts) => parts.join('')),
  fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.stringMatching(/^[0-9]{4,13}$/)), { maxLength: 8 }).map((p) => p.join(' ')),
);

/** A format, our sequence, and a subject that already carries stale valid tickets of that format. */
const staleArb = ticketArb.chain(({ format, sequence }) =>
  fc
    .array(
      fc.oneof(
        subjectArb,
        fc
          .integer({ min: 1, max: 10 ** (format.digits - 1) - 1 })
          .map((other) => renderSubject('', formatTicketNumber(other, format), { ...format, placement: 'end' })),
      ),
      { maxLength: 5 },
    )
    .map((parts) => ({ format, sequence, subject: parts.join(' ') })),
);

describe('ticket numbers (properties)', () => {
  it('stale tickets in the subject never hide ours, and render stays idempotent', () => {
    fc.assert(
      fc.property(staleArb, ({ format, sequence, subject }) => {
        // Arrange
        const ticket = formatTicketNumber(sequence, format);

        // Act
        const once = renderSubject(subject, ticket, format);

        // Assert
        expect(extractTicketNumber(once, format)).toBe(format.placement === 'hidden' ? null : ticket);
        expect(renderSubject(once, ticket, format)).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it('every formatted number validates and has the configured length', () => {
    fc.assert(
      fc.property(ticketArb, ({ format, sequence }) => {
        // Arrange / Act
        const ticket = formatTicketNumber(sequence, format);

        // Assert
        expect(ticket).toHaveLength(format.digits);
        expect(isTicketNumber(ticket, format)).toBe(true);
      }),
    );
  });

  it('extract(render(subject, ticket)) is the ticket, or null when hidden', () => {
    fc.assert(
      fc.property(ticketArb, subjectArb, ({ format, sequence }, subject) => {
        // Arrange
        const ticket = formatTicketNumber(sequence, format);

        // Act
        const extracted = extractTicketNumber(renderSubject(subject, ticket, format), format);

        // Assert
        expect(extracted).toBe(format.placement === 'hidden' ? null : ticket);
      }),
      { numRuns: 500 },
    );
  });

  it('render is idempotent', () => {
    fc.assert(
      fc.property(ticketArb, subjectArb, ({ format, sequence }, subject) => {
        // Arrange
        const ticket = formatTicketNumber(sequence, format);
        const once = renderSubject(subject, ticket, format);

        // Act
        const twice = renderSubject(once, ticket, format);

        // Assert
        expect(twice).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it('a reply prefix keeps the ticket findable', () => {
    fc.assert(
      fc.property(ticketArb, subjectArb, fc.constantFrom('Re: ', 'AW: ', 'Fwd: Re: ', 'RE:'), ({ format, sequence }, subject, prefix) => {
        // Arrange
        const ticket = formatTicketNumber(sequence, format);

        // Act
        const extracted = extractTicketNumber(prefix + renderSubject(subject, ticket, format), format);

        // Assert
        expect(extracted).toBe(format.placement === 'hidden' ? null : ticket);
      }),
    );
  });

  it('anything extracted from an arbitrary subject passes the check digit', () => {
    fc.assert(
      fc.property(formatArb, subjectArb, (format, subject) => {
        // Act
        const extracted = extractTicketNumber(subject, format);

        // Assert
        expect(extracted === null || isTicketNumber(extracted, format)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('a corrupted digit is never extracted', () => {
    fc.assert(
      fc.property(ticketArb, fc.nat(), fc.integer({ min: 1, max: 9 }), ({ format, sequence }, at, shift) => {
        // Arrange
        const ticket = formatTicketNumber(sequence, format);
        const i = at % ticket.length;
        const corrupted = ticket.slice(0, i) + String((Number(ticket[i]) + shift) % 10) + ticket.slice(i + 1);
        const subject = renderSubject('Help', ticket, format).replace(ticket, corrupted);

        // Act
        const extracted = extractTicketNumber(subject, format);

        // Assert
        expect(extracted).toBeNull();
      }),
    );
  });
});
