/**
 * Pathological mail of about 1 MB each, generated (nothing large is committed): the inputs that
 * made pattern matching or HTML parsing superlinear, and the limits that bound them. Each body
 * is one shape repeated up to the size, so the same kind always gives the same bytes.
 */

export const HOSTILE_KINDS = [
  'quote-arrows-line',
  'quote-arrows-lines',
  'attribution-at-lines',
  'attribution-fragments',
  'decoration-runs',
  'header-keys',
  'long-line',
  'whitespace-run',
  'html-nested-div',
  'html-nested-blockquote',
  'html-unclosed-raw-text',
  'html-long-attributes',
  'html-unclosed-br',
  'multipart-no-boundary',
] as const;
export type HostileKind = (typeof HOSTILE_KINDS)[number];

/** What each mail is made of (for the benchmark's report). */
export const HOSTILE_SHAPES: Readonly<Record<HostileKind, string>> = {
  'quote-arrows-line': 'lines of 300,000 `>` ending in `<<x`',
  'quote-arrows-lines': 'lines of 3,000 `>` and `<<x`',
  'attribution-at-lines': 'lines of `a@a@…a@(:` (482 characters)',
  'attribution-fragments': 'lines of repeated `On 1.2.2026 12:30 a@b.example wrote` ending in `:`',
  'decoration-runs': 'lines of `- - -…x`, `----…x` and spaces before `>`',
  'header-keys': 'From/To/Date lines with blank lines between them',
  'long-line': 'one line of words, no line break',
  'whitespace-run': 'a run of spaces and tabs, then a word',
  'html-nested-div': 'text/html, 200,000 unclosed `<div>`',
  'html-nested-blockquote': 'text/html, 40,000 nested `<blockquote type="cite">`, then an Outlook reply header',
  'html-unclosed-raw-text': 'text/html, 130,000 `<style/>` (no close tag), then an Outlook reply header',
  'html-long-attributes': 'text/html, tags with 3,600 characters of `class=quote` attributes',
  'html-unclosed-br': 'text/html, 350,000 `<br` without `>`',
  'multipart-no-boundary': 'multipart/alternative without a boundary, a body of Content-Type and `--x` lines',
};

export const HOSTILE_TARGET_BYTES = 1024 * 1024;

const CRLF = '\r\n';

function head(kind: HostileKind, contentType: string): string {
  return [
    'From: Mallory <mallory@attacker.example>',
    'To: Example Support <support@example.com>',
    `Subject: Hostile ${kind}`,
    'Date: Tue, 03 Nov 2026 09:15:00 +0100',
    `Message-ID: <${kind}@attacker.example>`,
    'MIME-Version: 1.0',
    `Content-Type: ${contentType}`,
    'Content-Transfer-Encoding: 8bit',
    '',
    '',
  ].join(CRLF);
}

/** `unit` repeated until `prefix + … + suffix` reaches the target size. */
function fill(prefix: string, unit: string, suffix = ''): string {
  const room = Math.max(0, HOSTILE_TARGET_BYTES - prefix.length - suffix.length);
  return prefix + unit.repeat(Math.floor(room / unit.length)) + suffix;
}

function lines(...units: string[]): string {
  return units.join(CRLF) + CRLF;
}

function body(kind: HostileKind): { contentType: string; text: string } {
  const plain = 'text/plain; charset=utf-8';
  const html = 'text/html; charset=utf-8';
  switch (kind) {
    case 'quote-arrows-line':
      return { contentType: plain, text: fill(`Hello,${CRLF}`, lines(`${'>'.repeat(300_000)}<<x`), `${'>'.repeat(40_000)}<<x${CRLF}`) };
    case 'quote-arrows-lines':
      return { contentType: plain, text: fill(`Hello,${CRLF}`, lines(`${'>'.repeat(3000)}<<x`, `> ${'>'.repeat(1000)}<<`)) };
    case 'attribution-at-lines':
      return { contentType: plain, text: fill(`Hello,${CRLF}`, lines(`${'a@'.repeat(240)}(:`)) };
    case 'attribution-fragments':
      return { contentType: plain, text: fill(`Hello,${CRLF}`, lines(`${'On 1.2.2026 12:30 a@b.example wrote '.repeat(13)}:`, '> x')) };
    case 'decoration-runs':
      return {
        contentType: plain,
        text: fill(`Hello,${CRLF}`, lines(`${'- '.repeat(240)}x`, `${'-'.repeat(480)}x`, `a${' '.repeat(480)}b>`, `http://x${' '.repeat(480)}y`)),
      };
    case 'header-keys':
      return { contentType: plain, text: fill(`Hello,${CRLF}`, lines('From: a@b.example', '', 'To: c@d.example', '', 'Date: 1.2.2026 12:30', '', 'Subject:')) };
    case 'long-line':
      return { contentType: plain, text: fill('Hello, ', 'the printer on the second floor stopped again ', CRLF) };
    case 'whitespace-run':
      return { contentType: plain, text: fill('Hello,', ' \t', `x${CRLF}`) };
    case 'html-nested-div':
      return { contentType: html, text: fill('<html><body><p>Hello</p>', '<div>', 'x</body></html>') };
    case 'html-nested-blockquote':
      return { contentType: html, text: fill('<html><body><p>Hello</p>', '<blockquote type="cite">', '<div id="divRplyFwdMsg">x</div></body></html>') };
    case 'html-unclosed-raw-text':
      return { contentType: html, text: fill('<html><body><p>Hello</p>', '<style/>', '<div id="divRplyFwdMsg">x</div></body></html>') };
    case 'html-long-attributes':
      return { contentType: html, text: fill('<html><body><p>Hello</p>', `<div class="${'class=quote '.repeat(300)}">x</div>\n`, '</body></html>') };
    case 'html-unclosed-br':
      return { contentType: html, text: fill('<html><body><p>Hello</p>', '<br', '</body></html>') };
    case 'multipart-no-boundary':
      return { contentType: 'multipart/alternative', text: fill(`Hello,${CRLF}`, lines('Content-Type: multipart/mixed;', '--x', 'x=y;')) };
  }
}

/** One hostile mail as raw MIME bytes. */
export function generateHostileMail(kind: HostileKind): Buffer {
  const { contentType, text } = body(kind);
  return Buffer.from(head(kind, contentType) + text, 'utf8');
}
