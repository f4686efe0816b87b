import { beforeAll, describe, expect, it } from 'vitest';
import { MailparserMimeParser } from '../../../functions/adapters/mailparser-mime-parser.ts';
import { htmlReplyOf } from '../../../functions/adapters/mime/html-quote.ts';
import { loadSanitizeHtml } from '../../../functions/adapters/mime/sanitize-html-lib.ts';

// The parser loads sanitize-html before it reads HTML; called directly, the test does.
beforeAll(async () => {
  await loadSanitizeHtml();
});

describe('htmlReplyOf', () => {
  it.each([
    [
      'gmail_quote',
      '<div>New text</div><div class="gmail_quote"><div class="gmail_attr">On Tue, Bob wrote:</div><blockquote class="gmail_quote">Old text</blockquote></div>',
    ],
    ['blockquote-cite', '<div>New text</div><blockquote type="cite"><div>Old text</div></blockquote>'],
    [
      'moz-cite-prefix+blockquote-cite',
      '<p>New text</p><div class="moz-cite-prefix">On 12.03.24, Bob wrote:</div><blockquote type="cite">Old text</blockquote>',
    ],
    ['yahoo_quoted', '<div>New text</div><div id="yahoo_quoted_1" class="yahoo_quoted"><div>Old text</div></div>'],
    ['divRplyFwdMsg', '<div>New text</div><div id="divRplyFwdMsg"><b>From:</b> Bob</div><div>Old text</div>'],
    [
      'outlook-border-top',
      '<p>New text</p><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm"><p><b>From:</b> Bob</p></div><p>Old text</p>',
    ],
    ['hr', '<div>New text<hr>From: Bob &lt;bob@example.com&gt;<br>Sent: Tuesday<br>Old text</div>'],
    ['blockquote', '<div><div>New text</div><blockquote>Old text</blockquote></div>'],
  ])('cuts the quote that %s marks', (marker, html) => {
    // Act
    const result = htmlReplyOf(html);

    // Assert
    expect(result?.marker).toBe(marker);
    expect(result?.text).toContain('New text');
    expect(result?.text).not.toContain('Old text');
  });

  it.each([
    ['gmail_quote', '<DIV>New text</DIV><DIV CLASS="GMAIL_QUOTE">On Tue, Bob wrote:<BR>Old text</DIV>'],
    ['blockquote-cite', '<P>New text</P><BLOCKQUOTE TYPE="CITE">Old text</BLOCKQUOTE>'],
    ['divRplyFwdMsg', '<P>New text</P><DIV ID="DIVRPLYFWDMSG"><B>From:</B> Bob</DIV><P>Old text</P>'],
    ['hr', '<DIV>New text<HR>From: Bob &lt;bob@example.com&gt;<BR>Sent: Tuesday<BR>Old text</DIV>'],
  ])('finds the %s markup written in capitals, as old clients write tags', (marker, html) => {
    // Act
    const result = htmlReplyOf(html);

    // Assert
    expect(result?.marker).toBe(marker);
    expect(result?.text).toContain('New text');
    expect(result?.text).not.toContain('Old text');
  });

  it('returns null for HTML without quote markup, and keeps an <hr> that no header block follows', () => {
    // Arrange
    const plain = '<p>Hello</p><p>my order has not arrived.</p>';
    const ruled = '<p>Hello</p><hr><p>ACME Ltd</p>';

    // Act
    const results = [htmlReplyOf(plain), htmlReplyOf(ruled)];

    // Assert
    expect(results).toEqual([null, null]);
  });

  it('does not cut at a reply header with nothing above it (a forward)', () => {
    // Arrange
    const html = '<div id="divRplyFwdMsg"><b>From:</b> Bob<br><b>Subject:</b> FW: offer</div><div>Forwarded text</div>';

    // Act
    const result = htmlReplyOf(html);

    // Assert
    expect(result).toBeNull();
  });

  it.each([
    ['unclosed quotes in tags', `<div>New</div>${'<a "'.repeat(50_000)}`],
    ['deeply nested unmarked elements', `<div>New</div>${'<div>'.repeat(50_000)}<div class="gmail_quote">old</div>`],
    ['many reply headers with no text', '<div id="divRplyFwdMsg"></div>'.repeat(50_000)],
  ])('stays linear on %s', (_, html) => {
    // Act
    const started = performance.now();
    htmlReplyOf(html);

    // Assert
    expect(performance.now() - started).toBeLessThan(1500);
  });

  it.each([
    ['an unquoted class among others', '<div>New text</div><div id=x class=gmail_quote data-x="1">Old text</div>', 'gmail_quote'],
    ['single quotes and spaces around =', "<div>New text</div><blockquote type = 'cite' >Old text</blockquote>", 'blockquote-cite'],
    ['an id among classes', '<div>New text</div><div class="x" id="x_divRplyFwdMsg">From: Bob</div><div>Old text</div>', 'divRplyFwdMsg'],
  ])('reads the markers from the attributes: %s', (_, html, marker) => {
    // Act
    const result = htmlReplyOf(html);

    // Assert
    expect(result?.marker).toBe(marker);
    expect(result?.text).not.toContain('Old text');
  });

  it('takes a marker only from its attribute: not from another attribute that ends in the same name, nor from a second class', () => {
    // Arrange
    const dataClass = '<div>New text</div><div data-class="gmail_quote">Not a quote</div>';
    const second = '<div>New text</div><div class="note" class="gmail_quote">Not a quote</div>';

    // Act
    const results = [htmlReplyOf(dataClass), htmlReplyOf(second)];

    // Assert
    expect(results).toEqual([null, null]);
  });

  it('sees no text in style, head and title elements, also when one is left unclosed', () => {
    // Arrange: a reply header with only styles above it heads a forward
    const styled = '<head><title>Mail</title></head><body><style>p { color: red }</style><div id="divRplyFwdMsg">From: Bob</div><div>Old</div></body>';
    const unclosed = `<body>${'<style>'.repeat(1000)}<p>New text</p><div id="divRplyFwdMsg">From: Bob</div><div>Old</div></body>`;

    // Act
    const results = [htmlReplyOf(styled), htmlReplyOf(unclosed)];

    // Assert
    expect(results[0]).toBeNull();
    expect(results[1]?.marker).toBe('divRplyFwdMsg');
  });

  it('scans deeply nested hostile markup in linear time', () => {
    // Arrange: 100,000 nested quote holders
    const html = `<div>New</div>${'<blockquote type="cite">'.repeat(100_000)}old${'</blockquote>'.repeat(100_000)}`;

    // Act
    const started = performance.now();
    const result = htmlReplyOf(html);

    // Assert
    expect(performance.now() - started).toBeLessThan(2000);
    expect(result?.text ?? 'New').toContain('New');
  });
});

describe('MailparserMimeParser with HTML quote markup', () => {
  it('sets htmlReply even when it is asked to omit the HTML', async () => {
    // Arrange
    const raw = Buffer.from(
      [
        'From: Customer <c@example.org>',
        'To: support@example.com',
        'Subject: Re: Printer',
        'Content-Type: text/html; charset=utf-8',
        '',
        '<div>Thanks, works now.</div><div class="gmail_quote">On Tue, Support &lt;support@example.com&gt; wrote:<blockquote>Did you restart?</blockquote></div>',
      ].join('\r\n'),
    );

    // Act
    const message = await new MailparserMimeParser().parse(raw, {}, { html: 'omit' });

    // Assert
    expect(message.html).toBeNull();
    expect(message.htmlReply).toEqual({ text: 'Thanks, works now.', marker: 'gmail_quote' });
  });
});
