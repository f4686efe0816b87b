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
  '<div>',
  '<blockquote type="cite">',
  '<blockquote>',
  '<span><b>',
  '<style/>',
  '<title/>',
  '<div/>',
  '<p>',
  '<li><dd>',
  '<table><tr><td>',
  '<br',
  '<a',
  '<<',
  '<!--',
  '<style>',
  '</div>',
  '</b>',
  '<div class="gmail_quote">',
  '<div class="class=quote class=quote">',
  '<hr>',
  'x ',
  '&nbsp;',
  '<svg><path/>',
  '<td>',
  '<x y="',
  '>',
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
  // The HTML parser's unbounded nesting is no longer the example: on Node 24 it grows 6–12 times
  // when 8,000 or 10,000 levels become four times as many, too close to the bound (36–59 times on
  // Node 20), though 128,000 levels still take about 2 s, so the depth bound stays.
  it('finds quadratic work (the check can fail)', async () => {
    // Arrange: every character compared with each one before it
    const quadratic = (input: string): number => {
      let same = 0;
      for (let i = 0; i < input.length; i++) for (let j = 0; j < i; j++) if (input.charCodeAt(i) === input.charCodeAt(j)) same++;
      return same;
    };

    // Act
    const measured = await growth((scale) => 'x'.repeat(scale), quadratic, 2000, { rounds: 2, attempts: 1 });

    // Assert
    expect(measured.ratio).toBeGreaterThan(LINEAR_BOUND);
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
      fc
        .constantFrom('a@', '>', '- ', ' ', 'On 12:30 a@b.example wrote ')
        .map((unit) => (scale: number) => mail('text/plain', `Hi\n${unit.repeat(scale)}(:\n`)),
      fc
        .constantFrom('Content-Type: multipart/mixed;\r\n', '--x\r\n', 'x\r\n')
        .map((unit) => (scale: number) => mail('multipart/alternative', unit.repeat(scale / 4))),
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
