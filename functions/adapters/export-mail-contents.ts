import type { MailContents } from '../core/ports/privacy.ts';

/** Largest raw mail read for its text and attachments (SES receives up to 40 MB). */
const MAX_READ_BYTES = 50 * 1024 * 1024;

/**
 * A raw mail's author, subject, text and attachments, as an export and an erasure need them
 * (mailparser, loaded on first use). A mail that does not parse reads as nothing: no author, no
 * text; the export still carries its raw copy.
 */
export class MailparserMailContents implements MailContents {
  async read(raw: Uint8Array) {
    const empty = { from: [] as string[], subject: '', text: '', attachments: [] };
    if (raw.byteLength > MAX_READ_BYTES) return empty;
    try {
      const { simpleParser } = await import('mailparser');
      const parsed = await simpleParser(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), {
        skipImageLinks: true,
        skipTextLinks: true,
        skipTextToHtml: true,
      });
      const from = (parsed.from?.value ?? []).flatMap((a) => (a.address ? [a.address.toLowerCase()] : []));
      return {
        from,
        subject: parsed.subject ?? '',
        text: parsed.text ?? '',
        attachments: parsed.attachments.map((a, i) => ({
          filename: a.filename ?? `attachment-${i + 1}`,
          contentType: a.contentType,
          content: new Uint8Array(a.content),
        })),
      };
    } catch {
      return empty;
    }
  }
}
