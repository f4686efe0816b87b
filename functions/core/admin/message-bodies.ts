import { NotFoundError } from '../errors.ts';
import { extractReply } from '../inbound/extract-reply.ts';
import type { StoredMessage } from '../model/stored-message.ts';
import type { MessageBodies, MessageBody } from '../ports/admin.ts';
import type { RawMailStore } from '../ports/inbound.ts';
import type { MimeParser } from '../ports/mime.ts';

/**
 * Bodies of inbound messages, read from their raw copy: the full text, the new text (quoted
 * history and signature removed, as the inbound decision saw it) and the sanitized HTML. A raw
 * copy gone with retention reads as null. Outbound bodies are the send path's to keep: null here.
 */
export class RawMailMessageBodies implements MessageBodies {
  constructor(
    private readonly raw: RawMailStore,
    /** Loaded on first use: only routes that read bodies need a MIME parser. */
    private readonly parser: () => Promise<MimeParser>,
  ) {}

  async read(message: StoredMessage): Promise<MessageBody | null> {
    if (message.direction !== 'inbound') return null;
    let raw: Uint8Array;
    try {
      raw = await this.raw.get(message.rawKey);
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
    const parsed = await (await this.parser()).parse(raw, {}, { html: 'sanitized' });
    return { text: parsed.text, newText: extractReply(parsed.text).reply, html: parsed.html };
  }
}
