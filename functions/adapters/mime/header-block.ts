import type { Header } from '../../core/model/message.ts';
import { decodeHeaderText, type WordDecoder } from './header-text.ts';

/** A raw header field as mailsplit reports it: lowercase key, folded line as a binary string. */
export interface RawHeaderLine {
  readonly key: string;
  readonly line: string;
}

// RFC 5322 §3.6.8: a field name is printable US-ASCII except colon; no spaces.
const FIELD_NAME = /^[\x21-\x39\x3b-\x7e]+$/;

/** True when the raw line is a syntactically valid header field (`name: value`). */
export function isHeaderField(line: RawHeaderLine): boolean {
  const colon = line.line.indexOf(':');
  return colon > 0 && FIELD_NAME.test(line.line.slice(0, colon).trim()) && line.key.length > 0;
}

/**
 * Turns raw header lines into model headers: lowercase name, value unfolded, RFC 2047 decoded,
 * control characters replaced, trimmed. Lines that are not header fields are skipped.
 */
export function toHeaders(lines: readonly RawHeaderLine[], decodeWords: WordDecoder, fallbackCharset: string | null): Header[] {
  const headers: Header[] = [];
  for (const line of lines) {
    if (!isHeaderField(line)) continue;
    const raw = line.line.slice(line.line.indexOf(':') + 1);
    headers.push({ name: line.key.trim(), value: decodeHeaderText(raw, decodeWords, fallbackCharset) });
  }
  return headers;
}

/**
 * Splits the header block at the start of `bytes` (up to the first empty line, or all of it)
 * into raw lines, the way mailsplit does for a node. Used for enclosed messages that mailparser
 * hands over as attachment streams.
 */
export function splitHeaderBlock(bytes: Buffer): RawHeaderLine[] {
  const text = bytes.toString('latin1');
  const end = text.search(/\r?\n\r?\n/);
  const block = end >= 0 ? text.slice(0, end) : text;
  const lines: RawHeaderLine[] = [];
  for (const physical of block.split(/\r?\n/)) {
    const last = lines[lines.length - 1];
    if (last && /^[ \t]/.test(physical)) {
      lines[lines.length - 1] = { key: last.key, line: `${last.line}\r\n${physical}` };
    } else if (physical.length > 0) {
      lines.push({
        key: physical
          .slice(0, Math.max(0, physical.indexOf(':')))
          .trim()
          .toLowerCase(),
        line: physical,
      });
    }
  }
  return lines;
}
