import { describe, expect, it } from 'vitest';
import { AgentHtmlSanitizer } from '../../../../functions/adapters/outbound/agent-html-sanitizer.ts';
import { ValidationError } from '../../../../functions/core/errors.ts';
import type { OutboundContent } from '../../../../functions/core/model/outbound-mail.ts';
import { MAX_HTML_DEPTH, checkHtmlDepth, htmlDepth } from '../../../../functions/core/outbound/compose/html-depth.ts';
import { renderBodies } from '../../../../functions/core/outbound/compose/render-bodies.ts';
import { DEFAULT_TEMPLATE } from '../../../../functions/core/outbound/compose/render-template.ts';
import type { HtmlSanitizer } from '../../../../functions/core/ports/html.ts';

const nested = (tag: string, depth: number): string => `${`<${tag}>`.repeat(depth)}x${`</${tag}>`.repeat(depth)}`;

describe('htmlDepth', () => {
  it('counts open elements as a parser builds them', () => {
    expect(htmlDepth('plain text')).toBe(0);
    expect(htmlDepth('<div><p>a<b>b</b></p><p>c</p></div>')).toBe(3);
    expect(htmlDepth(nested('div', 12))).toBe(12);
    // Void elements, comments, doctypes and a `<` in text open nothing.
    expect(htmlDepth('<!DOCTYPE html><br><img src="x"><hr><!-- <div><div> --> a < b <wbr>')).toBe(0);
    // An unclosed `<p>`, `<li>`, `<td>` closes the one before it.
    expect(htmlDepth(`<ul>${'<li>item'.repeat(500)}</ul>`)).toBe(2);
    expect(htmlDepth(`<table>${'<tr><td>a<td>b'.repeat(500)}</table>`)).toBe(3);
    expect(htmlDepth('<p>one<p>two<p>three')).toBe(1);
    // The text of script and style is text.
    expect(htmlDepth(`<style>${'<b>'.repeat(500)}</style><p>x</p>`)).toBe(1);
  });

  it('counts `<div/>` as an open div (HTML ignores the slash) but not a self-closed element inside svg', () => {
    expect(htmlDepth('<div/>'.repeat(300), 1_000)).toBe(300);
    expect(htmlDepth(`<svg>${'<path d="M0"/>'.repeat(300)}</svg>`, 1_000)).toBe(1);
  });

  it('refuses HTML nested deeper than the limit, naming the field', () => {
    expect(checkHtmlDepth(nested('b', MAX_HTML_DEPTH), 'html')).toEqual([]);
    const message = `HTML nested more than ${MAX_HTML_DEPTH} elements deep; flatten it`;
    expect(checkHtmlDepth(nested('b', MAX_HTML_DEPTH + 1), 'html')).toEqual([{ path: 'html', message }]);
    expect(checkHtmlDepth(DEFAULT_TEMPLATE, 'template')).toEqual([]);
  });

  it.each([
    ['300,000 nested <b>', `${'<b>'.repeat(300_000)}x`],
    ['a million <', '<'.repeat(1_000_000)],
    ['tags without an end', '<b'.repeat(500_000)],
    ['unclosed comments', '<!--'.repeat(250_000)],
    ['unclosed scripts', '<script>'.repeat(125_000)],
    ['a million end tags', '</b>'.repeat(250_000)],
    ['end tags of elements not open, under a deep stack', `${'<b>'.repeat(MAX_HTML_DEPTH)}${'</i>'.repeat(250_000)}`],
    ['end tags closing a deep stack again and again', `<i>${'<b>'.repeat(MAX_HTML_DEPTH - 1)}</i>`.repeat(1_000)],
  ])('reads %s (1 MB) in linear time', (_, html) => {
    // Act
    const started = performance.now();
    htmlDepth(html);
    const ms = performance.now() - started;
    // Assert: a quadratic scan of a megabyte takes minutes
    expect(ms).toBeLessThan(1_000);
  });
});

describe('renderBodies', () => {
  it('refuses deep HTML in the body, signature or template before the sanitizer sees it', () => {
    // Arrange
    let sanitized = 0;
    const real = new AgentHtmlSanitizer();
    const counting: HtmlSanitizer = {
      fragment: (html) => {
        sanitized++;
        return real.fragment(html);
      },
      document: (html) => {
        sanitized++;
        return real.document(html);
      },
      toText: (html) => real.toText(html),
    };
    const content: OutboundContent = {
      text: null,
      html: '<p>Hello</p>',
      signature: null,
      template: DEFAULT_TEMPLATE,
      textTemplate: null,
      ticketNumber: '0000013',
      agentName: 'Ana',
      channelName: 'ACME',
    };
    const deep = nested('div', MAX_HTML_DEPTH + 1);
    // Act
    const errors = [
      { ...content, html: deep },
      { ...content, signature: { html: deep, text: null } },
      { ...content, template: `{{body}}${deep}` },
    ].map((c) => {
      try {
        renderBodies(c, 'Re: x', counting);
        return null;
      } catch (error) {
        return error;
      }
    });
    // Assert
    expect(errors.map((e) => (e as ValidationError).issues?.[0]?.path)).toEqual(['html', 'signature.html', 'template']);
    expect(errors.every((e) => e instanceof ValidationError)).toBe(true);
    expect(sanitized).toBe(0);
    expect(renderBodies(content, 'Re: x', counting).html).toContain('<p>Hello</p>');
  });
});
