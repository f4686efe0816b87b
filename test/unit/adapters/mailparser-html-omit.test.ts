import { describe, expect, it } from 'vitest';
import { MailparserMimeParser } from '../../../functions/adapters/mailparser-mime-parser.ts';

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'));

const alternative = crlf([
  'From: a@x.example',
  'To: support@example.test',
  'Subject: News',
  'Content-Type: multipart/alternative; boundary="b"',
  '',
  '--b',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'Plain words',
  '--b',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<p onclick="x()">Rich <b>words</b><script>steal()</script></p>',
  '--b--',
  '',
]);

const htmlOnly = crlf([
  'From: a@x.example',
  'Subject: Only HTML',
  'Content-Type: text/html; charset=utf-8',
  '',
  '<div>First line<br>second line<script>steal()</script></div><p>Next &amp; last</p>',
  '',
]);

describe('MailparserMimeParser html option', () => {
  it('gives sanitized HTML by default and none with html: omit, with the same text', async () => {
    // Arrange
    const parser = new MailparserMimeParser();

    // Act
    const sanitized = await parser.parse(alternative);
    const omitted = await parser.parse(alternative, {}, { html: 'omit' });

    // Assert
    expect(sanitized.html).toBe('<p>Rich <b>words</b></p>');
    expect(omitted.html).toBeNull();
    expect(omitted.text).toBe(sanitized.text);
    expect(omitted.text).toBe('Plain words');
  });

  it('derives the same text from an HTML-only mail either way, never the script', async () => {
    const parser = new MailparserMimeParser();

    const sanitized = await parser.parse(htmlOnly);
    const omitted = await parser.parse(htmlOnly, {}, { html: 'omit' });

    expect(omitted.text).toBe(sanitized.text);
    expect(omitted.text).toBe('First line\nsecond line\n\nNext & last');
  });
});
