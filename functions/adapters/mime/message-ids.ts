import { MailParseError } from '../../core/errors.ts';

// A msg-id between angle brackets (RFC 5322 §3.6.4); anything without whitespace or brackets.
const BRACKETED_ID = /<\s*([^<>\s]+?)\s*>/g;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Extracts message ids from a header value, without angle brackets, in header order.
 * Falls back to bare `local@domain` tokens when a sender omitted the brackets.
 */
export function extractMessageIds(value: string | null): string[] {
  if (!value) return [];
  const ids = [...value.matchAll(BRACKETED_ID)].map((match) => match[1] ?? '');
  const found = ids.length > 0 ? ids : value.split(/[\s,]+/).filter((token) => token.includes('@'));
  return found.filter((id) => id.length > 0 && id.length <= 998 && !CONTROL.test(id));
}

/** First message id of a header value, or null. */
export function firstMessageId(value: string | null): string | null {
  return extractMessageIds(value)[0] ?? null;
}

/**
 * References, oldest first and deduplicated (first occurrence wins), truncated to the newest
 * `max`. A count far beyond any real thread (100× the limit) is hostile input and rejected.
 */
export function normalizeReferences(value: string | null, max: number): string[] {
  const ids = extractMessageIds(value);
  if (ids.length > Math.max(max * 100, 1000)) {
    throw new MailParseError(`References header has ${ids.length} ids`, { limit: 'references' });
  }
  const unique = [...new Set(ids)];
  return max <= 0 ? [] : unique.slice(-max);
}

/**
 * Parses an RFC 5322 date to ISO 8601, or null. mailparser substitutes "now" for an unreadable
 * date, which would make a garbage header look valid, so dates are parsed here.
 */
export function parseMailDate(value: string | null): string | null {
  if (!value) return null;
  // `[^()]`: a comment is matched from its last `(`, so a run of unclosed `(` costs one pass, not one per `(`.
  const candidates = [
    value,
    value
      .replace(/\([^()]*\)/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
  ];
  for (const candidate of candidates) {
    const time = Date.parse(candidate);
    if (Number.isFinite(time)) {
      const date = new Date(time);
      // Years outside 4 digits are garbage in mail and break ISO consumers.
      if (date.getUTCFullYear() >= 1000 && date.getUTCFullYear() <= 9999) return date.toISOString();
    }
  }
  return null;
}
