import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MailparserMimeParser } from '../../../functions/adapters/mailparser-mime-parser.ts';
import { repairStructure } from '../../../functions/adapters/mime/structure-repair.ts';
import { headerValue, ParsedMessageSchema } from '../../../functions/core/model/message.ts';

const directory = new URL('../../fixtures/mail/parse/', import.meta.url);
const fixture = (name: string): Buffer => readFileSync(new URL(name, directory));
const crlf = (lines: readonly string[]): Buffer => Buffer.from(lines.join('\r\n'));
const parser = new MailparserMimeParser();

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

  it('keeps the first result when the repaired structure exceeds a limit', async () => {
    // Arrange
    const raw = fixture('boundary-mismatch.eml');

    // Act
    const message = await parser.parse(raw, { maxParts: 2 });

    // Assert
    expect(message.subject).toBe('Undelivered Mail Returned to Sender');
    expect(message.text).toBe('');
    expect(message.reports).toEqual([]);
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
    const names = readdirSync(directory).filter((name) => name.endsWith('.eml') && !['unfolded-boundary-parameter.eml', 'boundary-mismatch.eml'].includes(name));

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
