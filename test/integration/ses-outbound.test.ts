import { SESv2Client } from '@aws-sdk/client-sesv2';
import { simpleParser } from 'mailparser';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodemailerMimeComposer } from '../../functions/adapters/outbound/nodemailer-mime-composer.ts';
import { rewriteMessageIdHeader } from '../../functions/adapters/outbound/rewrite-message-id.ts';
import { SesMailTransport } from '../../functions/adapters/outbound/ses-mail-transport.ts';
import { TransportError } from '../../functions/core/errors.ts';
import { mailEnvelope } from '../../functions/core/model/outbound-mail.ts';
import { MemoryAttachmentSource, TICKET, plannedReply } from '../unit/adapters/outbound/outbound-fixtures.ts';

const CLI = join(import.meta.dirname, '../../node_modules/aws-ses-v2-local/dist/cli.js');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** aws-ses-v2-local in a child process on 127.0.0.1, ready once it prints its address. */
function startSesLocal(port: number): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, '--host', '127.0.0.1', '--port', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => reject(new Error('aws-ses-v2-local did not start')), 15_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('server running')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`aws-ses-v2-local exited with ${code}`)));
  });
}

interface StoredEmail {
  messageId: string;
  from: string;
  replyTo: string[];
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  attachments: { filename?: string; contentType: string; size: number }[];
}

let server: ChildProcess;
let endpoint: string;

beforeAll(async () => {
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  server = await startSesLocal(port);
});

afterAll(() => {
  server?.kill('SIGTERM');
});

function client(url = endpoint): SESv2Client {
  return new SESv2Client({ region: 'eu-west-1', endpoint: url, credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
}

describe('SES outbound against aws-ses-v2-local', () => {
  it('delivers the composed reply and reports our id and the rewritten one, as SES would', async () => {
    // Arrange
    const mail = plannedReply({
      cc: [{ address: 'boss@customer.example', name: '' }],
      attachments: [{ source: 's3', key: 'up/1', filename: 'invoice.pdf', contentType: 'application/pdf' }],
    });
    const source = new MemoryAttachmentSource({
      'up/1': { filename: 'invoice.pdf', contentType: 'application/pdf', content: new TextEncoder().encode('%PDF fake') },
    });
    const raw = await new NodemailerMimeComposer().compose(mail, source);
    const transport = new SesMailTransport(client(), { configurationSet: 'postroom-support' });

    // Act
    const sent = await transport.send(raw, mailEnvelope(mail), { messageId: mail.messageId });
    const store = (await (await fetch(`${endpoint}/store`)).json()) as { emails: StoredEmail[] };

    // Assert
    const stored = store.emails.find((e) => e.messageId === sent.providerMessageId);
    expect(stored).toBeDefined();
    expect(stored).toMatchObject({
      from: '"ACME Support" <support@example.com>',
      replyTo: ['"ACME Support" <support+tok@example.com>'],
      destination: { to: ['"Customer" <customer@customer.example>'], cc: ['boss@customer.example'] },
      subject: `Re: Drucker kaputt [#${TICKET}]`,
    });
    expect(stored?.body.text).toContain('we are on it.');
    expect(stored?.attachments.map((a) => [a.filename, a.contentType, a.size])).toEqual([['invoice.pdf', 'application/pdf', 9]]);
    expect(sent.messageIds).toEqual(['<our-1@example.com>', `<${sent.providerMessageId}@eu-west-1.amazonses.com>`]);

    // The sandbox's stored copy, rewritten as SES rewrites the delivered mail.
    const copy = await simpleParser(Buffer.from(rewriteMessageIdHeader(raw, sent.messageIds[1] ?? '')));
    expect(copy.messageId).toBe(sent.messageIds[1]);
    expect(copy.references).toContain('<our-1@example.com>');
  });

  it('reports an endpoint that cannot be reached as a transient TransportError', async () => {
    // Arrange
    const closed = `http://127.0.0.1:${await freePort()}`;
    const mail = plannedReply();
    const raw = await new NodemailerMimeComposer().compose(mail, new MemoryAttachmentSource({}));

    // Act
    const error = await new SesMailTransport(client(closed)).send(raw, mailEnvelope(mail), { messageId: mail.messageId }).catch((e: unknown) => e);

    // Assert
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).retryable).toBe(true);
  });
});
