import type { ReportPart } from '../../core/model/message.ts';
import { splitHeaderBlock, type RawHeaderLine } from './header-block.ts';
import { cleanBodyText, decodeRawBytes } from './header-text.ts';
import { ENCLOSED_TYPES, REPORT_TYPES } from './report-types.ts';

/** What a raw re-scan of a multipart/report recovered. */
export interface SalvagedReport {
  readonly reports: ReportPart[];
  readonly enclosedHeaderLines: RawHeaderLine[] | null;
}

// Bounce reports are small; a multipart/report this large is not worth a second pass.
const SALVAGE_MAX_BYTES = 4 * 1024 * 1024;
const REPORT_MAX_CHARS = 256 * 1024;

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function decodeQuotedPrintable(value: string): string {
  return value.replace(/=\r?\n/g, '').replace(/=([0-9a-f]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function decodeBody(body: string, encoding: string): string {
  if (encoding === 'base64') return Buffer.from(body.replace(/[^a-z0-9+/=]/gi, ''), 'base64').toString('latin1');
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(body);
  return body;
}

function fieldValue(lines: readonly RawHeaderLine[], key: string): string {
  const line = lines.find((candidate) => candidate.key === key)?.line ?? '';
  return (
    line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .split(';')[0]
      ?.trim()
      .toLowerCase() ?? ''
  );
}

/**
 * Re-reads the direct children of a top-level multipart/report from the raw bytes. mailsplit
 * only recognizes the boundaries of a part's own parent, so when a sender leaves a nested
 * multipart unclosed (seen in real delay DSNs) the report and original-message parts that
 * follow are swallowed into the preceding text part and never reach mailparser's output.
 */
export function salvageReport(raw: Buffer, boundary: string): SalvagedReport {
  const reports: ReportPart[] = [];
  let enclosed: RawHeaderLine[] | null = null;
  if (raw.byteLength > SALVAGE_MAX_BYTES || boundary.length === 0 || boundary.length > 200) return { reports, enclosedHeaderLines: null };
  const delimiter = new RegExp(`^--${escapeRegExp(boundary)}(--)?[ \\t]*\\r?$`, 'gm');
  const text = raw.toString('latin1');
  const starts = [...text.matchAll(delimiter)];
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i];
    if (!start || start[1]) break;
    const from = start.index + start[0].length + 1;
    const part = text.slice(from, starts[i + 1]?.index ?? text.length);
    const headerEnd = part.search(/\r?\n\r?\n|^\r?\n/);
    const head = splitHeaderBlock(Buffer.from(part, 'latin1'));
    const type = fieldValue(head, 'content-type');
    const body = decodeBody(headerEnd >= 0 ? part.slice(headerEnd).replace(/^\r?\n(?:\r?\n)?/, '') : '', fieldValue(head, 'content-transfer-encoding'));
    if (REPORT_TYPES.has(type)) {
      reports.push({ contentType: type, text: cleanBodyText(decodeRawBytes(body.slice(0, REPORT_MAX_CHARS), 'utf-8')) });
    } else if (!enclosed && ENCLOSED_TYPES.has(type)) {
      enclosed = splitHeaderBlock(Buffer.from(body, 'latin1'));
    }
  }
  return { reports, enclosedHeaderLines: enclosed };
}
