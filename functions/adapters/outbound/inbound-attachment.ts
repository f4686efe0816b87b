import { simpleParser, type Attachment } from 'mailparser';
import { NotFoundError } from '../../core/errors.ts';
import type { AttachmentContent } from '../../core/ports/composer.ts';
import { cleanHeaderText } from '../mime/header-text.ts';
import { REPORT_TYPES } from '../mime/report-types.ts';

// type/subtype per RFC 6838 §4.2, as a planned mail's attachment takes it (`S3AttachmentRefSchema`).
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** Which attachment of an inbound message to forward. */
export interface InboundPartSelector {
  /** Position in the stored message's `attachments` list. */
  readonly partIndex?: number;
  readonly filename?: string;
}

/** The name the inbound parser lists: the last path segment, control characters removed. */
function listedFilename(filename: string | undefined): string | null {
  if (filename === undefined) return null;
  const name = cleanHeaderText(filename.split(/[\\/]/).at(-1) ?? '');
  return name === '' || name === '.' || name === '..' ? null : name;
}

/**
 * One attachment of a raw inbound message, decoded. Positions count the attachments the way
 * the inbound parser lists them in `ParsedMessage.attachments`: in MIME order, without the
 * machine-readable report parts of a multipart/report (which it keeps apart as `reports`).
 * With a filename as well as an index, both must match, so a changed raw copy is not forwarded
 * by mistake. Names compare as the parser lists them (`../../x.pdf` is `x.pdf`), and the
 * forwarded file carries that name. Throws `NotFoundError` when no attachment matches.
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
  const found: Attachment | undefined =
    selector.partIndex !== undefined ? listed[selector.partIndex] : listed.find((a) => listedFilename(a.filename) === selector.filename);
  const name = listedFilename(found?.filename);
  if (!found || (selector.filename !== undefined && name !== selector.filename)) {
    const wanted = [selector.partIndex !== undefined ? `#${selector.partIndex}` : null, selector.filename ? `named ${selector.filename}` : null]
      .filter(Boolean)
      .join(' ');
    throw new NotFoundError(`the inbound message has no attachment ${wanted}`);
  }
  const type = (found.contentType || '').toLowerCase();
  return {
    filename: name ?? `attachment-${selector.partIndex ?? 0}`,
    // A planned mail takes `type/subtype` only: a broken type (quoted, unterminated) would make the reply unsendable.
    contentType: MEDIA_TYPE.test(type) ? type : 'application/octet-stream',
    content: new Uint8Array(found.content.buffer, found.content.byteOffset, found.content.byteLength),
  };
}
