import { beforeAll, describe, expect, it } from 'vitest';
import { loadSanitizeHtml } from '../../../../functions/adapters/mime/sanitize-html-lib.ts';
import { sanitizeMailHtml } from '../../../../functions/adapters/mime/sanitize-html.ts';
import { sanitizeAgentHtml, sanitizeTemplateHtml } from '../../../../functions/adapters/outbound/sanitize-agent-html.ts';
import { DEFAULT_TEMPLATE } from '../../../../functions/core/outbound/compose/render-template.ts';

beforeAll(async () => {
  await loadSanitizeHtml();
});

const ACTIVE = [
  '<script>alert(1)</script>',
  '<img src="x" onerror="alert(2)">',
  '<a href="javascript:alert(3)">x</a>',
  '<iframe src="https://evil.example"></iframe>',
  '<form action="https://evil.example"><input name="pw"></form>',
  '<svg onload="alert(4)"></svg>',
  '<style>body{background:url(https://t.example/p)}</style>',
  '<p style="position:fixed;top:0;background:url(https://t.example/p)">over</p>',
  '<object data="x.swf"></object>',
  '<embed src="x.swf">',
].join('');

describe('sanitizeTemplateHtml: a mail layout', () => {
  it('keeps the document structure, tables, attributes and inline styles a layout needs', () => {
    // Arrange
    const layout =
      '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=https://evil.example">' +
      '<title>{{subject}}</title></head><body style="margin:0"><table role="presentation" width="600" cellpadding="0" border="0">' +
      '<tr><td align="center" style="padding:24px;font-family:Arial">{{body}}</td></tr></table></body></html>';
    // Act
    const html = sanitizeTemplateHtml(layout);
    // Assert
    expect(html).toBe(
      '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8" /><meta content="0;url=https://evil.example" /><title>{{subject}}</title></head>' +
        '<body style="margin:0"><table role="presentation" width="600" cellpadding="0" border="0">' +
        '<tr><td align="center" style="padding:24px;font-family:Arial">{{body}}</td></tr></table></body></html>',
    );
  });

  it('removes scripts, handlers, script URLs, frames, forms, style blocks, fetching CSS and position', () => {
    const html = sanitizeTemplateHtml(`<html><body>{{body}}${ACTIVE}</body></html>`);
    expect(html).toBe('<html><body>{{body}}<img /><a>x</a><p>over</p></body></html>');
  });

  it('sanitizes to itself, the built-in layout included (a stored template is sanitized again on every read)', () => {
    const once = sanitizeTemplateHtml(DEFAULT_TEMPLATE);
    expect(sanitizeTemplateHtml(once)).toBe(once);
    expect(once).toContain('<title>{{subject}}</title>');
    expect(once).toContain('{{body}}');
    expect(once).toContain('{{signature}}');
  });
});

describe('inline CSS', () => {
  it.each([
    ['expression() split by a comment', 'width:expr/**/ession(alert(1))'],
    ['any comment inside a value', 'font-family:Arial/* x */, sans-serif'],
    ['expression()', 'width:expression(alert(1))'],
    ['url() with javascript:', 'background-color:url(javascript:alert(1))'],
    ['url() with data:', 'background-color:url(data:text/html;base64,PHNjcmlwdD4=)'],
    ['behavior', 'behavior:url(x.htc)'],
    ['-moz-binding', '-moz-binding:url(https://evil.example/x.xml#x)'],
    ['an escaped name', 'width:e\\xpression(alert(1))'],
  ])('drops a declaration with %s and keeps the others, sent and shown alike', (_, declaration) => {
    // Arrange
    const html = `<p style="color:red;${declaration};margin:0">x</p>`;
    // Act
    const sent = sanitizeAgentHtml(html);
    const shown = sanitizeMailHtml(html);
    // Assert
    expect(sent).toBe('<p style="color:red;margin:0">x</p>');
    expect(shown).toBe(sent);
  });
});

describe('one base policy: what is sent and what agents see differ only where written down', () => {
  it("removes the same active content from a reply body and from a customer's mail", () => {
    expect(sanitizeAgentHtml(ACTIVE)).toBe('<img /><a>x</a><p>over</p>');
    expect(sanitizeMailHtml(ACTIVE)).toBe('<img /><a target="_blank" rel="noopener noreferrer nofollow">x</a><p>over</p>');
  });

  it('sends an absolute remote image (a logo), holds it back from agents, and loads no relative or protocol-relative source in either', () => {
    // Arrange
    const images = '<img src="https://acme.example/logo.png" alt="ACME"><img src="/api/x"><img src="//t.example/p.gif"><img src="cid:logo@acme">';
    // Act
    const sent = sanitizeAgentHtml(images);
    const shown = sanitizeMailHtml(images);
    // Assert
    expect(sent).toBe('<img src="https://acme.example/logo.png" alt="ACME" /><img /><img /><img src="cid:logo@acme" />');
    expect(shown).toBe(
      '<img alt="ACME" data-remote-src="https://acme.example/logo.png" /><img /><img data-remote-src="//t.example/p.gif" /><img src="cid:logo@acme" />',
    );
  });
});
