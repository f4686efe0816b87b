/**
 * Finding and redacting one person's address in text, in the forms mail and its stores hold it:
 * as written in any case, URL-encoded (`alice%40example.com`, a `mailto:` link, an RFC 2231
 * filename), as an HTML character reference (`alice&#64;example.com`), and inside RFC 2047
 * encoded words (`=?UTF-8?B?…?=`, a display name or subject). Besides the address: the display
 * names the person used, and the Message-IDs of their own mails (a `References` header of
 * someone else's answer names them).
 *
 * Every pattern here is a literal (escaped) or a bounded class: matching is linear in the text.
 */

/** What an erased address becomes where syntax needs an address (a header, a Message-ID). */
export const ERASED_ADDRESS = 'erased@erased.invalid';
/** What an erased display name becomes. */
export const ERASED_NAME = '[erased]';

/** What names the person: the lowercase address, display names, bare Message-IDs of their mails. */
export interface SubjectTerms {
  readonly address: string;
  readonly names?: readonly string[];
  readonly messageIds?: readonly string[];
}

export interface SubjectMatcher {
  readonly address: string;
  /** The display names and bare, lowercase Message-IDs it knows. */
  readonly terms: { readonly names: readonly string[]; readonly messageIds: readonly string[] };
  /** True when `address` is the person's (any case, surrounding space ignored). */
  isAddress(address: string): boolean;
  /** True when `id` (with or without angle brackets) is one of the person's Message-IDs. */
  isMessageId(id: string): boolean;
  /** True when the text names the address, a name or a Message-ID, encoded words decoded first. */
  mentions(text: string): boolean;
  /** The text with each form of the address and each Message-ID replaced by `ERASED_ADDRESS`, each name by `ERASED_NAME`. */
  redact(text: string): string;
  /** The same matcher knowing more names and Message-IDs (found while erasing). */
  with(extra: { readonly names?: readonly string[]; readonly messageIds?: readonly string[] }): SubjectMatcher;
}

/** Shortest display name redacted on its own: shorter ones ("Al", "J.") would hit ordinary words. */
const MIN_NAME_LENGTH = 3;
/** Display names and Message-IDs kept per matcher (a person's own; more would be someone else's). */
const MAX_TERMS = 200;

// A character that would make the match part of a longer local part (`malice@…`, `x.alice@…`,
// `b+alice@…`) or a longer domain (`…@example.com.au`, `…@example.community`). Other atext
// characters (`=`, `/`, `?`, `&`, `:`) stand before addresses in URLs and headers and end nothing.
const LOCAL_CONTINUES = /[\p{L}\p{N}._+-]/u;
const DOMAIN_CONTINUES = /[\p{L}\p{N}-]/u;
const WORD = /[\p{L}\p{N}]/u;

/** A literal pattern of `text`, every metacharacter escaped. */
function literal(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** The address without its brackets, trimmed and lowercase. */
export function normalAddress(address: string): string {
  return address.trim().replace(/^<|>$/g, '').trim().toLowerCase();
}

/**
 * A Message-ID without its angle brackets and the space around and inside them. No pattern: a
 * trailing `\s*>$` backtracks over every run of spaces not followed by `>` (quadratic on a
 * header of spaces, and these run on every string of an item being redacted).
 */
export function bareMessageId(id: string): string {
  let bare = id.trim();
  if (bare.startsWith('<')) bare = bare.slice(1).trimStart();
  if (bare.endsWith('>')) bare = bare.slice(0, -1).trimEnd();
  return bare;
}

/** A Message-ID without brackets and surrounding space, lowercase for comparison. */
function normalId(id: string): string {
  return bareMessageId(id).toLowerCase();
}

function usableName(name: string): boolean {
  const trimmed = name.trim();
  return trimmed.length >= MIN_NAME_LENGTH && /\p{L}/u.test(trimmed) && !trimmed.includes('@');
}

/** Builds the matcher of one person's terms. */
export function subjectMatcher(terms: SubjectTerms): SubjectMatcher {
  const address = normalAddress(terms.address);
  const at = address.lastIndexOf('@');
  const local = address.slice(0, Math.max(0, at));
  const domain = address.slice(at + 1);
  const names = [...new Set((terms.names ?? []).map((n) => n.trim()).filter(usableName))].slice(0, MAX_TERMS);
  const ids = [...new Set((terms.messageIds ?? []).map(normalId).filter((id) => id.length > 0))].slice(0, MAX_TERMS);
  const idSet = new Set(ids);

  const addressForms = new RegExp(`${literal(local)}(?:@|%40|&#0*64;|&#x0*40;)${literal(domain)}`, 'giu');
  // Longest first, so a Message-ID containing another is replaced whole.
  const idForms =
    ids.length > 0
      ? new RegExp(
          [...ids]
            .sort((a, b) => b.length - a.length)
            .map(literal)
            .join('|'),
          'giu',
        )
      : null;
  const nameForms =
    names.length > 0
      ? new RegExp(
          [...names]
            .sort((a, b) => b.length - a.length)
            .map(literal)
            .join('|'),
          'giu',
        )
      : null;

  const bounded = (text: string, offset: number, length: number): boolean => {
    const before = text.slice(Math.max(0, offset - 2), offset);
    const prev = [...before].pop() ?? '';
    const rest = text.slice(offset + length, offset + length + 2);
    const next = rest[0] ?? '';
    if (prev !== '' && LOCAL_CONTINUES.test(prev)) return false;
    if (next !== '' && DOMAIN_CONTINUES.test(next)) return false;
    // A dot followed by a label continues the domain; a full stop ending a sentence does not.
    return !(next === '.' && DOMAIN_CONTINUES.test(rest[1] ?? ''));
  };
  const wordBounded = (text: string, offset: number, length: number): boolean => {
    const prev = [...text.slice(Math.max(0, offset - 2), offset)].pop() ?? '';
    const next = text.slice(offset + length, offset + length + 1);
    return !(prev !== '' && WORD.test(prev)) && !(next !== '' && WORD.test(next));
  };

  const replaceAll = (text: string, pattern: RegExp | null, check: (t: string, o: number, l: number) => boolean, by: string): string => {
    if (!pattern) return text;
    pattern.lastIndex = 0;
    return text.replace(pattern, (match: string, ...rest: unknown[]) => {
      const offset = rest[rest.length - 2] as number;
      return check(text, offset, match.length) ? by : match;
    });
  };
  const found = (text: string, pattern: RegExp | null, check: (t: string, o: number, l: number) => boolean): boolean => {
    if (!pattern) return false;
    pattern.lastIndex = 0;
    for (const m of text.matchAll(pattern)) if (check(text, m.index, m[0].length)) return true;
    return false;
  };
  const plainMentions = (text: string): boolean => found(text, addressForms, bounded) || found(text, idForms, bounded) || found(text, nameForms, wordBounded);

  const matcher: SubjectMatcher = {
    address,
    terms: { names, messageIds: ids },
    isAddress: (candidate) => normalAddress(candidate) === address,
    isMessageId: (id) => idSet.has(normalId(id)),
    mentions(text) {
      if (text.length === 0) return false;
      if (plainMentions(text)) return true;
      return text.includes('=?') && plainMentions(decodeEncodedWords(text));
    },
    redact(text) {
      if (text.length === 0) return text;
      let out = redactEncodedWords(text, (decoded) => matcher.redact(decoded));
      out = replaceAll(out, idForms, bounded, ERASED_ADDRESS);
      out = replaceAll(out, addressForms, bounded, ERASED_ADDRESS);
      return replaceAll(out, nameForms, wordBounded, ERASED_NAME);
    },
    with(extra) {
      return subjectMatcher({ address, names: [...names, ...(extra.names ?? [])], messageIds: [...ids, ...(extra.messageIds ?? [])] });
    },
  };
  return matcher;
}

// RFC 2047 §2: `=?charset?encoding?encoded-text?=`, an encoded word at most 75 characters; longer
// ones are allowed here (some mailers write them), up to a bound.
const ENCODED_WORD = /=\?([^?\s]{1,64})\?([BbQq])\?([^?\s]{0,2000})\?=/g;
// Linear whitespace between two adjacent encoded words is not part of the text (RFC 2047 §6.2).
const BETWEEN_WORDS = /(\?=)[ \t\r\n]+(?==\?[^?\s]{1,64}\?[BbQq]\?)/g;

/** The text of each RFC 2047 encoded word, decoded; other text as it is. A word that does not decode stays as written. */
export function decodeEncodedWords(text: string): string {
  return text
    .replace(BETWEEN_WORDS, '$1')
    .replace(ENCODED_WORD, (word: string, charset: string, encoding: string, data: string) => decodeWord(charset, encoding, data) ?? word);
}

/**
 * `text` with every encoded word whose decoded text `redact` changes written anew as one UTF-8
 * B word; words it leaves alone stay byte for byte.
 */
export function redactEncodedWords(text: string, redact: (decoded: string) => string): string {
  if (!text.includes('=?')) return text;
  return text.replace(ENCODED_WORD, (word: string, charset: string, encoding: string, data: string) => {
    const decoded = decodeWord(charset, encoding, data);
    if (decoded === null) return word;
    const redacted = redact(decoded);
    return redacted === decoded ? word : encodeWord(redacted);
  });
}

/** `text` as one RFC 2047 encoded word (UTF-8, base64). */
export function encodeWord(text: string): string {
  return `=?UTF-8?B?${base64Of(new TextEncoder().encode(text))}?=`;
}

function decodeWord(charset: string, encoding: string, data: string): string | null {
  // RFC 2231 §5: a language may follow the charset (`utf-8*en`).
  const name = charset.split('*')[0] ?? charset;
  let bytes: Uint8Array;
  if (encoding === 'B' || encoding === 'b') {
    const clean = data.replace(/[^A-Za-z0-9+/]/g, '');
    bytes = bytesOfBase64(clean);
  } else {
    const text = data.replace(/_/g, ' ');
    const out: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const hex = text[i] === '=' ? text.slice(i + 1, i + 3) : '';
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        out.push(Number.parseInt(hex, 16));
        i += 2;
      } else {
        out.push(text.charCodeAt(i) & 0xff);
      }
    }
    bytes = Uint8Array.from(out);
  }
  try {
    return new TextDecoder(name).decode(bytes);
  } catch {
    return null;
  }
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Bytes of base64 text (padding optional, other characters already removed). */
export function bytesOfBase64(text: string): Uint8Array {
  const out: number[] = [];
  let buffer = 0;
  let bits = 0;
  for (const char of text) {
    const value = BASE64.indexOf(char);
    if (value < 0) continue;
    buffer = (buffer << 6) | value;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** Base64 of bytes, padded. */
export function base64Of(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1];
    const c = bytes[i + 2];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += BASE64[(n >> 18) & 63] ?? '';
    out += BASE64[(n >> 12) & 63] ?? '';
    out += b === undefined ? '=' : (BASE64[(n >> 6) & 63] ?? '');
    out += c === undefined ? '=' : (BASE64[n & 63] ?? '');
  }
  return out;
}
