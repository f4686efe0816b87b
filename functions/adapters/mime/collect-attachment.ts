import type { Readable } from 'node:stream';

/** The attachment object mailparser's `MailParser` pushes (fields this adapter reads). */
export interface MailparserAttachment {
  readonly type: 'attachment';
  readonly content: Readable;
  readonly contentType: string;
  readonly contentDisposition?: string;
  readonly filename?: string;
  readonly cid?: string;
  readonly headers: ReadonlyMap<string, unknown>;
  readonly release: (() => void) | null;
  /** Set by mailparser's hashing stream when the content ends. */
  readonly size?: number;
  readonly checksum?: string;
}

/** Metadata of one attachment after its content has streamed by. */
export interface CollectedAttachment {
  readonly role: 'report' | 'enclosed' | 'plain';
  readonly contentType: string;
  readonly disposition: string | null;
  readonly filename: string | null;
  readonly contentId: string | null;
  /** `charset` parameter of the part's Content-Type, if any. */
  readonly charset: string | null;
  readonly size: number;
  readonly checksum: string | null;
  /** The first `cap` bytes of the content, kept for report parts and enclosed messages. */
  readonly head: Buffer | null;
}

function charsetOf(headers: ReadonlyMap<string, unknown>): string | null {
  const contentType = headers.get('content-type') as { params?: Record<string, unknown> } | undefined;
  const charset = contentType?.params?.charset;
  return typeof charset === 'string' && charset.length > 0 ? charset : null;
}

/**
 * Drains one attachment stream: mailparser hashes it on the way (md5, size); up to `cap` bytes
 * are kept, nothing else. The attachment is released afterwards so mailparser continues.
 */
export function collectAttachment(attachment: MailparserAttachment, role: CollectedAttachment['role'], cap: number): Promise<CollectedAttachment> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    attachment.content.on('data', (chunk: Buffer) => {
      if (kept >= cap) return;
      // Copy the slice: a view would pin the whole chunk in memory.
      const slice = Buffer.from(chunk.subarray(0, cap - kept));
      chunks.push(slice);
      kept += slice.length;
    });
    attachment.content.once('error', reject);
    attachment.content.once('end', () => {
      attachment.release?.();
      resolve({
        role,
        contentType: (attachment.contentType || 'application/octet-stream').toLowerCase(),
        disposition: attachment.contentDisposition ?? null,
        filename: attachment.filename ?? null,
        contentId: attachment.cid ?? null,
        charset: charsetOf(attachment.headers),
        size: attachment.size ?? 0,
        checksum: attachment.checksum ?? null,
        head: cap > 0 ? Buffer.concat(chunks, kept) : null,
      });
    });
  });
}
