import { MailParser, type MailParserOptions } from 'mailparser';
import type { ParseLimits } from '../../core/model/parse-limits.ts';
import { splitHeaderBlock, type RawHeaderLine } from './header-block.ts';
import type { WordDecoder } from './header-text.ts';
import { guardStructure, type NodeObservation } from './structure-guard.ts';
import { ENCLOSED_TYPES, REPORT_TYPES } from './report-types.ts';
import { collectAttachment, type MailparserAttachment, type CollectedAttachment } from './collect-attachment.ts';

// A DSN or feedback report is a few KB; more is not a report worth reading.
const REPORT_MAX_BYTES = 256 * 1024;

/** Everything mailparser yields that the adapter maps into the model. */
export interface MailparserOutput {
  readonly headerLines: readonly RawHeaderLine[];
  readonly headers: ReadonlyMap<string, unknown>;
  readonly text: string;
  readonly html: string | null;
  readonly attachments: readonly CollectedAttachment[];
  readonly enclosedHeaderLines: readonly RawHeaderLine[] | null;
  /** Charset of the first text part, used for raw 8-bit headers. */
  readonly bodyCharset: string | null;
  readonly decodeWords: WordDecoder;
}

interface TextChunk {
  readonly type: 'text';
  readonly text?: string;
  readonly html?: string;
}

/**
 * Streams raw MIME through mailparser's `MailParser`. Attachment bodies are hashed and
 * discarded as they stream by (only report parts and the head of an enclosed message are
 * kept), so a 40 MB mail is not held twice. Rejects with whatever mailparser emits.
 */
export function runMailparser(raw: Buffer, limits: ParseLimits): Promise<MailparserOutput> {
  const options: MailParserOptions & { maxHeadSize: number; maxChildNodes: number } = {
    // Report parts as attachments rather than merged into the body text, see REPORT_TYPES.
    keepDeliveryStatus: true,
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
    maxHeadSize: limits.maxHeaderBytes,
    maxChildNodes: limits.maxParts + 1,
  };
  const parser = new MailParser(options);
  // mailparser's own libmime decodes our header list exactly as it decodes its own fields
  // (UTF-7, ISO-2022-JP, joined multi-byte words); libmime is not a direct dependency.
  const libmime = (parser as unknown as { libmime: { decodeWords: WordDecoder } }).libmime;
  const roles = new WeakMap<object, 'report' | 'enclosed'>();
  let enclosed: { lines: RawHeaderLine[] } | { attachment: object } | null = null;
  let bodyCharset: string | null = null;

  guardStructure(parser, limits, (seen: NodeObservation) => {
    const { node, attachment } = seen;
    const type = node.contentType || '';
    if (!bodyCharset && node.charset && type.startsWith('text/')) bodyCharset = node.charset;
    const parent = node.parentNode;
    if (!enclosed && parent && parent.contentType === 'message/rfc822' && parent.messageNode) {
      enclosed = { lines: node.headers.getList() };
    }
    if (!attachment) return;
    if (REPORT_TYPES.has(type) && !seen.embedded) roles.set(attachment, 'report');
    else if (!enclosed && ENCLOSED_TYPES.has(type)) {
      enclosed = { attachment };
      roles.set(attachment, 'enclosed');
    }
  });

  return new Promise<MailparserOutput>((resolve, reject) => {
    let headerLines: readonly RawHeaderLine[] = [];
    let headers: ReadonlyMap<string, unknown> = new Map();
    let text = '';
    let html: string | null = null;
    const attachments: CollectedAttachment[] = [];
    let enclosedLines: RawHeaderLine[] | null = null;
    let settled = false;
    const fail = (error: unknown): void => {
      if (settled) return;
      settled = true;
      parser.destroy();
      reject(error);
    };

    let reading = false;
    const read = (): void => {
      reading = true;
      const chunk = parser.read() as TextChunk | MailparserAttachment | null;
      if (chunk === null) {
        reading = false;
        return;
      }
      if (chunk.type === 'text') {
        text = chunk.text ?? '';
        html = chunk.html ?? null;
        read();
        return;
      }
      const role = roles.get(chunk) ?? 'plain';
      const cap = role === 'report' ? REPORT_MAX_BYTES : role === 'enclosed' ? limits.maxHeaderBytes : 0;
      collectAttachment(chunk, role, cap).then((collected) => {
        attachments.push(collected);
        if (role === 'enclosed' && collected.head) enclosedLines = splitHeaderBlock(collected.head);
        read();
      }, fail);
    };

    parser.on('headers', (map: ReadonlyMap<string, unknown>) => (headers = map));
    parser.on('headerLines', (lines: readonly RawHeaderLine[]) => (headerLines = lines));
    parser.on('readable', () => {
      if (!reading) read();
    });
    parser.on('error', fail);
    parser.on('end', () => {
      if (settled) return;
      settled = true;
      const lines = enclosed && 'lines' in enclosed ? enclosed.lines : enclosedLines;
      resolve({ headerLines, headers, text, html, attachments, enclosedHeaderLines: lines, bodyCharset, decodeWords: (v) => libmime.decodeWords(v) });
    });
    writeInSlices(parser, raw, () => settled);
  });
}

// Written whole, a 40 MB mail's working copies inside mailsplit and mailparser all exist at
// once (peak RSS 388 MB in `npm run bench`); fed in slices with backpressure, 171 MB.
const SLICE_BYTES = 64 * 1024;

function writeInSlices(parser: MailParser, raw: Buffer, stopped: () => boolean): void {
  let offset = 0;
  const pump = (): void => {
    while (offset < raw.byteLength && !stopped()) {
      const slice = raw.subarray(offset, offset + SLICE_BYTES);
      offset += slice.byteLength;
      if (offset >= raw.byteLength) {
        parser.end(slice);
        return;
      }
      if (!parser.write(slice)) {
        parser.once('drain', pump);
        return;
      }
    }
    if (raw.byteLength === 0) parser.end();
  };
  pump();
}
