import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { MailparserMimeParser } from '../../../functions/adapters/mailparser-mime-parser.ts';
import { boundHtmlDepth } from '../../../functions/adapters/mime/html-depth.ts';
import { htmlReplyOf } from '../../../functions/adapters/mime/html-quote.ts';
import { htmlToText } from '../../../functions/adapters/mime/html-to-text.ts';
import { loadSanitizeHtml } from '../../../functions/adapters/mime/sanitize-html-lib.ts';
import { DEFAULT_PARSE_LIMITS } from '../../../functions/core/model/parse-limits.ts';
import { growth, LINEAR_BOUND } from '../../support/growth.ts';

beforeAll(async () => {
  await loadSanitizeHtml();
});

// Markup that nests without end, never closes, or repeats what the quote scan looks for.
const UNITS = [
  '<div>', '<blockquote type="cite">', '<blockquote>', '<span><b>', '<style/>', '<title/>', '<div/>', '<p>', '<li><dd>', '<table><tr><td>',
  '<br', '<a', '<<', '<!--', '<style>', '</div>', '</b>', '<div class="gmail_quote">', '<div class="class=quote class=quote">',
  '<hr>', 'x ', '&nbsp;', '<svg><path/>', '<td>', '<x y="', '>',
];
const TAILS = ['', '<div id="divRplyFwdMsg">x</div>', '<hr>From: a@b.example', '<blockquote>q</blockquote>', '</div></div>', '</style>x'];

const markup = fc.record({
  unit: fc.array(fc.constantFrom(...UNITS), { minLength: 1, maxLength: 3 }).map((units) => units.join('')),
  tail: fc.constantFrom(...TAILS),
});
const html = (m: { unit: string; tail: string }, scale: number): string => `<html><body><p>Hello</p>${m.unit.repeat(scale)}${m.tail}</body></html>`;

/** What the MIME adapter does with an HTML body: bound its depth, cut the quote, convert to text. */
function readHtml(input: string): void {
  const bounded = boundHtmlDepth(input, DEFAULT_PARSE_LIMITS.maxHtmlDepth).html;
  htmlReplyOf(bounded);
  htmlToText(bounded);
}

describe('HTML handling on pathological input grows linearly', () => {
  it('finds the quadratic nesting of the HTML parser when the depth is not bounded (the check can fail)', async () => {
    // Act: a busy machine can slow the small input more than the large one; the highest of three
    // measurements is the one to compare, as the linear checks keep the lowest.
    let highest = 0;
    for (let attempt = 0; attempt < 3 && highest <= LINEAR_BOUND; attempt++) {
      const measured = await growth((scale) => html({ unit: '<div>', tail: '' }, scale), (input) => htmlToText(input), 10_000, { rounds: 2, attempts: 1 });
      highest = Math.max(highest, measured.ratio);
    }

    // Assert
    expect(highest).toBeGreaterThan(LINEAR_BOUND);
  });

  it('from 2,000 to 8,000 repetitions of hostile markup', async () => {
    await fc.assert(
      fc.asyncProperty(markup, async (m) => {
        const measured = await growth((scale) => html(m, scale), readHtml, 2000);
        expect(measured.ratio, JSON.stringify({ ...m, ...measured })).toBeLessThan(LINEAR_BOUND);
      }),
      { numRuns: 25 },
    );
  });

  it('through the whole parser, HTML and text bodies alike', async () => {
    const parser = new MailparserMimeParser();
    const mail = (contentType: string, body: string) => `From: a@b.example\r\nSubject: x\r\nContent-Type: ${contentType}\r\n\r\n${body}`;
    const body = fc.oneof(
      markup.map((m) => (scale: number) => mail('text/html', html(m, scale))),
      fc.constantFrom('a@', '>', '- ', ' ', 'On 12:30 a@b.example wrote ').map((unit) => (scale: number) => mail('text/plain', `Hi\n${unit.repeat(scale)}(:\n`)),
      fc.constantFrom('Content-Type: multipart/mixed;\r\n', '--x\r\n', 'x\r\n').map((unit) => (scale: number) => mail('multipart/alternative', unit.repeat(scale / 4))),
    );
    await fc.assert(
      fc.asyncProperty(body, async (make) => {
        const measured = await growth(make, (raw) => parser.parse(Buffer.from(raw), {}, { html: 'omit' }), 4000, { rounds: 3 });
        expect(measured.ratio, JSON.stringify({ sample: make(2).slice(0, 200), ...measured })).toBeLessThan(LINEAR_BOUND);
      }),
      { numRuns: 15 },
    );
  });
});
