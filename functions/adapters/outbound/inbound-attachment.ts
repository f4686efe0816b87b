import { simpleParser, type Attachment } from 'mailparser';
import { NotFoundError } from '../../core/errors.ts';
import type { AttachmentContent } from '../../core/ports/composer.ts';
import { REPORT_TYPES } from '../mime/report-types.ts';

/** Which attachment of an inbound message to forward. */
export interface InboundPartSelector {
  /** Position in the stored message's `attachments` list. */
  readonly partIndex?: number;
  readonly filename?: string;
}

/**
 * One attachment of a raw inbound message, decoded. Positions count the attachments the way
 * the inbound parser lists them in `ParsedMessage.attachments`: in MIME order, without the
 * machine-readable report parts of a multipart/report (which it keeps apart as `reports`).
 * With a filename as well as an index, both must match, so a changed raw copy is not forwarded
 * by mistake. Throws `NotFoundError` when no attachment matches.
 */
export async function extractInboundAttachment(raw: Uint8Array, selector: InboundPartSelector): Promise<AttachmentContent> {
  const parsed = await simpleParser(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), {
    keepDeliveryStatus: true,
    skipHtmlToText: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    skipImageLinks: true,
  });
  const listed = parsed.attachments.filter((a) => !REPORT_TYPES.has((a.contentType || '').toLowerCase()));
  const found: Attachment | undefined = selector.partIndex !== undefined
    ? listed[selector.partIndex]
    : listed.find((a) => a.filename === selector.filename);
  if (!found || (selector.filename !== undefined && found.filename !== selector.filename)) {
    const wanted = [selector.partIndex !== undefined ? `#${selector.partIndex}` : null, selector.filename ? `named ${selector.filename}` : null].filter(Boolean).join(' ');
    throw new NotFoundError(`the inbound message has no attachment ${wanted}`);
  }
  return {
    filename: found.filename ?? `attachment-${selector.partIndex ?? 0}`,
    contentType: (found.contentType || 'application/octet-stream').toLowerCase(),
    content: new Uint8Array(found.content.buffer, found.content.byteOffset, found.content.byteLength),
  };
}
