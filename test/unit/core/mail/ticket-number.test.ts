import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../functions/core/errors.ts';
import { extractTicketNumber, formatTicketNumber, isTicketNumber, renderSubject } from '../../../../functions/core/mail/ticket-number.ts';
import { TicketFormatSchema, type TicketFormat } from '../../../../functions/core/model/channel.ts';

const fmt = (overrides: Partial<TicketFormat> = {}): TicketFormat => TicketFormatSchema.parse(overrides);
const DEFAULT = fmt();
// Sequence 1234 → body 001234; Damm check digit of 001234 is 4.
const T = formatTicketNumber(1234, DEFAULT);

/** Changes the last digit so the check digit no longer validates. */
function badCheck(ticket: string): string {
  const last = Number(ticket.slice(-1));
  return ticket.slice(0, -1) + String((last + 1) % 10);
}

describe('formatTicketNumber', () => {
  it('zero-pads the sequence and appends a Damm check digit', () => {
    // Arrange
    const format = DEFAULT;

    // Act
    const ticket = formatTicketNumber(572, format);

    // Assert: 572 → Damm check digit 4 (the algorithm's textbook example).
    expect(ticket).toBe('0005724');
  });

  it('honours the digit count', () => {
    // Arrange
    const format = fmt({ digits: 5 });

    // Act
    const ticket = formatTicketNumber(1, format);

    // Assert
    expect(ticket).toHaveLength(5);
    expect(ticket.startsWith('0001')).toBe(true);
  });

  it.each([0, -1, 1.5, 1_000_000, Number.NaN])('refuses sequence %s', (sequence) => {
    // Arrange
    const format = DEFAULT;

    // Act
    const act = () => formatTicketNumber(sequence, format);

    // Assert
    expect(act).toThrow(ValidationError);
  });

  it('accepts the largest sequence that fits', () => {
    // Arrange
    const format = DEFAULT;

    // Act
    const ticket = formatTicketNumber(999_999, format);

    // Assert
    expect(isTicketNumber(ticket, format)).toBe(true);
  });
});

describe('isTicketNumber', () => {
  it('accepts a formatted number', () => {
    // Arrange
    const ticket = T;

    // Act
    const valid = isTicketNumber(ticket, DEFAULT);

    // Assert
    expect(valid).toBe(true);
  });

  it('rejects a single-digit typo and an adjacent transposition', () => {
    // Arrange
    const typo = T.slice(0, 2) + String((Number(T[2]) + 3) % 10) + T.slice(3);
    const swapped = formatTicketNumber(120_934, DEFAULT).replace('09', '90');

    // Act
    const results = [isTicketNumber(typo, DEFAULT), isTicketNumber(swapped, DEFAULT)];

    // Assert
    expect(results).toEqual([false, false]);
  });

  it.each([
    ['wrong length', '12345678'],
    ['letters', '12a4567'],
    ['full-width digits', '１２３４５６７'],
    ['all zeros', '0000000'],
    ['empty', ''],
  ])('rejects %s', (_label, s) => {
    // Arrange
    const format = DEFAULT;

    // Act
    const valid = isTicketNumber(s, format);

    // Assert
    expect(valid).toBe(false);
  });

  it('rejects a bad check digit', () => {
    // Arrange
    const bad = badCheck(T);

    // Act
    const valid = isTicketNumber(bad, DEFAULT);

    // Assert
    expect(valid).toBe(false);
  });
});

describe('renderSubject', () => {
  it.each([
    [{}, `Help [#${T}]`],
    [{ placement: 'start' as const }, `[#${T}] Help`],
    [{ placement: 'hidden' as const }, 'Help'],
    [{ delimiter: 'none' as const }, `Help #${T}`],
    [{ delimiter: 'braces' as const }, `Help {#${T}}`],
    [{ hook: 'Ticket#' }, `Help [Ticket#${T}]`],
  ])('renders format %j', (overrides, expected) => {
    // Arrange
    const format = fmt(overrides);

    // Act
    const subject = renderSubject('Help', T, format);

    // Assert
    expect(subject).toBe(expected);
  });

  it('does not add a ticket the subject already carries', () => {
    // Arrange
    const subject = `Re: Help [#${T}]`;

    // Act
    const rendered = renderSubject(subject, T, DEFAULT);

    // Assert
    expect(rendered).toBe(subject);
  });

  it('keeps the ticket where a reply chain moved it', () => {
    // Arrange
    const subject = `AW: Re: [#${T}] Help`;

    // Act
    const rendered = renderSubject(subject, T, DEFAULT);

    // Assert
    expect(rendered).toBe(subject);
  });

  it('replaces a stale ticket of the same format', () => {
    // Arrange
    const stale = formatTicketNumber(99, DEFAULT);

    // Act
    const rendered = renderSubject(`Re: Old [#${stale}] issue`, T, DEFAULT);

    // Assert
    expect(rendered).toBe(`Re: Old issue [#${T}]`);
  });

  it('drops a stale ticket but keeps ours when both are present', () => {
    // Arrange
    const stale = formatTicketNumber(99, DEFAULT);

    // Act
    const rendered = renderSubject(`[#${stale}] Re: Help [#${T}]`, T, DEFAULT);

    // Assert
    expect(rendered).toBe(`Re: Help [#${T}]`);
  });

  it('leaves look-alikes of other formats alone', () => {
    // Arrange
    const subject = `Order [#${badCheck(T)}] and [Ticket#${T}]`;

    // Act
    const rendered = renderSubject(subject, T, DEFAULT);

    // Assert
    expect(rendered).toBe(`${subject} [#${T}]`);
  });

  it('renders only the ticket for an empty subject', () => {
    // Arrange
    const subject = '   ';

    // Act
    const rendered = renderSubject(subject, T, DEFAULT);

    // Assert
    expect(rendered).toBe(`[#${T}]`);
  });

  it('refuses a ticket that is not of the format', () => {
    // Arrange
    const bad = badCheck(T);

    // Act
    const act = () => renderSubject('Help', bad, DEFAULT);

    // Assert
    expect(act).toThrow(ValidationError);
  });
});

describe('extractTicketNumber', () => {
  it.each([
    ['end', `Help [#${T}]`],
    ['start', `[#${T}] Help`],
    ['a Re:/Fwd: chain', `Re: Fwd: AW: [#${T}] Re: Help`],
    ['non-breaking space', `Help\u00a0[#${T}]`],
    ['ideographic space', `Help\u3000[#${T}]\u3000`],
    ['tab and newline', `Help\t[#${T}]\n`],
    ['glued to text inside brackets', `Help[#${T}]`],
  ])('finds the ticket at %s', (_label, subject) => {
    // Arrange
    const format = DEFAULT;

    // Act
    const ticket = extractTicketNumber(subject, format);

    // Assert
    expect(ticket).toBe(T);
  });

  it.each([
    ['an order number', `Order 1234567 / ${T}`],
    ['a phone number', `Call me at +41 44 ${T.slice(0, 3)} ${T.slice(3)}`],
    ['a date', 'Invoice 2024-05-01'],
    ['eight digits', `Help [#${T}8]`],
    ['six digits', `Help [#${T.slice(1)}]`],
    ['a bad check digit', `Help [#${badCheck(T)}]`],
    ['another system hook', `Help [Ticket#${T}]`],
    ['an RT-style hook', `[support.example.com #${T}] Help`],
    ['full-width digits', 'Help [#１２３４５６７]'],
    ['full-width brackets', `Help ［#${T}］`],
    ['braces when brackets are configured', `Help {#${T}}`],
  ])('ignores %s', (_label, subject) => {
    // Arrange
    const format = DEFAULT;

    // Act
    const ticket = extractTicketNumber(subject, format);

    // Assert
    expect(ticket).toBeNull();
  });

  it.each([
    ['glued to letters before', `Order#${T}`],
    ['glued to digits after', `Help #${T}9`],
    ['glued to letters after', `Help #${T}x`],
    ['another hook', `Help Ticket#${T}`],
    ['a bad check digit', `Help #${badCheck(T)}`],
  ])('without delimiters ignores %s', (_label, subject) => {
    // Arrange
    const format = fmt({ delimiter: 'none' });

    // Act
    const ticket = extractTicketNumber(subject, format);

    // Assert
    expect(ticket).toBeNull();
  });

  it('without delimiters finds a free-standing hooked number', () => {
    // Arrange
    const format = fmt({ delimiter: 'none' });

    // Act
    const ticket = extractTicketNumber(`Re: (#${T}) Help`, format);

    // Assert
    expect(ticket).toBe(T);
  });

  it('matches the hook case-insensitively', () => {
    // Arrange
    const format = fmt({ hook: 'Ticket#' });

    // Act
    const ticket = extractTicketNumber(`RE: [TICKET#${T}] Help`, format);

    // Assert
    expect(ticket).toBe(T);
  });

  it('picks the last of several for end placement and the first for start placement', () => {
    // Arrange
    const other = formatTicketNumber(99, DEFAULT);
    const subject = `[#${other}] Re: Help [#${T}]`;

    // Act
    const end = extractTicketNumber(subject, DEFAULT);
    const start = extractTicketNumber(subject, fmt({ placement: 'start' }));

    // Assert
    expect([end, start]).toEqual([T, other]);
  });

  it('never reads tickets when placement is hidden', () => {
    // Arrange
    const format = fmt({ placement: 'hidden' });

    // Act
    const ticket = extractTicketNumber(`Help [#${T}]`, format);

    // Assert
    expect(ticket).toBeNull();
  });

  it('escapes regex characters in the hook', () => {
    // Arrange
    const format = fmt({ hook: 'T.*' });

    // Act
    const found = extractTicketNumber(`Help [T.*${T}]`, format);
    const notFound = extractTicketNumber(`Help [Tx${T}]`, format);

    // Assert
    expect([found, notFound]).toEqual([T, null]);
  });
});
