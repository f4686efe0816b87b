import { z } from 'zod';
import { parseOrThrow } from '../validation.ts';

const limit = z.number().int().positive();

/** Limits on hostile input, enforced by the parser. */
export const ParseLimitsSchema = z.object({
  /** Largest raw message in bytes. */
  maxBytes: limit,
  /** Deepest nesting of multipart / message parts; 0 allows no nesting at all. */
  maxDepth: z.number().int().nonnegative(),
  /** Most MIME parts in one message. */
  maxParts: limit,
  /** Largest header block (top level) in bytes. */
  maxHeaderBytes: limit,
  /** Most Message-IDs kept from References (the newest are kept). */
  maxReferences: limit,
  /**
   * Longest line of body text, in characters: a longer line is cut into lines of this length
   * (at a space near the end when there is one; no character is dropped) before anything reads
   * the text, and the message is tagged `limit-line-length`.
   */
  maxLineChars: limit,
  /**
   * Deepest nesting of HTML elements: deeper elements lose their tags (their text stays) before
   * the HTML is parsed, converted or searched for quotes, and the message is tagged `limit-html-depth`.
   */
  maxHtmlDepth: limit,
});
export type ParseLimits = z.infer<typeof ParseLimitsSchema>;

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxBytes: 40 * 1024 * 1024,
  maxDepth: 20,
  maxParts: 500,
  maxHeaderBytes: 256 * 1024,
  maxReferences: 100,
  // Mail clients wrap at 78 and send paragraphs as one line; 4,000 characters is a paragraph of
  // some 600 words. Past it a line is a pasted log, an encoded blob or an attack.
  maxLineChars: 4_000,
  // Gmail nests three or four elements per quoted reply, so 256 keeps some sixty levels of a
  // thread; browsers stop at 512. The parser's work grows with the depth (150,000 levels: 32 s).
  maxHtmlDepth: 256,
};

/**
 * The defaults with the given limits applied. A key present with `undefined`, `NaN`, a fraction
 * or a negative (or, but for the depth, zero) number is a `ValidationError`: no value ever switches a limit off.
 */
export function resolveParseLimits(overrides: Partial<ParseLimits> = {}): ParseLimits {
  return parseOrThrow(ParseLimitsSchema, { ...DEFAULT_PARSE_LIMITS, ...overrides }, 'parse limits');
}
