import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MailparserMimeParser } from '../../../functions/adapters/mailparser-mime-parser.ts';
import { ValidationError } from '../../../functions/core/errors.ts';
import { DEFAULT_PARSE_LIMITS } from '../../../functions/core/model/parse-limits.ts';

const fixture = (name: string): Buffer => readFileSync(new URL(`../../fixtures/mail/parse/${name}`, import.meta.url));
const crlf = (lines: readonly string[]): Buffer => Buffer.from(lines.join('\r\n'));
const parser = new MailparserMimeParser();

describe('MailparserMimeParser line and HTML depth limits', () => {
  it('cuts a line longer than maxLineChars into lines at spaces, keeps every word and tags the mail', async () => {
    // Arrange
    const raw = fixture('line-longer-than-limit.eml');

    // Act
    const message = await parser.parse(raw);

    // Assert
    const lines = message.text.split('\n');
    expect(Math.max(...lines.map((line) => line.length))).toBeLessThanOrEqual(DEFAULT_PARSE_LIMITS.maxLineChars);
    expect(lines.length).toBeGreaterThan(4);
    expect(message.text.replace(/\s+/g, ' ')).toContain('the queue keeps the old jobs. The printer on the second floor');
    expect(message.text.split(/\s+/).filter((word) => word === 'printer')).toHaveLength(100);
    expect(message.parseTags).toEqual(['limit-line-length']);
  });

  it('applies a smaller maxLineChars to the text and to the reply text of the HTML', async () => {
    // Arrange
    const raw = crlf([
      'From: a@customer.example',
      'Content-Type: multipart/alternative; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain',
      '',
      `Thanks ${'x'.repeat(100)}`,
      '--b',
      'Content-Type: text/html',
      '',
      `<p>Thanks ${'y'.repeat(100)}</p><div class="gmail_quote">old</div>`,
      '--b--',
      '',
    ]);

    // Act
    const message = await parser.parse(raw, { maxLineChars: 40 });

    // Assert
    expect(message.text.split('\n').every((line) => line.length <= 40)).toBe(true);
    expect(message.htmlReply?.text.split('\n').every((line) => line.length <= 40)).toBe(true);
    expect(message.htmlReply?.text.replace(/\s/g, '')).toBe(`Thanks${'y'.repeat(100)}`);
    expect(message.parseTags).toEqual(['limit-line-length']);
  });

  it('applies maxLineChars to report parts', async () => {
    // Arrange
    const raw = crlf([
      'From: MAILER-DAEMON@mx.example',
      'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
      '',
      '--r',
      'Content-Type: text/plain',
      '',
      'Delivery failed.',
      '--r',
      'Content-Type: message/delivery-status',
      '',
      'Reporting-MTA: dns; mx.example',
      '',
      'Final-Recipient: rfc822; bob@example.org',
      'Status: 5.1.1',
      `Diagnostic-Code: smtp; 550 ${'no such user '.repeat(10)}`,
      '--r--',
      '',
    ]);

    // Act
    const message = await parser.parse(raw, { maxLineChars: 60 });

    // Assert
    expect(message.reports[0]?.text.split('\n').every((line) => line.length <= 60)).toBe(true);
    expect(message.reports[0]?.text).toContain('Status: 5.1.1');
    expect(message.parseTags).toEqual(['limit-line-length']);
  });

  it('flattens HTML nested deeper than maxHtmlDepth: the text stays, the mail is tagged', async () => {
    // Arrange
    const raw = fixture('html-nested-deeper-than-limit.eml');

    // Act
    const message = await parser.parse(raw);

    // Assert
    expect(message.text).toBe('Top text\n\nDeep text\nsecond line\n\nAfter');
    // <html> and <body> take two of the levels.
    expect(message.html?.match(/<div>/g)).toHaveLength(DEFAULT_PARSE_LIMITS.maxHtmlDepth - 2);
    expect(message.parseTags).toEqual(['limit-html-depth']);
  });

  it('leaves mail within the limits as it is, untagged', async () => {
    // Act
    const message = await parser.parse(fixture('html-nested-deeper-than-limit.eml'), { maxHtmlDepth: 400 });

    // Assert
    expect(message.html?.match(/<div>/g)).toHaveLength(300);
    expect(message.parseTags).toEqual([]);
  });

  it('refuses limits that would switch the caps off', async () => {
    // Act
    const zero = parser.parse(fixture('line-longer-than-limit.eml'), { maxLineChars: 0 });
    const missing = parser.parse(fixture('line-longer-than-limit.eml'), { maxHtmlDepth: Number.NaN });

    // Assert
    await expect(zero).rejects.toBeInstanceOf(ValidationError);
    await expect(missing).rejects.toBeInstanceOf(ValidationError);
  });
});
