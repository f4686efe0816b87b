import type sanitizeHtml from 'sanitize-html';
import { sanitizeHtmlLib } from './sanitize-html-lib.ts';

/**
 * Sanitizing policy for mail HTML shown to agents.
 *
 * - No active content: script, style, iframe, object, embed, form and input elements,
 *   event-handler attributes and `javascript:` / `data:` links are removed.
 * - No remote loading: a remote image (`http:`, `https:`, `//host`) loses its `src`, which moves
 *   to `data-remote-src`, so opening a mail does not confirm the address to a tracker; an agent
 *   app may offer "load remote images" by copying it back. `cid:` images (the mail's own inline
 *   attachments) and `data:image/...` stay.
 * - Inline CSS keeps a list of layout and typography properties whose values contain no
 *   function that can fetch (`url(`, `image-set(`, `expression(`); `position` is dropped so a
 *   mail cannot overlay the agent's UI. `<style>` blocks are removed with their content.
 * - Links open in a new browsing context without referrer.
 */
const SAFE_CSS_VALUE = /^(?![\s\S]*(?:url|image|expression|image-set|element|var|attr|-moz-binding|behavior)\s*\()[^\\<>@]*$/i;

const CSS_PROPERTIES = [
  'color', 'background-color', 'font', 'font-family', 'font-size', 'font-style', 'font-weight',
  'font-variant', 'text-align', 'text-decoration', 'text-indent', 'text-transform', 'line-height',
  'letter-spacing', 'word-spacing', 'white-space', 'vertical-align', 'direction',
  'margin', 'margin-top', 'margin-right', 'margin-bottom', 'margin-left',
  'padding', 'padding-top', 'padding-right', 'padding-bottom', 'padding-left',
  'border', 'border-top', 'border-right', 'border-bottom', 'border-left', 'border-color',
  'border-style', 'border-width', 'border-collapse', 'border-spacing', 'border-radius',
  'width', 'height', 'max-width', 'min-width', 'max-height', 'min-height',
  'display', 'float', 'clear', 'list-style-type', 'table-layout', 'overflow-wrap', 'word-break',
] as const;

const TABLE_ATTRIBUTES = ['align', 'valign', 'width', 'height', 'colspan', 'rowspan', 'bgcolor', 'border', 'cellpadding', 'cellspacing'];

const REMOTE_URL = /^\s*(?:https?:)?\/\//i;

const options = (lib: typeof sanitizeHtml): sanitizeHtml.IOptions => ({
  allowedTags: [...lib.defaults.allowedTags, 'img', 'font', 'center', 'strike', 'del', 'ins', 'big', 'tt'],
  allowedAttributes: {
    '*': ['style', 'dir', 'lang', 'title', 'align'],
    a: ['href', 'name', 'target', 'rel'],
    img: ['src', 'alt', 'width', 'height', 'data-remote-src'],
    font: ['color', 'face', 'size'],
    table: TABLE_ATTRIBUTES,
    td: TABLE_ATTRIBUTES,
    th: TABLE_ATTRIBUTES,
    tr: TABLE_ATTRIBUTES,
    col: ['width', 'span'],
    colgroup: ['width', 'span'],
    ol: ['start', 'type'],
    blockquote: ['type', 'cite'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['cid', 'data'] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: false,
  allowedStyles: { '*': Object.fromEntries(CSS_PROPERTIES.map((property) => [property, [SAFE_CSS_VALUE]])) },
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head', 'template', 'xmp'],
  transformTags: {
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer nofollow' } }),
    img: (tagName, attribs) => {
      const { src, 'data-remote-src': _ignored, ...rest } = attribs;
      if (src !== undefined && REMOTE_URL.test(src)) return { tagName, attribs: { ...rest, 'data-remote-src': src.trim() } };
      // Only inline images stay loadable: a relative src would make the agent's own app fetch
      // one of its URLs when the mail is opened (request forgery).
      const inline = src !== undefined && (/^\s*cid:/i.test(src) || /^\s*data:image\/(?:png|gif|jpe?g|webp|bmp);/i.test(src));
      return { tagName, attribs: inline ? { ...rest, src: src.trim() } : rest };
    },
  },
});

let OPTIONS: sanitizeHtml.IOptions | undefined;

/** Sanitizes mail HTML per the policy above. Never throws on odd markup. Needs `loadSanitizeHtml()` first. */
export function sanitizeMailHtml(html: string): string {
  const lib = sanitizeHtmlLib();
  OPTIONS ??= options(lib);
  return lib(html, OPTIONS);
}
