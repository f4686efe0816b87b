import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { htmlReplyOf } from '../../../functions/adapters/mime/html-quote.ts';
import { htmlToText } from '../../../functions/adapters/mime/html-to-text.ts';
import { loadSanitizeHtml } from '../../../functions/adapters/mime/sanitize-html-lib.ts';
import { extractReply, MAX_REPLY_SCAN_CHARS } from '../../../functions/core/inbound/extract-reply.ts';
import { headerBlockEnd, opensWithHeaderKey, splitGluedMarker } from '../../../functions/core/inbound/reply-markers.ts';
import { matchForm } from '../../../functions/core/inbound/reply-match-form.ts';

interface WorldCase {
  readonly name: string;
  readonly kind?: 'html';
  readonly input: string;
  readonly expected: string;
}

const cases = JSON.parse(readFileSync(new URL('../../fixtures/reply/postroom-world/cases.json', import.meta.url), 'utf8')) as WorldCase[];
const squeeze = (text: string): string => text.replace(/\s+/g, ' ').trim();

describe('extractReply on the postroom-world suite (footers, sign-offs, attributions and header blocks of many languages)', () => {
  beforeAll(async () => {
    await loadSanitizeHtml();
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: cuts no new text and keeps no history', (_, c) => {
    // Arrange
    const text = c.kind === 'html' ? htmlToText(c.input) : c.input;
    const htmlReply = c.kind === 'html' ? htmlReplyOf(c.input) : null;

    // Act
    const { reply } = extractReply(text, htmlReply);

    // Assert: every line of the new text is in the reply, and nothing else is
    const expectedText = c.kind === 'html' ? htmlToText(c.expected) : c.expected;
    const missing = expectedText.split('\n').filter((line) => !squeeze(reply).includes(squeeze(line)));
    expect(missing).toEqual([]);
    expect(squeeze(reply)).toBe(squeeze(expectedText));
  });
});

describe('extractReply with a footer at the start', () => {
  it('cuts nothing after it and moves it out of the reply', () => {
    // Arrange
    const text = 'Sent from my iPhone\n\nHi, the order is wrong.\n\nIt should be two boxes, not one.';

    // Act
    const result = extractReply(text);

    // Assert
    expect(result).toMatchObject({ reply: 'Hi, the order is wrong.\n\nIt should be two boxes, not one.', quoted: '', rule: 'none' });
    expect([result.signature, result.signatureRule]).toEqual(['Sent from my iPhone', 'mobile-footer']);
  });

  it('still cuts the unprefixed original below a footer that follows the reply', () => {
    // Act
    const result = extractReply('Danke.\n\nVon meinem iPhone gesendet\n\nAlte Nachricht');

    // Assert
    expect(result).toMatchObject({ reply: 'Danke.', quoted: 'Alte Nachricht', rule: 'app-footer' });
  });

  it.each([
    ['a "sent from" line that names no device', 'Hi,\n\nSent from my office\n\nthe parcel is missing.'],
    ['a "gesendet von" line that names a place in lower case', 'Hallo,\n\ngesendet von unterwegs\n\ndie Lieferung fehlt.'],
  ])('keeps the text after %s', (_, text) => {
    // Act
    const result = extractReply(text);

    // Assert
    expect(result).toMatchObject({ reply: text, quoted: '', rule: 'none', signature: null });
  });

  it('lets a header block below a lone footer cut: the footer was all the sender wrote', () => {
    // Act
    const result = extractReply('Sent from my iPhone\n\nFrom: Support <support@example.com>\nDate: 12.03.2024 10:15\n\nold');

    // Assert
    expect(result).toMatchObject({ reply: '', rule: 'header-block', signature: 'Sent from my iPhone' });
  });
});

describe('extractReply when signature rules disagree', () => {
  it('passes over a delimiter when a sentence lies between it and a later sign-off', () => {
    // Arrange
    const text = 'Hello,\nthe parts:\n--\nA-1\nB-2\n--\nPlease ship them to the Berlin office this week.\n\nBest regards,\nAnna Berg\nExample Ltd';

    // Act
    const result = extractReply(text);

    // Assert
    expect(result.reply).toBe('Hello,\nthe parts:\n--\nA-1\nB-2\n--\nPlease ship them to the Berlin office this week.');
    expect([result.signature, result.signatureRule]).toEqual(['Best regards,\nAnna Berg\nExample Ltd', 'sign-off']);
  });

  it('passes over a delimiter or separator that a question follows', () => {
    // Arrange
    const delimited = 'The unit is back.\n--\nOne more thing: is the warranty still valid?';
    const separated = 'We ordered:\n____\n2x Adapter\n\nWhen will it ship?';

    // Act
    const results = [extractReply(delimited), extractReply(separated)];

    // Assert
    expect(results.map((r) => [r.reply, r.signature])).toEqual([
      [delimited, null],
      [separated, null],
    ]);
  });

  it('keeps the delimiter when the lines below it are a signature with an app footer', () => {
    // Act
    const result = extractReply('Thanks!\n\n-- \nJohn Smith\nACME\n\nSent from my iPhone');

    // Assert
    expect(result).toMatchObject({ reply: 'Thanks!', signature: 'John Smith\nACME\n\nSent from my iPhone', signatureRule: 'signature-delimiter' });
  });

  it('does not start a signature at a rule that closes the mail', () => {
    // Act
    const result = extractReply('Done.\n\nJohn Smith\n____');

    // Assert
    expect(result).toMatchObject({ reply: 'Done.\n\nJohn Smith\n____', signature: null });
  });
});

describe('extractReply sign-offs', () => {
  it.each([
    ['a closing with the name on its line and nothing below', 'Hello,\n\nthe parcel arrived.\n\nThanks, Bob', null],
    ['a closing with the name on its line and the company below', 'Hello,\n\nthe parcel arrived.\n\nThanks, Bob\nExample Ltd', 'Thanks, Bob\nExample Ltd'],
    ['"Thanks, I" that goes on as a sentence', 'Okay.\nThanks, I\nwill call you tomorrow', null],
    ['a closing whose lines below end in a question', 'Hi,\nall good.\n\nVielen Dank\nKönnen Sie mich anrufen?\nTel. 0301234', null],
  ])('splits %s as expected', (_, text, signature) => {
    // Act
    const result = extractReply(text);

    // Assert
    expect(result.signature).toBe(signature);
  });
});

describe('matchForm', () => {
  it.each([
    ['full-width rules, colon and letters', '－－－＿＿＝＝ Ｆｒｏｍ：', '---__== From:'],
    ['direction marks, Arabic diacritics and Arabic-Indic digits', '\u200fفي ١٢\u200f/٠٣ أُرسلت', 'في 12/03 أرسلت'],
    ['runs of dash-like rules, not a single dash in a word', '———— サーバー ━━', '---- サーバー --'],
  ])('reads %s in their ASCII form', (_, line, form) => {
    // Act
    const result = matchForm(line);

    // Assert
    expect(result).toBe(form);
  });

  it('returns an ASCII line as it is', () => {
    // Arrange
    const line = 'On Tue, 12 Mar 2024 Bob <bob@example.com> wrote:';

    // Act
    const result = matchForm(line);

    // Assert
    expect(result).toBe(line);
  });
});

describe('reply markers', () => {
  it.each([
    ['Danke!-------- Ursprüngliche Nachricht --------', ['Danke!', '-------- Ursprüngliche Nachricht --------']],
    ['Thanks. -----Original Message-----', ['Thanks.', '-----Original Message-----']],
    ['-----Original Message-----', null],
    ['The original message -- sadly -- was lost.', null],
    ['We kept the --original message-- as it was', null],
    ['Thanks.--Original Message--', null],
  ])('splits %j at a glued marker only between rules', (line, split) => {
    // Act
    const result = splitGluedMarker(line);

    // Assert
    expect(result).toEqual(split);
  });

  it.each([
    ['blank lines between the keys', ['From: a <a@example.org>', '', 'Sent: 12.03.2024 10:15', '', 'To: b@example.org', '', '', 'Body'], 5],
    ['a subject first with from and date', ['Temat: Re: x', 'Nadawca: a@example.org', 'Data: 12.03.2024 10:15', '', 'Body'], 3],
    ['a key followed by prose after a blank line', ['From: a@example.org', '', 'Hello there'], -1],
    ['a subject with only one other role', ['Subject: printer', 'From: a@example.org'], -1],
    ['three blank lines between keys', ['From: a@example.org', '', '', '', 'Date: 12.03.2024'], -1],
  ])('finds the end of a header block with %s', (_, lines, end) => {
    // Act
    const result = headerBlockEnd(lines, 0);

    // Assert
    expect(result).toBe(end);
  });

  it.each([
    ['Nadawca: Obsługa <a@example.org>', true],
    ['  من: فريق الدعم', true],
    ['Feladó: Ügyfélszolgálat', true],
    ['Temat: Zamówienie', false],
    ['Hello: there', false],
  ])('says whether %j opens with a header key', (text, opens) => {
    // Act
    const result = opensWithHeaderKey(text);

    // Assert
    expect(result).toBe(opens);
  });
});

describe('extractReply new recognizers on hostile input', () => {
  it.each([
    ['a long run of dashes before a history phrase', `x${'-'.repeat(400_000)}Original Message`],
    ['history phrases between rules over and over', 'a-- original message --b '.repeat(20_000)],
    ['full-width and em dash runs', `${'－—'.repeat(200_000)}\n${'ー'.repeat(200_000)}`],
    ['closings with names on every line', 'Thanks, Bob Smith\n'.repeat(50_000)],
    ['header keys separated by blank lines', 'From: a@example.org\n\n\nTo: b@example.org\n\n'.repeat(40_000)],
  ])('stays linear on %s', (_, text) => {
    // Act
    const started = performance.now();
    extractReply(text);

    // Assert
    expect(performance.now() - started).toBeLessThan(1500);
  });
});

describe('extractReply on a body longer than the scan limit', () => {
  it('splits it when a line break falls exactly on the limit', () => {
    // Arrange: the old cut kept that line break in the head, which stayed over the limit and recursed without end
    const text = `${'x'.repeat(MAX_REPLY_SCAN_CHARS)}\nold log line\n`;

    // Act
    const result = extractReply(text);

    // Assert
    expect(result.reply).toBe('x'.repeat(MAX_REPLY_SCAN_CHARS));
    expect(result.quoted).toBe('old log line');
  });

  it('keeps the rest in time when it is a long run of spaces followed by text', () => {
    // Arrange
    const text = `${'x'.repeat(MAX_REPLY_SCAN_CHARS)}\n${' '.repeat(200_000)}end`;

    // Act
    const started = performance.now();
    const result = extractReply(text);

    // Assert
    expect(performance.now() - started).toBeLessThan(1500);
    expect(result.quoted.endsWith('end')).toBe(true);
  });
});
