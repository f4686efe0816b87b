import MailComposer, { type MailComposerAttachment, type MailComposerOptions } from 'nodemailer/lib/mail-composer';
import { encodeWord } from 'nodemailer/lib/mime-funcs';
import type { MimeNodeAddress } from 'nodemailer/lib/mime-node';
import { bracketMessageId, type OutboundAddress, type OutboundMail } from '../../core/model/outbound-mail.ts';
import { MAX_MESSAGE_BYTES, assertMessageSize, base64Size } from '../../core/outbound/compose/message-size.ts';
import type { AttachmentContent, AttachmentSource, MimeComposer } from '../../core/ports/composer.ts';
import type { Clock } from '../../core/ports/clock.ts';
import type { HtmlSanitizer } from '../../core/ports/html.ts';
import { renderBodies } from '../../core/outbound/compose/render-bodies.ts';
import { AgentHtmlSanitizer } from './agent-html-sanitizer.ts';

export interface NodemailerMimeComposerOptions {
  /** Date header source. @default the wall clock */
  readonly clock?: Clock;
  /** Largest composed message in bytes. @default MAX_MESSAGE_BYTES (SES's 40 MB) */
  readonly maxBytes?: number;
  /** Sanitizes the HTML of body, signature and template. @default AgentHtmlSanitizer */
  readonly sanitizer?: HtmlSanitizer;
}

// Text a decoder reads as an RFC 2047 encoded word (`=?charset?B|Q?text?=`, as libmime matches
// it); each part stops at the next `?`, so the scan is linear.
const ENCODED_WORD = /=\?[^?]+\?[BbQq]\?[^?]*\?=/;

/**
 * Header text as it was written. nodemailer sends ASCII text as it is, so text that merely looks
 * like an encoded word (a name or subject typed as `=?utf-8?Q?Eve=0D=0ABcc:…?=`, or a customer's
 * subject that was encoded twice) would be decoded by the recipient, into a line break or a
 * second header line where a client writes the value out again. Such text is sent encoded
 * itself: it decodes once, to the text as written.
 */
function literal(text: string): string {
  return ENCODED_WORD.test(text) ? encodeWord(text, 'B', 52) : text;
}

function address(a: OutboundAddress): MimeNodeAddress {
  return a.name === '' ? { address: a.address } : { name: literal(a.name), address: a.address };
}

/**
 * Fetches attachments one after another, counting their encoded size as they arrive: a mail
 * that cannot be sent fails before the rest is downloaded, and memory holds one mail's worth.
 */
async function fetchAttachments(mail: OutboundMail, source: AttachmentSource, maxBytes: number): Promise<AttachmentContent[]> {
  const files: AttachmentContent[] = [];
  let encoded = 0;
  for (const ref of mail.attachments) {
    const file = await source.fetch(ref);
    encoded += base64Size(file.content.byteLength);
    assertMessageSize(encoded, `the attachments of the mail (${files.length + 1} of ${mail.attachments.length} fetched)`, maxBytes);
    files.push(file);
  }
  return files;
}

/**
 * The nodemailer options of a planned mail, its bodies rendered by `renderBodies` (as previews
 * are). Only given content: file and URL access are off, so no value of the plan can make the
 * composer read a local file or fetch a URL.
 */
export function composerOptions(
  mail: OutboundMail,
  files: readonly AttachmentContent[],
  date: Date,
  sanitizer: HtmlSanitizer = new AgentHtmlSanitizer(),
): MailComposerOptions {
  const bodies = renderBodies(mail.content, mail.subject, sanitizer);
  const attachments: MailComposerAttachment[] = files.map((f) => ({
    filename: literal(f.filename),
    contentType: f.contentType,
    content: Buffer.from(f.content.buffer, f.content.byteOffset, f.content.byteLength),
  }));
  return {
    from: address(mail.from),
    ...(mail.replyTo ? { replyTo: address(mail.replyTo) } : {}),
    to: mail.to.map(address),
    ...(mail.cc.length > 0 ? { cc: mail.cc.map(address) } : {}),
    // Bcc recipients go into the envelope only: MailComposer leaves the Bcc header out.
    subject: literal(mail.subject),
    messageId: bracketMessageId(mail.messageId),
    ...(mail.inReplyTo ? { inReplyTo: bracketMessageId(mail.inReplyTo) } : {}),
    ...(mail.references.length > 0 ? { references: mail.references.map(bracketMessageId) } : {}),
    date,
    text: bodies.text,
    html: bodies.html,
    attachments,
    headers: mail.headers.map((h) => ({ key: h.name, value: h.value })),
    disableFileAccess: true,
    disableUrlAccess: true,
    // RFC 5322 §2.1: lines end in CRLF on the wire.
    newline: 'windows',
  };
}

/** `MimeComposer` on nodemailer's `MailComposer`: the MIME tree, encodings and folding are nodemailer's. */
export class NodemailerMimeComposer implements MimeComposer {
  private readonly clock: Clock;
  private readonly maxBytes: number;
  private readonly sanitizer: HtmlSanitizer;

  constructor(options: NodemailerMimeComposerOptions = {}) {
    this.clock = options.clock ?? { now: () => new Date() };
    this.maxBytes = options.maxBytes ?? MAX_MESSAGE_BYTES;
    this.sanitizer = options.sanitizer ?? new AgentHtmlSanitizer();
  }

  async compose(mail: OutboundMail, source: AttachmentSource): Promise<Uint8Array> {
    const files = await fetchAttachments(mail, source, this.maxBytes);
    const raw = await new MailComposer(composerOptions(mail, files, this.clock.now(), this.sanitizer)).compile().build();
    assertMessageSize(raw.byteLength, 'the composed mail', this.maxBytes);
    return new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  }
}
