import fc from 'fast-check';
import { simpleParser, type AddressObject } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { NodemailerMimeComposer } from '../../../../functions/adapters/outbound/nodemailer-mime-composer.ts';
import { PolicyError } from '../../../../functions/core/errors.ts';
import type { OutboundMail } from '../../../../functions/core/model/outbound-mail.ts';
import { MemoryAttachmentSource, TICKET, plannedReply } from './outbound-fixtures.ts';

const clock = { now: () => new Date('2026-12-01T10:00:00.000Z') };
const none = new MemoryAttachmentSource({});
const bytes = (s: string) => new TextEncoder().encode(s);

function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  return [a ?? []].flat().flatMap((o) => o.value.map((v) => `${v.name ? `${v.name} ` : ''}<${v.address}>`));
}

describe('NodemailerMimeComposer', () => {
  it('composes the planned reply: headers, threading, both bodies in the template, attachments', async () => {
    // Arrange
    const mail = plannedReply({
      cc: [{ address: 'boss@customer.example', name: 'Boss, The' }],
      bcc: [{ address: 'hidden@customer.example', name: '' }],
      signature: { text: 'Max\nACME', html: '' },
      attachments: [
        { source: 's3', key: 'up/1', filename: 'Rechnung März.pdf', contentType: 'application/pdf' },
        { source: 'inbound', rawKey: 'raw/1', partIndex: 0 },
      ],
    });
    const source = new MemoryAttachmentSource({
      'up/1': { filename: 'Rechnung März.pdf', contentType: 'application/pdf', content: bytes('%PDF-1.4 fake') },
      'raw/1': { filename: 'photo.png', contentType: 'image/png', content: new Uint8Array([137, 80, 78, 71, 0, 255]) },
    });

    // Act
    const raw = await new NodemailerMimeComposer({ clock }).compose(mail, source);
    const parsed = await simpleParser(Buffer.from(raw));

    // Assert
    expect(addresses(parsed.from)).toEqual(['ACME Support <support@example.com>']);
    expect(addresses(parsed.replyTo)).toEqual(['ACME Support <support+tok@example.com>']);
    expect(addresses(parsed.to)).toEqual(['Customer <customer@customer.example>']);
    expect(addresses(parsed.cc)).toEqual(['Boss, The <boss@customer.example>']);
    expect(parsed.bcc).toBeUndefined();
    expect(Buffer.from(raw).toString('latin1')).not.toMatch(/hidden@customer/);
    expect(parsed.subject).toBe(`Re: Drucker kaputt [#${TICKET}]`);
    expect(parsed.messageId).toBe('<our-1@example.com>');
    expect(parsed.inReplyTo).toBe('<c2@customer.example>');
    expect(parsed.references).toEqual(['<c1@customer.example>', '<our-1@example.com>', '<c2@customer.example>']);
    expect(parsed.date?.toISOString()).toBe('2026-12-01T10:00:00.000Z');
    expect(parsed.headers.get('x-postroom-conversation')).toBe('conv-1');
    expect(parsed.text).toBe('Hello Jane,\n\nwe are on it.\n\n-- \nMax\nACME\n');
    expect(parsed.html).toContain('<p>Hello Jane,</p>\n<p>we are on it.</p>');
    expect(parsed.html).toContain('<p>Max<br>\nACME</p>');
    expect(parsed.html).toContain(`Ticket ${TICKET}`);
    expect(parsed.attachments.map((a) => [a.filename, a.contentType, a.content.toString('latin1')])).toEqual([
      ['Rechnung März.pdf', 'application/pdf', '%PDF-1.4 fake'],
      ['photo.png', 'image/png', Buffer.from([137, 80, 78, 71, 0, 255]).toString('latin1')],
    ]);
    expect(Buffer.from(raw).toString('latin1')).toMatch(/^(?:[^\n]*\r\n)+\r\n/);
  });

  it('sanitizes agent HTML and derives the text alternative from it', async () => {
    // Arrange
    const html =
      '<p onclick="x()">Hi <b>Jane</b>, see <a href="https://acme.example/faq">our FAQ</a>.</p><script>steal()</script><iframe src="https://evil.example"></iframe><a href="javascript:alert(1)">x</a><img src="https://acme.example/logo.png" alt="ACME"><img src="data:text/html;base64,PHNjcmlwdD4=" alt="a"><img src="data:image/png;base64,iVBORw0KGgo=" alt="b">';
    const mail = plannedReply({ text: null, html });

    // Act
    const parsed = await simpleParser(Buffer.from(await new NodemailerMimeComposer({ clock }).compose(mail, none)));

    // Assert
    expect(parsed.html).toContain('<p>Hi <b>Jane</b>, see <a href="https://acme.example/faq">our FAQ</a>.</p>');
    expect(parsed.html).toContain('<img src="https://acme.example/logo.png" alt="ACME" />');
    expect(parsed.html).toContain('<img alt="a" />');
    expect(parsed.html).toContain('<img src="data:image/png;base64,iVBORw0KGgo=" alt="b" />');
    expect(parsed.html).not.toMatch(/script|steal|iframe|onclick|javascript:|data:text/);
    expect(parsed.text).toBe('Hi Jane, see our FAQ [https://acme.example/faq].\n\nx\n');
  });

  it('refuses a mail over the size limit, with its size', async () => {
    // Arrange
    const mail = plannedReply({ attachments: [{ source: 's3', key: 'big', filename: 'big.bin', contentType: 'application/octet-stream' }] });
    const source = new MemoryAttachmentSource({ big: { filename: 'big.bin', contentType: 'application/octet-stream', content: new Uint8Array(20_000) } });

    // Act
    const error = await new NodemailerMimeComposer({ clock, maxBytes: 24_000 }).compose(mail, source).catch((e: unknown) => e);
    const fits = await new NodemailerMimeComposer({ clock, maxBytes: 40_000 }).compose(mail, source);

    // Assert
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).message).toMatch(/attachments of the mail .* is 0\.0 MB \(27\d{3} bytes\) encoded; at most 0\.0 MB \(24000 bytes\)/);
    expect(fits.byteLength).toBeGreaterThan(27_000);
    await expect(new NodemailerMimeComposer({ clock, maxBytes: fits.byteLength - 1 }).compose(mail, source)).rejects.toThrow(/the composed mail is .* encoded/);
  });

  it('refuses 31 MB of attachments under the default 40 MB limit, before composing', async () => {
    const mail = plannedReply({ attachments: [{ source: 's3', key: 'big', filename: 'big.bin', contentType: 'application/octet-stream' }] });
    const source = new MemoryAttachmentSource({
      big: { filename: 'big.bin', contentType: 'application/octet-stream', content: new Uint8Array(31 * 1024 * 1024) },
    });
    await expect(new NodemailerMimeComposer().compose(mail, source)).rejects.toThrow(
      /attachments of the mail \(1 of 1 fetched\) is 42\.4 MB \(\d+ bytes\) encoded; at most 40\.0 MB/,
    );
  });

  it('never turns a CR or LF of a value into a header of its own (defence behind the planner)', async () => {
    // Arrange: values the planner would refuse, put straight into a plan.
    const evil = '\r\nBcc: injected@attacker.example\r\nX-Injected: yes';
    const valueArb = fc
      .tuple(
        fc.string({ maxLength: 8 }),
        fc.constantFrom('\r\n', '\n', '\r', '\r\n\r\n', '\u0000'),
        fc.constantFrom('Bcc: injected@attacker.example', 'X-Injected: yes', 'Content-Type: text/html'),
      )
      .map(([a, nl, h]) => `${a}${nl}${h}`);
    const composer = new NodemailerMimeComposer({ clock });
    const expected = [
      'from',
      'reply-to',
      'to',
      'in-reply-to',
      'references',
      'subject',
      'message-id',
      'date',
      'mime-version',
      'content-type',
      'x-postroom-conversation',
    ];

    await fc.assert(
      fc.asyncProperty(valueArb, valueArb, async (subjectTail, nameTail) => {
        const base = plannedReply();
        const mail: OutboundMail = {
          ...base,
          subject: `Hi${subjectTail}${evil}`,
          from: { ...base.from, name: `ACME${nameTail}` },
          to: [{ address: 'customer@customer.example', name: `Jane${evil}` }],
          headers: [{ name: 'X-Postroom-Conversation', value: `conv${evil}` }],
        };

        // Act
        const raw = Buffer.from(await composer.compose(mail, none));
        const parsed = await simpleParser(raw);
        const head = raw.toString('latin1').split('\r\n\r\n')[0] ?? '';

        // Assert
        expect([...parsed.headers.keys()].filter((k) => !expected.includes(k))).toEqual([]);
        expect([parsed.to ?? []].flat().flatMap((o) => o.value.map((v) => v.address))).toEqual(['customer@customer.example']);
        expect(head).not.toMatch(/^(?:Bcc|X-Injected|Content-Type: text\/html)/im);
        expect(head.split('\r\n').every((line) => !/[\r\n\u0000]/.test(line))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
