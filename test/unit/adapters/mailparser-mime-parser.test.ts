import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MailparserMimeParser } from '../../../functions/adapters/mailparser-mime-parser.ts';
import { toParseError } from '../../../functions/adapters/mime/parse-errors.ts';
import { MailParseError } from '../../../functions/core/errors.ts';
import { headerValue, ParsedMessageSchema } from '../../../functions/core/model/message.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/mail/parse/${name}`, import.meta.url));
const parser = new MailparserMimeParser();

async function parseError(raw: Uint8Array, limits = {}): Promise<MailParseError> {
  const error: unknown = await parser.parse(raw, limits).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MailParseError);
  return error as MailParseError;
}

describe('MailparserMimeParser', () => {
  it('normalizes ids, addresses, subject and date of a Gmail reply', async () => {
    // Arrange
    const raw = fixture('gmail-reply-alternative.eml');

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(ParsedMessageSchema.parse(message)).toEqual(message);
    expect(message.messageId).toBe('CAF=new-reply@mail.gmail.com');
    expect(message.inReplyTo).toBe('CAF=reply1@mail.gmail.com');
    expect(message.references).toEqual(['first@example.com', 'ticket-42@mail.example.com', 'CAF=reply1@mail.gmail.com']);
    expect(message.subject).toBe('Re: Bestellung über 3 Artikel [Ticket#10042]');
    expect(message.from).toEqual({ address: 'juergen.mueller@gmail.com', name: 'Jürgen Müller' });
    expect(message.cc).toEqual([{ address: 'jane@example.org', name: 'Doe, Jane' }]);
    expect(message.date).toBe('2024-03-12T10:20:18.000Z');
    expect(message.contentType).toBe('multipart/alternative');
    expect(message.text).toContain('Hallo, die Lieferung ist angekommen, danke!');
    expect(message.size).toBe(raw.byteLength);
  });

  it('keeps top-level headers unfolded, decoded and lowercase, in order', async () => {
    // Arrange
    const raw = fixture('gmail-reply-alternative.eml');

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(message.headers[0]).toEqual({ name: 'delivered-to', value: 'support@example.com' });
    expect(headerValue(message.headers, 'received')).toBe(
      'from mail-wr1-f41.google.com (mail-wr1-f41.google.com [209.85.221.41]) by inbound-smtp.eu-west-1.amazonaws.com with SMTP id abc123 for support@example.com; Tue, 12 Mar 2024 10:20:31 +0000 (UTC)',
    );
    expect(headerValue(message.headers, 'from')).toBe('Jürgen Müller <Juergen.Mueller@Gmail.com>');
    expect(message.headers.every((h) => h.name === h.name.toLowerCase() && !/[\r\n]/.test(h.value))).toBe(true);
  });

  it('sanitizes HTML: no scripts, handlers, javascript: links, forms, frames or remote loads', async () => {
    // Arrange
    const raw = fixture('outlook-html-related-cid.eml');

    // Act
    const message = await parser.parse(raw);

    // Assert
    const html = message.html ?? '';
    expect(html).toContain('src="cid:image001.png@01DA7522.AB12CD30"');
    expect(html).toContain('data-remote-src="https://tracker.example.net/open.gif?u=42"');
    expect(html).not.toMatch(/<script|onerror|onload|javascript:|<form|<input|<iframe|<style|url\(|position/i);
    expect(html).toContain('href="https://example.com/rechnung"');
    expect(html).toContain('style="color:red"');
  });

  it('derives text from HTML when there is no text/plain part', async () => {
    // Arrange
    const raw = fixture('outlook-html-related-cid.eml');

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(message.text).toBe('Sehr geehrte Damen und Herren,\nanbei die Rechnung für März.\n\nklick Rechnung online\nMit freundlichen Grüßen');
  });

  it('reports attachment metadata: cid images inline, md5 checksum, filename without path', async () => {
    // Arrange
    const raw = fixture('outlook-html-related-cid.eml');

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(message.attachments).toEqual([
      {
        filename: 'image001.png',
        contentType: 'image/png',
        size: 70,
        inline: true,
        contentId: 'image001.png@01DA7522.AB12CD30',
        checksum: '2cd8bde463f5d82aae0f0cec061d6b8f',
      },
      { filename: 'Rechnung.pdf', contentType: 'application/pdf', size: 22, inline: true, contentId: null, checksum: '7d3ef19aff58f3a53210fdf0a7d61eee' },
    ]);
  });

  it('replaces control characters that encoded words smuggle into subject, names and headers', async () => {
    // Arrange
    const raw = fixture('encoded-subject-crlf.eml');

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(message.subject).toBe('Hi Bcc: victim@example.com there');
    expect(message.from).toEqual({ address: 'eve@example.net', name: 'Eve X-Injected: yes' });
    expect(headerValue(message.headers, 'x-note')).toBe('line break');
    expect(message.text).toBe('Body with a NUL.\n');
    expect(message.date).toBeNull();
  });

  it('exposes the delivery-status part and the returned message headers of a bounce', async () => {
    // Arrange
    const raw = fixture('dsn-postfix-bounce.eml');

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(message.contentType).toBe('multipart/report');
    expect(message.reportType).toBe('delivery-status');
    expect(message.from).toEqual({ address: 'mailer-daemon@mx.example.com', name: 'Mail Delivery System' });
    expect(message.reports).toHaveLength(1);
    expect(message.reports[0]?.contentType).toBe('message/delivery-status');
    expect(message.reports[0]?.text).toContain('Status: 5.1.1');
    expect(message.text).not.toContain('Status: 5.1.1');
    expect(headerValue(message.enclosedHeaders ?? [], 'message-id')).toBe('<ticket-42-out-7@mail.example.com>');
    expect(message.attachments.map((a) => a.contentType)).toEqual(['message/rfc822']);
  });

  it('reads enclosed headers from a text/rfc822-headers part', async () => {
    // Arrange
    const raw = fixture('dsn-rfc822-headers.eml');

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(message.reports.map((r) => r.contentType)).toEqual(['message/delivery-status']);
    expect(headerValue(message.enclosedHeaders ?? [], 'subject')).toBe('Ihre Anfrage über Lieferung');
  });

  it('exposes a feedback report and the inline-parsed original message headers', async () => {
    // Arrange
    const raw = fixture('arf-feedback-report.eml');

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(message.reportType).toBe('feedback-report');
    expect(message.reports).toEqual([{ contentType: 'message/feedback-report', text: expect.stringContaining('Feedback-Type: abuse') }]);
    expect(headerValue(message.enclosedHeaders ?? [], 'message-id')).toBe('<news-1@example.com>');
  });

  it('recovers report parts that an unclosed nested multipart hid from mailparser', async () => {
    // Arrange
    const raw = Buffer.from(
      [
        'From: Mail Delivery Subsystem <mailer-daemon@example.com>',
        'Subject: Delivery Status Notification (Delay)',
        'Content-Type: multipart/report; boundary="outer"; report-type=delivery-status',
        '',
        '--outer',
        'Content-Type: multipart/alternative; boundary="inner"',
        '',
        '--inner',
        'Content-Type: text/plain',
        '',
        'Delayed.',
        '',
        '--outer',
        'Content-Type: message/delivery-status',
        '',
        'Final-Recipient: rfc822; bob@example.de',
        'Action: delayed',
        'Status: 4.4.1',
        '',
        '--outer',
        'Content-Type: message/rfc822',
        '',
        'Message-ID: <orig-1@example.com>',
        'Subject: Original',
        '',
        'ABC',
        '--outer--',
        '',
      ].join('\r\n'),
    );

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(message.reports).toEqual([{ contentType: 'message/delivery-status', text: expect.stringContaining('Status: 4.4.1') }]);
    expect(headerValue(message.enclosedHeaders ?? [], 'message-id')).toBe('<orig-1@example.com>');
  });

  it('parses an inline forwarded message/rfc822 and keeps its headers as enclosed headers', async () => {
    // Arrange
    const raw = fixture('forwarded-inline-rfc822.eml');

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(headerValue(message.enclosedHeaders ?? [], 'subject')).toBe('Angebot 2024');
    expect(message.attachments.map((a) => a.filename)).toEqual(['angebot.pdf']);
    expect(message.reports).toEqual([]);
  });

  it('keeps only the newest maxReferences references and the first In-Reply-To id', async () => {
    // Arrange
    const raw = fixture('references-500.eml');

    // Act
    const message = await parser.parse(raw, { maxReferences: 100 });

    // Assert
    expect(message.references).toHaveLength(100);
    expect(message.references[0]).toBe('ref-400@example.com');
    expect(message.references.at(-1)).toBe('ref-499@example.com');
    expect(message.inReplyTo).toBe('ref-499@example.com');
  });

  it('rejects an absurd number of references', async () => {
    // Arrange
    const ids = Array.from({ length: 1500 }, (_, i) => `<r${i}@x.example>`).join('\r\n ');
    const raw = Buffer.from(`From: a@example.com\r\nReferences: ${ids}\r\n\r\nbody\r\n`);

    // Act
    const error = await parseError(raw, { maxReferences: 10 });

    // Assert
    expect(error.limit).toBe('references');
  });

  it('tolerates truncated base64, a missing closing boundary and unknown charsets', async () => {
    // Arrange
    const names = ['truncated-base64.eml', 'missing-boundary-end.eml', 'eight-bit-garbage-charset.eml'];

    // Act
    const messages = await Promise.all(names.map((name) => parser.parse(fixture(name))));

    // Assert
    const [truncated, unclosed, garbage] = messages;
    expect(truncated?.attachments.map((a) => a.filename)).toEqual(['data.zip']);
    expect(unclosed?.text).toContain('Plain body without a closing boundary.');
    expect(unclosed?.html).toContain('HTML body without a closing boundary.');
    expect(garbage?.subject).toBe('Grüße aus Köln ÿþ');
    for (const message of messages) expect(ParsedMessageSchema.safeParse(message).success).toBe(true);
  });

  it.each([
    ['size', { maxBytes: 100 }, 'gmail-reply-alternative.eml'],
    ['header-size', { maxHeaderBytes: 512 }, 'gmail-reply-alternative.eml'],
    ['depth', {}, 'nesting-bomb.eml'],
    ['parts', {}, 'many-parts.eml'],
    ['parts', { maxParts: 2 }, 'gmail-reply-alternative.eml'],
    ['depth', { maxDepth: 0 }, 'gmail-reply-alternative.eml'],
  ])('rejects with limit %s', async (limit, limits, name) => {
    // Arrange
    const raw = fixture(name);

    // Act
    const error = await parseError(raw, limits);

    // Assert
    expect(error.limit).toBe(limit);
    expect(error.code).toBe(`limit-${limit}`);
  });

  it('rejects a huge top-level header block', async () => {
    // Arrange
    const line = `X-Filler: ${'a'.repeat(70)}\r\n`;
    const raw = Buffer.from(`From: a@example.com\r\n${line.repeat(4000)}\r\nbody\r\n`);

    // Act
    const error = await parseError(raw);

    // Assert
    expect(error.limit).toBe('header-size');
  });

  it.each([
    ['empty input', Buffer.alloc(0)],
    ['binary garbage', fixture('not-mail.bin')],
    ['text without headers', Buffer.from('Hello there,\r\nthis is not a mail.\r\n')],
  ])('rejects %s as malformed mail', async (_label, raw) => {
    // Arrange, Act
    const error = await parseError(raw);

    // Assert
    expect(error.code).toBe('malformed-mail');
    expect(error.limit).toBeNull();
  });

  it('wraps foreign errors into MailParseError with the cause', () => {
    // Arrange
    const cause = Object.assign(new Error('Max header size for a MIME node exceeded'), { code: 'EMAXLEN' });
    const other = new TypeError('boom');

    // Act
    const limitError = toParseError(cause);
    const wrapped = toParseError(other);

    // Assert
    expect(limitError.limit).toBe('header-size');
    expect(limitError.cause).toBe(cause);
    expect(wrapped).toBeInstanceOf(MailParseError);
    expect(wrapped.code).toBe('malformed-mail');
    expect(wrapped.cause).toBe(other);
  });
});
