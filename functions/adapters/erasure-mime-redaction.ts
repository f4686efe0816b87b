import { ERASED_ADDRESS, decodeEncodedWords, type SubjectMatcher } from '../core/governance/address-match.ts';
import type { Redacted } from '../core/governance/redact-records.ts';
import type { MailRedactor } from '../core/ports/privacy.ts';

/** Enclosed messages and multiparts followed this deep; deeper content is left as it is. */
const MAX_DEPTH = 20;
/** Body parts worked per message; the rest is left as it is. */
const MAX_PARTS = 2000;

/** Headers whose value is a list of mailboxes: a mailbox of the person is replaced whole, display name and all. */
const ADDRESS_HEADERS = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'sender',
  'resent-from',
  'resent-to',
  'resent-cc',
  'resent-bcc',
  'resent-sender',
  'delivered-to',
  'return-path',
  'x-original-to',
  'errors-to',
  'disposition-notification-to',
  'return-receipt-to',
  'envelope-to',
  'x-envelope-to',
  'x-forwarded-to',
  'mail-followup-to',
  'mail-reply-to',
  'x-original-from',
  'x-original-sender',
]);

/**
 * Rewrites a raw mail without one person, keeping its structure: every header (a mailbox of
 * theirs in an address header is replaced whole by `ERASED_ADDRESS`, display name included;
 * their address, names and Message-IDs elsewhere, also inside RFC 2047 encoded words, are
 * replaced), and every text part, decoded from its transfer encoding and charset and written back
 * (as UTF-8, in the same transfer encoding) when it changed, through multiparts and enclosed
 * messages. Non-text parts (a PDF, an image) are left as they are: their bytes cannot be
 * redacted. Parts that did not change stay byte for byte, so does a mail that does not name them.
 */
export class MimeMailRedactor implements MailRedactor {
  redact(raw: Uint8Array, m: SubjectMatcher): Redacted<Uint8Array> {
    const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
    let out: string;
    try {
      out = redactEntity(text, m, { depth: 0, parts: 0 });
    } catch {
      // Structure this walker does not follow: the address is at least taken out as written.
      out = redactBinary(text, m);
    }
    return out === text ? { value: raw, changed: false } : { value: Buffer.from(out, 'latin1'), changed: true };
  }
}

interface Budget {
  depth: number;
  parts: number;
}

interface HeaderLine {
  /** Lowercase field name; '' for a line that is no header field. */
  readonly name: string;
  /** The field as written, folds and line ending included. */
  readonly raw: string;
}

/** One entity (a message or a body part): its headers, then its body by content type. */
function redactEntity(entity: string, m: SubjectMatcher, budget: Budget): string {
  budget.parts += 1;
  const { head, separator, body } = splitHead(entity);
  let headers = splitHeaders(head).map((h) => redactHeader(h, m));
  const type = contentTypeOf(headers);
  const encoding = (headerValue(headers, 'content-transfer-encoding') ?? '7bit').trim().toLowerCase();
  if (budget.depth >= MAX_DEPTH || budget.parts > MAX_PARTS) return headers.map((h) => h.raw).join('') + separator + body;
  let newBody = body;
  if (type.type === 'multipart' && type.boundary) {
    newBody = redactMultipart(body, type.boundary, m, { ...budget, depth: budget.depth + 1 }, budget);
  } else if (type.type === 'message' && (type.subtype === 'rfc822' || type.subtype === 'global')) {
    const inner = decodeTransfer(body, encoding);
    const redacted = redactEntity(inner, m, { depth: budget.depth + 1, parts: budget.parts });
    if (redacted !== inner) newBody = encodeTransfer(redacted, encoding, lineEnding(body));
  } else if (type.type === 'text' || (type.type === '' && !type.explicit)) {
    const decoded = decodeTransfer(body, encoding);
    const charset = type.charset ?? 'us-ascii';
    const text = decodeCharset(decoded, charset);
    const redacted = m.redact(text);
    if (redacted !== text) {
      const bytes = Buffer.from(redacted, 'utf8').toString('latin1');
      const target = encoding === 'base64' || encoding === 'quoted-printable' ? encoding : /[\u0080-\uffff]/.test(redacted) ? '8bit' : '7bit';
      newBody = encodeTransfer(bytes, target, lineEnding(body));
      headers = withCharset(headers, charset, target !== encoding ? target : null);
    }
  }
  return headers.map((h) => h.raw).join('') + separator + newBody;
}

/** Splits at the first empty line; an entity without one is all header. */
function splitHead(entity: string): { head: string; separator: string; body: string } {
  const crlf = entity.indexOf('\r\n\r\n');
  const lf = entity.indexOf('\n\n');
  if (crlf < 0 && lf < 0) return { head: entity, separator: '', body: '' };
  // A header block ending in CRLF CRLF keeps its last CRLF; the separator is the empty line.
  if (crlf >= 0 && (lf < 0 || crlf <= lf)) return { head: entity.slice(0, crlf + 2), separator: '\r\n', body: entity.slice(crlf + 4) };
  return { head: entity.slice(0, lf + 1), separator: '\n', body: entity.slice(lf + 2) };
}

/** Header fields with their folded continuation lines; lines that are no field (an mbox `From ` line) stay as they are. */
function splitHeaders(head: string): HeaderLine[] {
  const lines = head.match(/[^\n]*\n|[^\n]+$/g) ?? [];
  const out: HeaderLine[] = [];
  for (const line of lines) {
    const last = out[out.length - 1];
    if (last && last.name !== '' && /^[ \t]/.test(line)) {
      out[out.length - 1] = { name: last.name, raw: last.raw + line };
      continue;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 && /^[\x21-\x39\x3b-\x7e]+$/.test(line.slice(0, colon).trim()) ? line.slice(0, colon).trim().toLowerCase() : '';
    out.push({ name, raw: line });
  }
  return out;
}

function headerValue(headers: readonly HeaderLine[], name: string): string | null {
  const h = headers.find((x) => x.name === name);
  return h ? unfoldValue(h.raw) : null;
}

function unfoldValue(raw: string): string {
  return raw
    .slice(raw.indexOf(':') + 1)
    .replace(/\r?\n(?=[ \t])/g, '')
    .replace(/\r?\n$/, '')
    .trim();
}

/** A header without the person: address lists mailbox by mailbox, anything else as text. */
function redactHeader(h: HeaderLine, m: SubjectMatcher): HeaderLine {
  const text = utf8OrLatin1(h.raw);
  if (!m.mentions(text)) return h;
  // A line that is no header field (an mbox `From ` line, garbage before the body) is text.
  if (h.name === '') return { name: '', raw: Buffer.from(m.redact(text), 'utf8').toString('latin1') };
  const colon = text.indexOf(':');
  const value = text.slice(colon + 1);
  const redacted = ADDRESS_HEADERS.has(h.name) ? redactAddressList(value, m) : m.redact(value);
  return { name: h.name, raw: Buffer.from(text.slice(0, colon + 1) + redacted, 'utf8').toString('latin1') };
}

/**
 * Splits an address list at the commas that separate mailboxes (not those inside quotes,
 * comments or angle brackets) and replaces each mailbox that names the person, display name and
 * all, by `ERASED_ADDRESS`; other mailboxes keep their text (redacted of names and ids).
 */
function redactAddressList(value: string, m: SubjectMatcher): string {
  const segments: string[] = [];
  let start = 0;
  let quoted = false;
  let comment = 0;
  let angle = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '\\') {
      i += 1;
      continue;
    }
    if (quoted) {
      if (c === '"') quoted = false;
      continue;
    }
    if (comment > 0) {
      if (c === '(') comment += 1;
      else if (c === ')') comment -= 1;
      continue;
    }
    if (c === '"') quoted = true;
    else if (c === '(') comment = 1;
    else if (c === '<') angle = true;
    else if (c === '>') angle = false;
    else if ((c === ',' || c === ';') && !angle) {
      segments.push(value.slice(start, i + 1));
      start = i + 1;
    }
  }
  segments.push(value.slice(start));
  return segments
    .map((segment) => {
      const separator = /[,;]$/.test(segment) ? segment.slice(-1) : '';
      const body = separator ? segment.slice(0, -1) : segment;
      const decoded = decodeEncodedWords(body);
      if (!m.mentions(decoded)) return segment;
      if (!m.isAddress(addrSpecOf(decoded)) && !mentionsAddress(decoded, m)) {
        // Someone else's mailbox whose display name or comment holds the person's name: that text goes.
        return m.redact(body) + separator;
      }
      const lead = body.slice(0, body.length - body.trimStart().length);
      const group = /^([^<"(]*?:)/.exec(body.slice(lead.length))?.[1] ?? '';
      const trail = body.slice(body.trimEnd().length);
      return `${lead}${group ? `${group} ` : ''}${ERASED_ADDRESS}${trail}${separator}`;
    })
    .join('');
}

/** True when the text names the address itself (not only a display name of theirs). */
function mentionsAddress(text: string, m: SubjectMatcher): boolean {
  return m.redact(text).includes(ERASED_ADDRESS);
}

/** The address of a mailbox: inside its angle brackets, else its last word (a bare address). */
function addrSpecOf(mailbox: string): string {
  const open = mailbox.lastIndexOf('<');
  const close = mailbox.indexOf('>', open);
  if (open >= 0 && close > open) return mailbox.slice(open + 1, close).trim();
  const words = mailbox
    .replace(/\([^()]*\)/g, ' ')
    .trim()
    .split(/\s+/);
  return (words[words.length - 1] ?? '').replace(/^.*:/, '').replace(/[;,]$/, '');
}

interface ContentType {
  readonly type: string;
  readonly subtype: string;
  readonly boundary: string | null;
  readonly charset: string | null;
  /** False when the part has no Content-Type header (text/plain by RFC 2045 §5.2). */
  readonly explicit: boolean;
}

function contentTypeOf(headers: readonly HeaderLine[]): ContentType {
  const value = headerValue(headers, 'content-type');
  if (value === null) return { type: '', subtype: '', boundary: null, charset: null, explicit: false };
  const [full = ''] = value.split(';');
  const [type = '', subtype = ''] = full.trim().toLowerCase().split('/');
  return { type, subtype, boundary: paramOf(value, 'boundary'), charset: paramOf(value, 'charset'), explicit: true };
}

function paramOf(value: string, name: string): string | null {
  const match = new RegExp(`;\\s*${name}\\s*=\\s*(?:"([^"]{0,200})"|([^;\\s]{1,200}))`, 'i').exec(value);
  return match ? (match[1] ?? match[2] ?? null) : null;
}

/** Content-Type's charset set to UTF-8 (what the part is now written in), and the transfer encoding when it changed. */
function withCharset(headers: HeaderLine[], charset: string, encoding: string | null): HeaderLine[] {
  let out = headers;
  if (!/^(utf-8|utf8)$/i.test(charset)) {
    const index = out.findIndex((h) => h.name === 'content-type');
    if (index >= 0) {
      const h = out[index] as HeaderLine;
      const ending = /\r?\n$/.exec(h.raw)?.[0] ?? '\r\n';
      const body = h.raw.slice(0, h.raw.length - ending.length);
      const raw = /charset\s*=\s*("?)[^";\s]*\1/i.test(body)
        ? body.replace(/charset\s*=\s*("?)[^";\s]*\1/i, 'charset=utf-8') + ending
        : `${body}; charset=utf-8${ending}`;
      out = out.map((x, i) => (i === index ? { name: x.name, raw } : x));
    } else {
      out = [{ name: 'content-type', raw: 'Content-Type: text/plain; charset=utf-8\r\n' }, ...out];
    }
  }
  if (encoding) {
    const index = out.findIndex((h) => h.name === 'content-transfer-encoding');
    const line = `Content-Transfer-Encoding: ${encoding}\r\n`;
    out = index >= 0 ? out.map((x, i) => (i === index ? { name: x.name, raw: line } : x)) : [{ name: 'content-transfer-encoding', raw: line }, ...out];
  }
  return out;
}

/**
 * The parts of a multipart body between its delimiter lines (RFC 2046 §5.1.1: a delimiter is
 * `--boundary` at the start of a line, followed by nothing but `--` or white space), each worked
 * on its own; preamble, delimiters and epilogue as written (the preamble and epilogue redacted).
 */
function redactMultipart(body: string, boundary: string, m: SubjectMatcher, inner: Budget, outer: Budget): string {
  const delimiter = `--${boundary}`;
  const marks: number[] = [];
  const isDelimiterAt = (at: number) => {
    const after = body[at + delimiter.length];
    return after === undefined || after === '\r' || after === '\n' || after === ' ' || after === '\t' || after === '-';
  };
  if (body.startsWith(delimiter) && isDelimiterAt(0)) marks.push(0);
  for (let from = 0; ; ) {
    const found = body.indexOf(`\n${delimiter}`, from);
    if (found < 0) break;
    if (isDelimiterAt(found + 1)) marks.push(found + 1);
    from = found + 1;
  }
  if (marks.length === 0) return m.redact(body);
  let out = m.redact(body.slice(0, lineStart(body, marks[0] as number)));
  for (let i = 0; i < marks.length; i++) {
    const mark = marks[i] as number;
    const lineEnd = body.indexOf('\n', mark);
    const afterLine = lineEnd < 0 ? body.length : lineEnd + 1;
    out += body.slice(lineStart(body, mark), afterLine);
    const closing = body.startsWith(`${delimiter}--`, mark);
    const next = marks[i + 1];
    const end = next === undefined ? body.length : lineStart(body, next);
    const content = body.slice(afterLine, end);
    if (closing) {
      out += m.redact(content);
      continue;
    }
    const redacted = redactEntity(content, m, inner);
    outer.parts = inner.parts;
    out += redacted;
  }
  return out;
}

/** Where the line break before a delimiter starts (it belongs to the delimiter). */
function lineStart(body: string, mark: number): number {
  if (mark === 0) return 0;
  return body[mark - 2] === '\r' ? mark - 2 : mark - 1;
}

function lineEnding(body: string): string {
  return body.includes('\r\n') ? '\r\n' : '\n';
}

/** A body's bytes (as a binary string) from its transfer encoding. */
function decodeTransfer(body: string, encoding: string): string {
  if (encoding === 'base64') return Buffer.from(body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64').toString('latin1');
  if (encoding === 'quoted-printable') {
    return body.replace(/=\r?\n/g, '').replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
  }
  return body;
}

/** Bytes (a binary string) in a transfer encoding, with the line ending of the original. */
function encodeTransfer(bytes: string, encoding: string, eol: string): string {
  if (encoding === 'base64') {
    const b64 = Buffer.from(bytes, 'latin1').toString('base64');
    return `${(b64.match(/.{1,76}/g) ?? []).join(eol)}${eol}`;
  }
  if (encoding === 'quoted-printable') return quotedPrintable(bytes, eol);
  return bytes;
}

/** RFC 2045 §6.7 quoted-printable: lines of at most 76 characters, soft breaks where needed. */
function quotedPrintable(bytes: string, eol: string): string {
  const lines = bytes.split(/\r?\n/);
  return lines
    .map((line) => {
      let encoded = '';
      for (let i = 0; i < line.length; i++) {
        const code = line.charCodeAt(i);
        const trailingSpace = (code === 0x20 || code === 0x09) && i === line.length - 1;
        encoded +=
          code === 0x3d || code > 0x7e || (code < 0x20 && code !== 0x09) || trailingSpace ? `=${code.toString(16).toUpperCase().padStart(2, '0')}` : line[i];
      }
      const out: string[] = [];
      while (encoded.length > 76) {
        // Never split an =XX escape.
        let cut = 75;
        if (encoded[cut - 1] === '=') cut -= 1;
        else if (encoded[cut - 2] === '=') cut -= 2;
        out.push(`${encoded.slice(0, cut)}=`);
        encoded = encoded.slice(cut);
      }
      out.push(encoded);
      return out.join(eol);
    })
    .join(eol);
}

function decodeCharset(bytes: string, charset: string): string {
  const buffer = Buffer.from(bytes, 'latin1');
  for (const name of [charset, 'utf-8']) {
    try {
      return new TextDecoder(name).decode(buffer);
    } catch {
      // an unknown charset: try the next
    }
  }
  return bytes;
}

/** A header as text: UTF-8 when its bytes are (RFC 6532), else one byte per character. */
function utf8OrLatin1(binary: string): string {
  if (!/[\x80-\xff]/.test(binary)) return binary;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(binary, 'latin1'));
  } catch {
    return binary;
  }
}

/** The last resort for a mail the walker cannot follow: the address taken out where it is written plainly. */
function redactBinary(text: string, m: SubjectMatcher): string {
  return m.redact(text);
}
