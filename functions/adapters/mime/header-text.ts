/**
 * Turning raw header bytes into safe, single-line text: charset fallback for raw 8-bit
 * headers, RFC 2047 decoding, and removal of control characters an encoded word can smuggle in.
 */

/** Decodes RFC 2047 encoded words; mailparser's libmime instance provides it. */
export type WordDecoder = (value: string) => string;

// C0 controls (CR, LF, NUL, ...), DEL and C1 controls. A CR/LF decoded out of an encoded word
// would let a subject or display name forge a header line wherever it is later re-emitted.
// Unicode line/paragraph separators count as whitespace here for the same reason.
const CONTROL_OR_SPACE_RUNS = /[\s\u0000-\u001f\u007f-\u009f]+/g;

/** Replaces control characters and whitespace runs with one space and trims. */
export function cleanHeaderText(value: string): string {
  return value.replace(CONTROL_OR_SPACE_RUNS, ' ').trim();
}

/** Removes control characters from body text except tab and line feed; CR LF becomes LF. */
export function cleanBodyText(value: string): string {
  return value.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}

/**
 * Decodes a header held as a binary (latin1) string: UTF-8 when the bytes are valid UTF-8,
 * else the message's own charset (old clients write raw 8-bit headers in it), else
 * windows-1252, which maps every byte.
 */
export function decodeRawBytes(binary: string, fallbackCharset: string | null): string {
  if (!/[\u0080-\u00ff]/.test(binary)) return binary;
  const bytes = Buffer.from(binary, 'latin1');
  for (const charset of ['utf-8', ...eightBitFamily(fallbackCharset)]) {
    try {
      return new TextDecoder(charset, { fatal: true }).decode(bytes);
    } catch {
      // not this charset; try the next
    }
  }
  return new TextDecoder('windows-1252').decode(bytes);
}

/**
 * Charsets to try for raw 8-bit header bytes given the body charset. A 7-bit body charset
 * (ISO-2022-JP) says nothing about 8-bit bytes, but Japanese mailers that use it write raw
 * headers in Shift_JIS or EUC-JP.
 */
function eightBitFamily(charset: string | null): string[] {
  if (!charset) return [];
  if (/^(?:csiso2022jp|iso-?2022-?jp)/i.test(charset)) return ['shift_jis', 'euc-jp'];
  try {
    return [new TextDecoder(charset).encoding];
  } catch {
    return [];
  }
}

/** Removes folding line breaks (RFC 5322 §2.2.3 unfolding). */
export function unfold(value: string): string {
  return value.replace(/\r?\n(?=[ \t])|\r?\n$/g, '').replace(/\r?\n/g, ' ');
}

/**
 * Decodes a raw header value (binary string, possibly folded) to clean text: bytes, then
 * encoded words, then control characters. A decoder failure keeps the undecoded text.
 */
export function decodeHeaderText(raw: string, decodeWords: WordDecoder, fallbackCharset: string | null): string {
  const text = decodeRawBytes(unfold(raw), fallbackCharset);
  let decoded = text;
  try {
    decoded = decodeWords(text);
  } catch {
    decoded = text;
  }
  return cleanHeaderText(decoded);
}
