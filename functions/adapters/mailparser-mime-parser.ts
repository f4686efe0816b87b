import { MailParseError } from '../core/errors.ts';
import { headerValue, headerValues, type ParsedMessage } from '../core/model/message.ts';
import { type ParseLimits, resolveParseLimits } from '../core/model/parse-limits.ts';
import type { MimeParser, ParseOptions } from '../core/ports/mime.ts';
import { toAddressList, toFirstAddress } from './mime/addresses.ts';
import { toBodyParts } from './mime/body-parts.ts';
import { isHeaderField, toHeaders } from './mime/header-block.ts';
import { toParseError } from './mime/parse-errors.ts';
import { firstMessageId, normalizeReferences, parseMailDate } from './mime/message-ids.ts';
import { salvageReport } from './mime/report-salvage.ts';
import { runMailparser, type MailparserOutput } from './mime/run-mailparser.ts';
import { readAsOnePart, repairStructure } from './mime/structure-repair.ts';
import { loadSanitizeHtml } from './mime/sanitize-html-lib.ts';

// RFC 2045 §5.1 token "/" token; anything else is treated as the default text/plain.
const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/;

/**
 * `MimeParser` on mailparser 3.9.31. Limits: size is checked before parsing; header block
 * size and part count by mailsplit and the structure guard; nesting depth by the structure
 * guard while streaming; References are truncated to the newest `maxReferences`; body lines
 * and HTML depth are bounded before anything reads them (`toBodyParts`).
 *
 * A multipart from which mailparser read neither text nor HTML is parsed once more after a
 * structure repair (broken boundary fold, undeclared or missing boundary, or none that
 * delimits, read as one text part; see `structure-repair.ts`), and tagged `structure-repaired`.
 *
 * A message "has nothing", and is rejected as `malformed-mail`, when its top-level header
 * block holds no syntactically valid header field: empty input, binary garbage, or plain text
 * without headers. Anything with at least one field parses, however broken the rest is.
 */
export class MailparserMimeParser implements MimeParser {
  /** Parses raw MIME. Rejects with `MailParseError`; invalid `limits` (NaN, undefined, ≤ 0) with `ValidationError` before reading anything. */
  async parse(raw: Uint8Array, limits: Partial<ParseLimits> = {}, options: ParseOptions = {}): Promise<ParsedMessage> {
    const effective = resolveParseLimits(limits);
    try {
      if (raw.byteLength > effective.maxBytes) {
        throw new MailParseError(`Message is ${raw.byteLength} bytes, limit ${effective.maxBytes}`, { limit: 'size' });
      }
      const buffer = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      const first = await runMailparser(buffer, effective);
      const read = lostBody(first) ? await reparseRepaired(first, buffer, effective) : { output: first, bytes: buffer, repaired: false };
      if (read.output.html !== null) await loadSanitizeHtml();
      return toParsedMessage(read, raw.byteLength, effective, options.html ?? 'sanitized');
    } catch (error) {
      throw toParseError(error);
    }
  }
}

/** A multipart from which mailparser got neither text nor HTML: its structure may be broken. */
function lostBody(output: MailparserOutput): boolean {
  const type = (output.headers.get('content-type') as { value?: unknown } | undefined)?.value;
  return typeof type === 'string' && /^\s*multipart\//i.test(type) && output.text.trim() === '' && !output.html?.trim();
}

/**
 * Parses a structure-repaired copy, and when that cannot be read (a limit included) one that
 * reads an undelimited top-level multipart as one text part; keeps the first result unless a
 * repair found a body.
 */
async function reparseRepaired(first: MailparserOutput, raw: Buffer, limits: ParseLimits): Promise<ReadMail> {
  for (const repair of [repairStructure, readAsOnePart]) {
    const repaired = repair(raw);
    const second = repaired ? await runMailparser(repaired, limits).catch(() => null) : null;
    if (second && repaired && !lostBody(second)) return { output: second, bytes: repaired, repaired: true };
  }
  return { output: first, bytes: raw, repaired: false };
}

/** What mailparser read, from which bytes (the received ones, or a structure-repaired copy). */
interface ReadMail {
  readonly output: MailparserOutput;
  readonly bytes: Buffer;
  readonly repaired: boolean;
}

/** `size` is the received size. */
function toParsedMessage(read: ReadMail, size: number, limits: ParseLimits, html: 'sanitized' | 'omit'): ParsedMessage {
  const { output, bytes: raw } = read;
  if (!output.headerLines.some(isHeaderField)) {
    throw new MailParseError('No header block: input is not a mail message');
  }
  const contentTypeHeader = output.headers.get('content-type') as { value?: unknown; params?: Record<string, unknown> } | undefined;
  const fallbackCharset = param(contentTypeHeader, 'charset') ?? output.bodyCharset;
  const headers = toHeaders(output.headerLines, output.decodeWords, fallbackCharset);
  const contentType = mediaType(contentTypeHeader?.value);
  const reportType = param(contentTypeHeader, 'report-type');
  const { parseTags, ...body } = toBodyParts(output, html, limits);
  let enclosedLines = output.enclosedHeaderLines;
  const boundary = param(contentTypeHeader, 'boundary');
  if (contentType === 'multipart/report' && body.reports.length === 0 && boundary) {
    const salvaged = salvageReport(raw, boundary);
    body.reports.push(...salvaged.reports);
    enclosedLines ??= salvaged.enclosedHeaderLines;
  }
  return {
    messageId: firstMessageId(headerValue(headers, 'message-id')),
    inReplyTo: firstMessageId(headerValue(headers, 'in-reply-to')),
    references: normalizeReferences(headerValues(headers, 'references').join(' '), limits.maxReferences),
    subject: headerValue(headers, 'subject') ?? '',
    from: toFirstAddress(output.headers.get('from')),
    sender: toFirstAddress(output.headers.get('sender')),
    replyTo: toAddressList(output.headers.get('reply-to')),
    to: toAddressList(output.headers.get('to')),
    cc: toAddressList(output.headers.get('cc')),
    date: parseMailDate(headerValue(headers, 'date')),
    contentType,
    reportType: contentType === 'multipart/report' && reportType ? reportType.toLowerCase() : null,
    headers,
    ...body,
    enclosedHeaders: enclosedLines ? toHeaders(enclosedLines, output.decodeWords, fallbackCharset) : null,
    size,
    parseTags: read.repaired ? ['structure-repaired', ...parseTags] : parseTags,
  };
}

function mediaType(value: unknown): string {
  const type = typeof value === 'string' ? value.trim().toLowerCase() : '';
  return MEDIA_TYPE.test(type) ? type : 'text/plain';
}

function param(header: { params?: Record<string, unknown> } | undefined, name: string): string | null {
  const value = header?.params?.[name];
  return typeof value === 'string' && value.trim().length > 0 ? value.trim() : null;
}
