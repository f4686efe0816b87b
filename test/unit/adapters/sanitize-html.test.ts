import { beforeAll, describe, expect, it } from 'vitest';
import { sanitizeMailHtml } from '../../../functions/adapters/mime/sanitize-html.ts';
import { loadSanitizeHtml } from '../../../functions/adapters/mime/sanitize-html-lib.ts';

beforeAll(async () => {
  await loadSanitizeHtml();
});

describe('sanitizeMailHtml: images', () => {
  it.each([
    ['/api/conversations/42/close', 'an absolute path on the agent app’s origin'],
    ['../../logout', 'a relative path'],
    ['data:text/html;base64,PHNjcmlwdD4=', 'a data URL that is no image'],
    ['javascript:alert(1)', 'a script URL'],
  ])('drops the src %s (%s)', (src) => {
    const html = sanitizeMailHtml(`<p><img src="${src}" alt="x"></p>`);
    expect(html).toBe('<p><img alt="x" /></p>');
  });

  it('keeps cid: and inline image data, and holds remote images back in data-remote-src', () => {
    const html = sanitizeMailHtml(
      '<img src="cid:logo@x"><img src="data:image/png;base64,iVBORw0KGgo="><img src="https://t.example/p.gif"><img src="//t.example/q.gif">',
    );
    expect(html).toBe(
      '<img src="cid:logo@x" /><img src="data:image/png;base64,iVBORw0KGgo=" /><img data-remote-src="https://t.example/p.gif" /><img data-remote-src="//t.example/q.gif" />',
    );
  });

  it('never keeps a data-remote-src the mail brought itself', () => {
    expect(sanitizeMailHtml('<img data-remote-src="/api/x" src="cid:a@b">')).toBe('<img src="cid:a@b" />');
  });
});
