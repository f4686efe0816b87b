import { z } from 'zod';

/**
 * Field types the input models share: one id pattern, one address, one header-safe text. Each
 * has a length limit, so a value too long for the store is a named 400, never the store's error.
 */

/** Longest values of the kinds of text the models take. */
export const TEXT_LIMITS = {
  /** Ids: a skill's queue name is `<prefix up to 31><id>-dlq.fifo`, and SQS caps names at 80. */
  id: 40,
  /** Display names, rule and From names, subjects. */
  name: 200,
  description: 1000,
  /** RFC 5321 §4.5.3.1.3: a path is at most 256 octets with its brackets. */
  address: 254,
  /** RFC 1035: a domain name is at most 253 characters written out. */
  domain: 253,
  url: 2048,
  /** A word or phrase to match, a tag, a file extension. */
  keyword: 200,
  tag: 64,
  extension: 32,
} as const;

/** The one id pattern: lowercase letters, digits and dashes, starting with a letter or digit, at most 40. */
export const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;

/**
 * An id of a channel, skill, routing rule, template or agent. Ids appear in URL paths, queue
 * names, receipt rules and mail headers, so they have no room for anything else.
 */
export const IdSchema = z
  .string()
  .regex(ID_PATTERN, 'lowercase letters, digits and dashes, starting with a letter or digit, at most 40')
  .meta({ description: 'An id: lowercase letters, digits and dashes, starting with a letter or digit, at most 40 characters (`^[a-z0-9][a-z0-9-]{0,39}$`).' });

/**
 * An id the product generates (a conversation, a message, a mail service's message id): letters,
 * digits and `.`, `_`, `:`, `-`, at most 128. Path parameters use it, so a hostile id is a 400.
 */
export const RecordIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'letters, digits, ".", "_", ":" and "-", at most 128')
  .meta({ description: 'An id the product made: letters, digits, `.`, `_`, `:`, `-`, at most 128 characters.' });

// C0 controls but TAB, DEL, C1 controls, the Unicode line and paragraph separators, the bidi
// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069: they make `Sales` read as
// something else), and the byte-order mark. Left-to-right and right-to-left marks stay: names
// mixing scripts need them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
const HEADER_UNSAFE = /[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/;

/**
 * True when the text can stand in a mail header: no line break, control or bidi override
 * character, and no lone surrogate (which no encoding can carry).
 */
export function isHeaderSafe(text: string): boolean {
  return !HEADER_UNSAFE.test(text) && text.isWellFormed();
}

/**
 * Text that ends up in a mail header (a display name, a subject): at most `max` characters and
 * no CR, LF or other control character, which would end the header line or hide in it.
 */
export function headerSafeText(max: number) {
  return z.string().max(max).refine(isHeaderSafe, 'no line breaks, control or bidi override characters, or lone surrogates');
}

/** An address, lowercased: at most 254 characters (RFC 5321). */
export const AddressSchema = z
  .email()
  .max(TEXT_LIMITS.address)
  .transform((a) => a.toLowerCase());
