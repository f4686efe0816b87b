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
});
export type ParseLimits = z.infer<typeof ParseLimitsSchema>;

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxBytes: 40 * 1024 * 1024,
  maxDepth: 20,
  maxParts: 500,
  maxHeaderBytes: 256 * 1024,
  maxReferences: 100,
};

/**
 * The defaults with the given limits applied. A key present with `undefined`, `NaN`, a fraction
 * or a negative (or, but for the depth, zero) number is a `ValidationError`: no value ever switches a limit off.
 */
export function resolveParseLimits(overrides: Partial<ParseLimits> = {}): ParseLimits {
  return parseOrThrow(ParseLimitsSchema, { ...DEFAULT_PARSE_LIMITS, ...overrides }, 'parse limits');
}
