import { readFileSync } from 'node:fs';
import type { Header, ParsedMessage } from '../../functions/core/model/message.ts';
import { addr, parsedMessage } from './factories.ts';

const FIXTURES = new URL('../fixtures/mail/classify/', import.meta.url);
const REPORT_TYPES = ['message/delivery-status', 'message/global-delivery-status', 'message/feedback-report', 'message/disposition-notification'];

/**
 * A deliberately small stand-in for the MIME parser, enough for hand-written fixtures:
 * unfolded headers, one level of multipart, 7bit bodies. No mailparser in core tests.
 */
export function parseEml(raw: string): ParsedMessage {
  const { headers, body } = split(raw);
  const get = (name: string) => headers.find((h) => h.name === name)?.value ?? null;
  const contentTypeValue = get('content-type') ?? 'text/plain';
  const contentType = contentTypeValue.split(';')[0]!.trim().toLowerCase();
  const reportType = /report-type="?([\w-]+)/i.exec(contentTypeValue)?.[1]?.toLowerCase() ?? null;
  const boundary = /boundary="?([^";]+)"?/i.exec(contentTypeValue)?.[1];
  const parts = boundary ? multipart(body, boundary) : [{ type: contentType, body }];
  const text = parts
    .filter((p) => p.type === 'text/plain')
    .map((p) => p.body)
    .join('\n');
  const enclosed = parts.find((p) => p.type === 'message/rfc822' || p.type === 'text/rfc822-headers');
  const list = (name: string) =>
    (get(name) ?? '')
      .split(',')
      .filter((s) => s.includes('@'))
      .map(addr);
  const id = (value: string | null) => value?.replace(/[<>]/g, '').trim() ?? null;
  return parsedMessage({
    messageId: id(get('message-id')),
    inReplyTo: id(get('in-reply-to')),
    subject: get('subject') ?? '',
    from: get('from')?.includes('@') ? addr(get('from')!) : null,
    to: list('to'),
    cc: list('cc'),
    contentType,
    reportType,
    headers,
    text,
    reports: parts.filter((p) => REPORT_TYPES.includes(p.type)).map((p) => ({ contentType: p.type, text: p.body })),
    enclosedHeaders: enclosed ? split(enclosed.body).headers : null,
  });
}

/** Reads `test/fixtures/mail/classify/<name>` and parses it with {@link parseEml}. */
export function fixture(name: string): ParsedMessage {
  return parseEml(readFileSync(new URL(name, FIXTURES), 'utf8'));
}

function split(raw: string): { headers: Header[]; body: string } {
  const normalized = raw.replace(/\r\n/g, '\n');
  const end = normalized.indexOf('\n\n');
  const head = end < 0 ? normalized : normalized.slice(0, end);
  const headers = head
    .replace(/\n[ \t]+/g, ' ')
    .split('\n')
    .filter((line) => line.includes(':'))
    .map((line) => ({
      name: line.slice(0, line.indexOf(':')).trim().toLowerCase(),
      value: line.slice(line.indexOf(':') + 1).trim(),
    }));
  return { headers, body: end < 0 ? '' : normalized.slice(end + 2) };
}

function multipart(body: string, boundary: string): { type: string; body: string }[] {
  return body
    .split(`--${boundary}`)
    .slice(1)
    .filter((chunk) => !chunk.startsWith('--'))
    .map((chunk) => {
      const part = split(chunk.replace(/^\n/, ''));
      const type =
        part.headers
          .find((h) => h.name === 'content-type')
          ?.value.split(';')[0]
          ?.trim()
          .toLowerCase() ?? 'text/plain';
      return { type, body: part.body };
    });
}
