import { ValidationError } from '../errors.ts';
import type { TicketFormat } from '../model/channel.ts';

/*
 * Ticket numbers are `digits - 1` digits of zero-padded sequence plus one Damm check digit.
 * Damm catches every single-digit typo and every swap of adjacent digits (Luhn misses 09↔90),
 * and a random number of the right length validates only one time in ten. The hook and the
 * delimiters are the main defence against look-alikes (order numbers, phone numbers, dates);
 * the check digit is the second one, so `delimiter: none` is the weakest format.
 */

// Damm's totally anti-symmetric quasigroup of order 10.
const DAMM: readonly (readonly number[])[] = [
  [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
  [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
  [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
  [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
  [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
  [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
  [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
  [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
  [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
  [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

function dammInterim(digits: string): number {
  let interim = 0;
  for (const ch of digits) interim = DAMM[interim]?.[ch.charCodeAt(0) - 48] ?? 0;
  return interim;
}

/**
 * Formats a channel's ticket sequence value as its human ticket number: `format.digits` ASCII
 * digits, the zero-padded sequence followed by a Damm check digit (`1` → `0000011` for 7 digits).
 * Throws `ValidationError` when the sequence is not a positive integer or does not fit.
 */
export function formatTicketNumber(sequence: number, format: TicketFormat): string {
  const width = format.digits - 1;
  if (!Number.isSafeInteger(sequence) || sequence < 1 || sequence >= 10 ** width) {
    throw new ValidationError(`ticket sequence ${sequence} does not fit ${format.digits} digits`, [
      { path: 'ticket.digits', message: 'too few digits for the ticket sequence' },
    ]);
  }
  const body = String(sequence).padStart(width, '0');
  return body + String(dammInterim(body));
}

/** True when `s` is a ticket number of this format: right length, ASCII digits, valid check digit, not all zeros. */
export function isTicketNumber(s: string, format: TicketFormat): boolean {
  if (s.length !== format.digits || !/^[0-9]+$/.test(s) || /^0+$/.test(s.slice(0, -1))) return false;
  return dammInterim(s) === 0;
}

const DELIMITERS = { none: ['', ''], brackets: ['[', ']'], braces: ['{', '}'] } as const;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The rendered form of a ticket in a subject, e.g. `[#1234567]`. */
function token(ticket: string, format: TicketFormat): string {
  const [open, close] = DELIMITERS[format.delimiter];
  return `${open}${format.hook}${ticket}${close}`;
}

/**
 * Every candidate of this format in a subject. With delimiters the brackets bound the number;
 * without them the hook must not be glued to a letter or digit before it (`Order#…`,
 * `[Ticket#…]` when the hook is `#`), nor the digits to one after. Hooks compare
 * case-insensitively. Candidates still need `isTicketNumber`.
 */
function candidatePattern(format: TicketFormat): RegExp {
  const [open, close] = DELIMITERS[format.delimiter];
  const hook = escapeRegExp(format.hook);
  const digits = `([0-9]{${format.digits}})`;
  if (format.delimiter === 'none') {
    return new RegExp(`(?<![\\p{L}\\p{N}\\p{M}])${hook}${digits}(?![\\p{L}\\p{N}\\p{M}])`, 'giu');
  }
  return new RegExp(`${escapeRegExp(open)}${hook}${digits}${escapeRegExp(close)}`, 'giu');
}

interface Found {
  readonly ticket: string;
  readonly index: number;
  readonly length: number;
}

function findTickets(subject: string, format: TicketFormat): Found[] {
  const found: Found[] = [];
  for (const m of subject.matchAll(candidatePattern(format))) {
    const ticket = m[1] ?? '';
    if (isTicketNumber(ticket, format)) found.push({ ticket, index: m.index, length: m[0].length });
  }
  return found;
}

/**
 * The ticket number carried by a subject, or null. Only the channel's exact format counts (hook,
 * delimiters, digit count, check digit); a number anywhere in a `Re: Fwd:` chain is found. With
 * several, the one where this format places it wins: the last for `end`, the first for `start`.
 * `hidden` never carries numbers in subjects, so it always yields null.
 */
export function extractTicketNumber(subject: string, format: TicketFormat): string | null {
  if (format.placement === 'hidden') return null;
  const found = findTickets(subject, format);
  const pick = format.placement === 'start' ? found[0] : found[found.length - 1];
  return pick?.ticket ?? null;
}

/**
 * The subject with the ticket number placed per the format: `Subject [#1234567]` (end),
 * `[#1234567] Subject` (start), or unchanged (hidden). Idempotent: a subject that already
 * carries this ticket is returned as is. Other valid tickets of the same format are stale
 * (e.g. a customer reused an old subject for a new request) and are removed, so a reply can
 * never carry two numbers of ours. Throws `ValidationError` for a ticket that is not of this format.
 */
export function renderSubject(subject: string, ticket: string, format: TicketFormat): string {
  if (format.placement === 'hidden') return subject;
  if (!isTicketNumber(ticket, format)) {
    throw new ValidationError(`${ticket} is not a ticket number of this channel's format`);
  }
  const found = findTickets(subject, format);
  const stale = found.filter((f) => f.ticket !== ticket);
  if (stale.length === 0 && found.length > 0) return subject;
  let cleaned = subject;
  for (const f of [...stale].reverse()) {
    const before = cleaned.slice(0, f.index).replace(/\s+$/u, '');
    const after = cleaned.slice(f.index + f.length).replace(/^\s+/u, '');
    cleaned = before && after ? `${before} ${after}` : before + after;
  }
  if (stale.length < found.length) return cleaned;
  const trimmed = cleaned.trim();
  const rendered = token(ticket, format);
  if (trimmed === '') return rendered;
  return format.placement === 'start' ? `${rendered} ${trimmed}` : `${trimmed} ${rendered}`;
}
