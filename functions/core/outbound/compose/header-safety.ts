import { HeaderInjectionError, ValidationError } from '../../errors.ts';

/*
 * Every value a user (agent, admin, API caller) hands us that ends up in a header of an outbound
 * mail passes through here before composing. The composer (nodemailer) encodes and folds values,
 * but a CR or LF that reaches a header writer is a header of the attacker's choosing, and an
 * address field parsed by the receiving side can gain recipients from `,` or `<…>` in a name.
 * So the rule is to refuse, never to repair: the caller gets a `HeaderInjectionError` naming the
 * field and can correct the input.
 */

// C0 (HT included: no header we fill needs it), DEL, C1, and the Unicode line and paragraph
// separators, which some clients render as line breaks.
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;

/** Longest subject, display name or extra header value accepted (RFC 5322 §2.1.1 line limit). */
export const MAX_HEADER_TEXT = 998;
/** Longest display name accepted. */
export const MAX_DISPLAY_NAME = 200;

function describeChar(value: string): string {
  const ch = CONTROL.exec(value)?.[0] ?? '';
  return `U+${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Refuses header text (a subject, an extra header value, an attachment filename) that holds a
 * control character (CR, LF, NUL, any other C0 or C1 character, DEL, U+2028/U+2029) or is longer
 * than one header line may be.
 */
export function assertSafeHeaderText(field: string, value: string): void {
  if (CONTROL.test(value)) {
    throw new HeaderInjectionError(
      field,
      `${field} contains the control character ${describeChar(value)}; line breaks and control characters are not allowed in a header`,
    );
  }
  if (value.length > MAX_HEADER_TEXT) {
    throw new ValidationError(`${field} is ${value.length} characters long; at most ${MAX_HEADER_TEXT} are allowed`, [
      { path: field, message: `longer than ${MAX_HEADER_TEXT} characters` },
    ]);
  }
}

/**
 * Refuses a display name that could break its header or pose as an address: control characters,
 * angle brackets (`Bank <ceo@bank.example>` shown beside another address), or an `@` together
 * with `,` or `;` (a name that reads as a second recipient once quotes are lost). A plain comma
 * (`Doe, Jane`) is allowed: the composer quotes names with specials.
 */
export function assertSafeDisplayName(field: string, name: string): void {
  assertSafeHeaderText(field, name);
  if (/[<>]/.test(name)) {
    throw new HeaderInjectionError(field, `${field} contains an angle bracket; a display name cannot hold an address`);
  }
  if (name.includes('@') && /[,;]/.test(name)) {
    throw new HeaderInjectionError(field, `${field} looks like a list of addresses; a display name cannot add recipients`);
  }
  if (name.length > MAX_DISPLAY_NAME) {
    throw new ValidationError(`${field} is longer than ${MAX_DISPLAY_NAME} characters`, [
      { path: field, message: `longer than ${MAX_DISPLAY_NAME} characters` },
    ]);
  }
}

/** True when a display name passes `assertSafeDisplayName`. */
export function isSafeDisplayName(name: string): boolean {
  try {
    assertSafeDisplayName('name', name);
    return true;
  } catch {
    return false;
  }
}

// Characters that carry structure in an address header: a comment, a group, a list, a route,
// a quoted string, a domain literal. None belongs in the plain `local@domain` we accept.
const ADDRESS_SPECIALS = /[\s<>()[\],;:"\\]/u;
// An RFC 2047 encoded word as decoders match it; each part stops at the next `?` (linear).
const ENCODED_WORD = /=\?[^?]+\?[BbQq]\?[^?]*\?=/;
// RFC 5322 dot-atom of atext, ASCII only: SES does not accept SMTPUTF8 local parts.
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
// LDH labels; non-ASCII letters are allowed for IDNs (the composer punycodes them).
const DOMAIN = /^(?=.{1,253}$)(?:[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?\.)+(?:\p{L}{2,63}|xn--[A-Za-z0-9-]{1,59})$/u;

/**
 * Refuses an address that is not one plain `local@domain`: control characters, whitespace, a
 * comment, a quoted local part, a domain literal, a group or list separator, or more than one
 * `@` are `HeaderInjectionError`s (they can add recipients or hide the real one); an address
 * that is merely malformed (empty part, bad domain, too long) is a `ValidationError`.
 */
export function assertSafeAddress(field: string, address: string): void {
  if (CONTROL.test(address)) {
    throw new HeaderInjectionError(field, `${field} contains the control character ${describeChar(address)}`);
  }
  if (ADDRESS_SPECIALS.test(address)) {
    throw new HeaderInjectionError(field, `${field} holds a comment, quote, list or group character; give one plain address`);
  }
  const at = address.indexOf('@');
  if (at !== address.lastIndexOf('@')) {
    throw new HeaderInjectionError(field, `${field} contains more than one @`);
  }
  // `=?…?=` is atext, but RFC 2047 §5 keeps encoded words out of addresses: clients that decode one anyway read another address, or a line break.
  if (ENCODED_WORD.test(address)) {
    throw new HeaderInjectionError(field, `${field} holds an encoded word (=?…?=); give the address as it is`);
  }
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  const problem =
    at < 0
      ? 'has no @'
      : local.length === 0 || local.length > 64 || !LOCAL_PART.test(local)
        ? 'has an invalid local part'
        : !DOMAIN.test(domain)
          ? 'has an invalid domain'
          : address.length > 254
            ? 'is longer than 254 characters'
            : null;
  if (problem) throw new ValidationError(`${field} ${problem}: ${address}`, [{ path: field, message: problem }]);
}

/** True when an address passes `assertSafeAddress`. */
export function isSafeAddress(address: string): boolean {
  try {
    assertSafeAddress('address', address);
    return true;
  } catch {
    return false;
  }
}

// RFC 5322 §3.6.8 field-name: printable ASCII except the colon.
const FIELD_NAME = /^[!-9;-~]{1,76}$/;

/**
 * Headers the composer writes from the planned mail; an extra header may not set them, or it
 * could replace the recipients, the threading or the MIME structure.
 */
const RESERVED_HEADERS = new Set([
  'from',
  'sender',
  'reply-to',
  'to',
  'cc',
  'bcc',
  'subject',
  'date',
  'message-id',
  'in-reply-to',
  'references',
  'return-path',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'content-disposition',
  'content-id',
  'dkim-signature',
  'received',
]);

/** Refuses an extra header whose name is not a field name or is one the composer owns, or whose value is unsafe. */
export function assertSafeExtraHeader(name: string, value: string): void {
  if (!FIELD_NAME.test(name)) {
    throw new HeaderInjectionError('headers', `header name ${JSON.stringify(name)} is not a valid field name`);
  }
  if (RESERVED_HEADERS.has(name.toLowerCase())) {
    throw new ValidationError(`header ${name} is set from the mail itself and cannot be given as an extra header`, [
      { path: `headers.${name}`, message: 'reserved header' },
    ]);
  }
  assertSafeHeaderText(`headers.${name}`, value);
}

/**
 * Refuses an attachment filename that cannot label a file in a mail: unsafe header text, a path
 * (`/` or `\`: clients that save under the given name would write elsewhere), `.` or `..`.
 */
export function assertAttachmentFilename(field: string, filename: string): void {
  assertSafeHeaderText(field, filename);
  const trimmed = filename.trim();
  if (/[\\/]/.test(filename) || trimmed === '' || trimmed === '.' || trimmed === '..') {
    throw new ValidationError(`${field} ${JSON.stringify(filename)} is not a file name (no paths)`, [{ path: field, message: 'not a file name' }]);
  }
}
