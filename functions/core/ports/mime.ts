import type { ParsedMessage } from '../model/message.ts';
import type { ParseLimits } from '../model/parse-limits.ts';

/** What a caller needs of the body besides its text. */
export interface ParseOptions {
  /**
   * `sanitized`: `html` holds the sanitized HTML body. `omit`: `html` is null, for paths that
   * neither store nor show HTML (the inbound decision): sanitizing costs more than parsing an
   * HTML mail, so HTML is sanitized where it is read. The text is the same either way.
   * @default 'sanitized'
   */
  readonly html?: 'sanitized' | 'omit';
}

/** Turns raw MIME into the normalized message. Throws only `MailParseError`. */
export interface MimeParser {
  /** `limits` override the defaults one by one; an invalid value (NaN, ≤ 0) is a `ValidationError`, never "no limit". */
  parse(raw: Uint8Array, limits?: Partial<ParseLimits>, options?: ParseOptions): Promise<ParsedMessage>;
}
