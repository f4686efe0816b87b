import { MailParseError } from '../../core/errors.ts';

/**
 * Maps anything thrown while parsing to `MailParseError`. mailsplit reports its own limits as
 * `EMAXLEN` errors that differ only in the message text.
 */
export function toParseError(error: unknown): MailParseError {
  if (error instanceof MailParseError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === 'EMAXLEN' && /header/i.test(message)) {
    return new MailParseError(`Header block too large: ${message}`, { limit: 'header-size', cause: error });
  }
  if (code === 'EMAXLEN' && /child nodes/i.test(message)) {
    return new MailParseError(`Too many MIME parts: ${message}`, { limit: 'parts', cause: error });
  }
  return new MailParseError(`Cannot parse mail: ${message}`, { cause: error });
}
