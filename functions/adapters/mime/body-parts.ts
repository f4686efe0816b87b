import { limitLineLength } from '../../core/mail/line-length.ts';
import type { Attachment, ParseTag, ReportPart } from '../../core/model/message.ts';
import type { ParseLimits } from '../../core/model/parse-limits.ts';
import type { CollectedAttachment } from './collect-attachment.ts';
import { cleanBodyText, cleanHeaderText, decodeRawBytes } from './header-text.ts';
import { boundHtmlDepth } from './html-depth.ts';
import { htmlReplyOf } from './html-quote.ts';
import { htmlToText } from './html-to-text.ts';
import { sanitizeMailHtml } from './sanitize-html.ts';

/** The body fields of the model, as derived from mailparser's output. */
export interface BodyParts {
  readonly text: string;
  readonly html: string | null;
  readonly htmlReply: { readonly text: string; readonly marker: string } | null;
  readonly attachments: Attachment[];
  readonly reports: ReportPart[];
  /** `limit-line-length` and `limit-html-depth` when a limit changed what the body holds. */
  readonly parseTags: ParseTag[];
}

const CID_REFERENCE = /\bcid:([^'"\s>)]{1,256})/gi;

/**
 * Text, sanitized HTML (or none, when `html` is `omit`), attachment metadata and report parts.
 * Report parts go to `reports` only, not to `attachments`: they are machine-readable status,
 * not something a customer sent.
 *
 * Hostile input is bounded first: HTML nested deeper than `maxHtmlDepth` is flattened before
 * any of it is parsed, and no line of the text, the HTML's reply text or a report is longer
 * than `maxLineChars` (see `ParseLimits`), so every pattern that reads them reads short lines.
 */
export function toBodyParts(
  output: {
    readonly text: string;
    readonly html: string | null;
    readonly attachments: readonly CollectedAttachment[];
  },
  htmlMode: 'sanitized' | 'omit',
  limits: Pick<ParseLimits, 'maxLineChars' | 'maxHtmlDepth'>,
): BodyParts {
  const tags = new Set<ParseTag>();
  const bounded = output.html !== null && output.html.trim().length > 0 ? boundHtmlDepth(output.html, limits.maxHtmlDepth) : null;
  if (bounded?.flattened) tags.add('limit-html-depth');
  const rawHtml = bounded?.html ?? null;
  const lines = (value: string): string => {
    const limited = limitLineLength(value, limits.maxLineChars);
    if (limited.cut) tags.add('limit-line-length');
    return limited.text;
  };
  const html = rawHtml === null || htmlMode === 'omit' ? null : sanitizeMailHtml(rawHtml);
  const plain = cleanBodyText(output.text);
  // The text converter keeps no markup at all, so it may read the HTML before sanitizing.
  const text = lines(plain.trim().length === 0 && rawHtml !== null ? cleanBodyText(htmlToText(html ?? rawHtml)) : plain);
  // The HTML's cid: references are read only when a part has a Content-ID to look up.
  let referenced: ReadonlySet<string> | undefined;
  const isReferenced = (contentId: string): boolean => {
    referenced ??= new Set([...(rawHtml ?? '').matchAll(CID_REFERENCE)].map((match) => (match[1] ?? '').toLowerCase()));
    return referenced.has(contentId.toLowerCase());
  };
  const attachments: Attachment[] = [];
  const reports: ReportPart[] = [];
  for (const part of output.attachments) {
    if (part.role === 'report') {
      reports.push({ contentType: part.contentType, text: lines(reportText(part)) });
      continue;
    }
    const contentId = part.contentId ? cleanHeaderText(part.contentId.replace(/^<|>$/g, '')) || null : null;
    attachments.push({
      filename: safeFilename(part.filename),
      contentType: part.contentType,
      size: part.size,
      inline: part.disposition === 'inline' || (contentId !== null && isReferenced(contentId)),
      contentId,
      checksum: part.checksum,
    });
  }
  // The quote markup is read from the raw HTML: sanitizing may drop the ids and classes.
  const htmlReply = rawHtml === null ? null : htmlReplyOf(rawHtml);
  return {
    text,
    html,
    htmlReply: htmlReply && { text: lines(cleanBodyText(htmlReply.text)), marker: htmlReply.marker },
    attachments,
    reports,
    parseTags: [...tags],
  };
}

function reportText(part: CollectedAttachment): string {
  return cleanBodyText(decodeRawBytes((part.head ?? Buffer.alloc(0)).toString('latin1'), part.charset));
}

/** Keeps the last path segment and drops control characters: a filename is not a path. */
function safeFilename(filename: string | null): string | null {
  if (filename === null) return null;
  const name = cleanHeaderText(filename.split(/[\\/]/).at(-1) ?? '');
  return name === '' || name === '.' || name === '..' ? null : name;
}
