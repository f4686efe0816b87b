import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MailparserMimeParser } from '../../../functions/adapters/mailparser-mime-parser.ts';
import { repairStructure } from '../../../functions/adapters/mime/structure-repair.ts';
import { headerValue, ParsedMessageSchema } from '../../../functions/core/model/message.ts';

const directory = new URL('../../fixtures/mail/parse/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, directory));
const crlf = (lines: readonly string[]): Buffer => Buffer.from(lines.join('\r\n'));
const parser = new MailparserMimeParser();

// Multiparts whose structure hides the body, and words of the body the agent must see.
const BODY_KEPT: readonly (readonly [string, string, string])[] = [
  ['multipart-without-boundary.eml', 'die Rechnung 4711 wurde zweimal abgebucht', 'text/plain'],
  ['multipart-boundary-never-appears.eml', 'my order 1234 has not arrived after three weeks.\n-----\nOla', 'text/plain'],
  ['multipart-undeclared-delimiters.eml', 'Por favor, envíen el pedido a mi nueva dirección.', 'multipart/alternative'],
  ['nested-multipart-without-boundary.eml', 'The screen cracked on the second day. Photo attached.', 'multipart/mixed'],
];

describe('MailparserMimeParser: broken structure keeps the body', () => {
  it.each(BODY_KEPT)('%s shows its text, tagged structure-repaired', async (name, words, contentType) => {
    // Arrange
    const raw = fixture(name);

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(message.text).toContain(words);
    expect(message.contentType).toBe(contentType);
    expect(message.parseTags).toEqual(['structure-repaired']);
    expect(message.size).toBe(raw.byteLength);
  });

  it('reads the parts of a multipart that names no boundary when one token delimits them', async () => {
    // Act
    const message = await parser.parse(fixture('multipart-undeclared-delimiters.eml'), {}, { html: 'sanitized' });

    // Assert
    expect(message.text).toBe('Por favor, envíen el pedido a mi nueva dirección.');
    expect(message.html).toContain('<p>Por favor');
    expect(message.text).not.toContain('--ana-part');
  });

  it('keeps the attachment beside a nested multipart that delimits nothing', async () => {
    // Act
    const message = await parser.parse(fixture('nested-multipart-without-boundary.eml'));

    // Assert
    expect(message.attachments.map((a) => a.filename)).toEqual(['screen.png']);
  });

  it('gives the charset of the broken multipart to its text', async () => {
    // Arrange
    const raw = Buffer.from('From: a@customer.example\r\nContent-Type: multipart/alternative; charset=iso-8859-1\r\n\r\nGr\xfc\xdfe aus K\xf6ln\r\n', 'latin1');

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(message.text.trim()).toBe('Grüße aus Köln');
  });
});

describe('MailparserMimeParser structure repair', () => {
  it('re-folds parameter lines that lost their indentation and keeps the other parts', async () => {
    // Arrange
    const raw = fixture('unfolded-boundary-parameter.eml');

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(ParsedMessageSchema.parse(message)).toEqual(message);
    expect(message.text).toContain('550 - Requested action not taken: no such user here');
    expect(message.text).toContain('RCPT TO: nobody@mx.example.net');
    expect(message.html).toContain('Error: Invalid user address');
    expect(message.attachments.map((a) => a.filename)).toEqual(['session.pdf']);
    expect(headerValue(message.headers, 'content-type')).toBe('multipart/mixed; boundary="outer-7f3a"');
    expect(message.size).toBe(raw.byteLength);
  });

  it('re-folds a broken top-level Content-Type fold', async () => {
    // Arrange
    const raw = crlf([
      'From: Karoline <karoline@example.com>',
      'Subject: AW: Angebot',
      'Content-Type: multipart/alternative;',
      'boundary="top-b"',
      'MIME-Version: 1.0',
      '',
      '--top-b',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'Danke, passt so.',
      '--top-b--',
      '',
    ]);

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(message.contentType).toBe('multipart/alternative');
    expect(message.text).toBe('Danke, passt so.');
    expect(headerValue(message.headers, 'mime-version')).toBe('1.0');
  });

  it('reads parts delimited by another boundary than the declared one', async () => {
    // Arrange
    const raw = fixture('boundary-mismatch.eml');

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(message.reportType).toBe('delivery-status');
    expect(message.text).toContain('<bob@example.de>: host mx.example.de said: 550 5.1.1 User unknown');
    expect(message.text).toContain('-----Original Message-----\n-- \nThe mail system');
    expect(message.reports).toEqual([{ contentType: 'message/delivery-status', text: expect.stringContaining('Status: 5.1.1') }]);
    expect(headerValue(message.enclosedHeaders ?? [], 'message-id')).toBe('<ticket-42-out-9@mail.example.com>');
    expect(headerValue(message.headers, 'content-type')).toContain('boundary="A1B2C3.1720293561/mx.example.org"');
    expect(message.size).toBe(raw.byteLength);
  });

  it('reads the body as one text part when the repaired structure exceeds a limit', async () => {
    // Arrange
    const raw = fixture('boundary-mismatch.eml');

    // Act
    const message = await parser.parse(raw, { maxParts: 2 });

    // Assert
    expect(message.subject).toBe('Undelivered Mail Returned to Sender');
    expect(message.text).toContain('<bob@example.de>: host mx.example.de said: 550 5.1.1 User unknown');
    expect(message.reports).toEqual([]);
    expect(message.parseTags).toEqual(['structure-repaired']);
  });

  it('keeps a multipart of attachments alone: its boundary delimits, it only has no text', async () => {
    // Arrange
    const raw = crlf([
      'From: Scanner <scanner@example.org>',
      'Content-Type: multipart/mixed; boundary="scan"',
      '',
      '--scan',
      'Content-Type: application/pdf; name="scan.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      'JVBERi0xLjQK',
      '--scan--',
      '',
    ]);

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(message.text).toBe('');
    expect(message.attachments.map((a) => a.filename)).toEqual(['scan.pdf']);
    expect(message.parseTags).toEqual([]);
  });

  it('does not invent parts from dash lines that delimit nothing: the body is read as one text part', async () => {
    // Arrange
    const raw = crlf([
      'From: Jane <jane@example.org>',
      'Content-Type: multipart/mixed; boundary="never-used"',
      '',
      '-----Original Message-----',
      'From: someone@example.com',
      '',
      'Hello',
      '-- ',
      'Jane',
      '',
    ]);

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(message.text).toBe('-----Original Message-----\nFrom: someone@example.com\n\nHello\n-- \nJane\n');
    expect(message.attachments).toEqual([]);
    expect(message.parseTags).toEqual(['structure-repaired']);
  });

  it('leaves well-formed fixtures alone', () => {
    // Arrange
    const broken = ['unfolded-boundary-parameter.eml', 'boundary-mismatch.eml', ...BODY_KEPT.map(([name]) => name)];
    const names = readdirSync(directory).filter((name) => name.endsWith('.eml') && !broken.includes(name));

    // Act
    const repaired = names.filter((name) => repairStructure(fixture(name)) !== null);

    // Assert
    expect(names.length).toBeGreaterThan(5);
    expect(repaired).toEqual([]);
  });

  it('skips mail above the repair size bound', () => {
    // Arrange
    const head = 'Content-Type: multipart/mixed;\r\nboundary="b"\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n';
    const raw = Buffer.concat([Buffer.from(head), Buffer.alloc(4 * 1024 * 1024, 0x61)]);

    // Act
    const repaired = repairStructure(raw);

    // Assert
    expect(repairStructure(Buffer.from(head))).not.toBeNull();
    expect(repaired).toBeNull();
  });

  it('stays fast on long dash, space and parameter lines', () => {
    // Arrange
    const spaces = ' '.repeat(500_000);
    const params = `Content-Type: multipart/mixed;\r\n${`x=${'y'.repeat(2000)};\r\n`.repeat(500)}`;
    const raw = Buffer.from(`Content-Type: multipart/mixed; boundary="b"\r\n\r\n--${spaces}x\r\n${params}--a\r\n--a\r\n${'--c\r\n'.repeat(50_000)}`);

    // Act
    const started = performance.now();
    repairStructure(raw);
    const elapsed = performance.now() - started;

    // Assert
    expect(elapsed).toBeLessThan(1000);
  });
});
