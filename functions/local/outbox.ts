import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rewriteMessageIdHeader } from '../adapters/outbound/rewrite-message-id.ts';
import type { ChannelSettings } from '../core/model/channel.ts';
import type { Envelope, MailTransport } from '../core/ports/outbound.ts';
import type { TransportFactory } from '../core/ports/outbound-store.ts';

/** The sandbox's outbox: every mail sent, as the raw `.eml` the recipient would get. */
export class OutboxFolder {
  private n = 0;

  constructor(readonly dir: string) {}

  async write(raw: Uint8Array, label: string): Promise<string> {
    await mkdir(this.dir, { recursive: true });
    this.n += 1;
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = join(this.dir, `${stamp}-${String(this.n).padStart(4, '0')}-${label.replace(/[^a-z0-9-]/gi, '_').slice(0, 40)}.eml`);
    await writeFile(file, raw);
    return file;
  }

  /** The `.eml` files, oldest first. */
  async list(): Promise<string[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    return names
      .filter((n) => n.endsWith('.eml'))
      .sort()
      .map((n) => join(this.dir, n));
  }

  read(file: string): Promise<Buffer> {
    return readFile(file);
  }
}

/**
 * Keeps a copy of every mail the SES transport sent in the outbox. aws-ses-v2-local keeps no raw
 * headers and rewrites nothing, so the copy gets the Message-ID SES would have given it (the
 * transport reports that id), as a customer's client would see it. Mail over SMTP reaches the
 * outbox through the sandbox's SMTP server instead, as the bytes that crossed the wire.
 */
/** What SES took, for the sandbox's mailbox simulator. */
export interface CapturedSend {
  readonly channel: ChannelSettings;
  /** The mail as the recipient gets it (with the Message-ID SES gave it). */
  readonly raw: Uint8Array;
  readonly file: string;
  readonly envelope: Envelope;
  /** The SES message id. */
  readonly providerMessageId: string | null;
  /** Our Message-ID, bare. */
  readonly messageId: string;
}

export function capturingSesMail(factory: TransportFactory, outbox: OutboxFolder, onSent?: (sent: CapturedSend) => void): TransportFactory {
  return {
    async forChannel(channel) {
      const transport = await factory.forChannel(channel);
      if (channel.outbound.transport !== 'ses') return transport;
      return {
        async send(raw, envelope, options) {
          const sent = await transport.send(raw, envelope, options);
          const sesId = sent.messageIds.find((id) => id !== `<${options.messageId}>` && id !== options.messageId);
          const copy = sesId ? rewriteMessageIdHeader(raw, sesId) : raw;
          const file = await outbox.write(copy, sent.providerMessageId ?? 'ses');
          onSent?.({ channel, raw: copy, file, envelope, providerMessageId: sent.providerMessageId, messageId: options.messageId });
          return sent;
        },
      } satisfies MailTransport;
    },
  };
}
