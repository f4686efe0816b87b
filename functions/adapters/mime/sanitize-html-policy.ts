import type sanitizeHtml from 'sanitize-html';

/*
 * The one base policy for HTML in Postroom, which both sanitizers build on:
 * `mime/sanitize-html.ts` (mail shown to agents) and `outbound/sanitize-agent-html.ts` (reply
 * bodies, signatures and templates sent to customers, and shown back in the admin API).
 *
 * Base, shared by both:
 * - No active content: script, style, iframe, object, embed, form, input, textarea and any tag
 *   not listed are removed (script, style and the like with their content); no event-handler
 *   attribute; links only http, https, mailto, tel (no `javascript:`, no protocol-relative `//`).
 * - Images: `cid:` (the mail's own parts) and `data:image/…` of raster types stay; any other
 *   source (a relative path, `data:text/html`, `javascript:`) is dropped, since a relative src
 *   would make the reading app fetch one of its own URLs (request forgery).
 * - Inline CSS keeps layout and typography properties (never `behavior` or `-moz-binding`) whose
 *   values call no function that can fetch or run (`url(` of any scheme, `image-set(`,
 *   `expression(`…) and hold no comment (which could split such a name) or escape; `position` is
 *   never allowed, so no content can overlay the page it is shown in (the agent's app, the
 *   channel's template).
 *
 * The differences, on purpose:
 * | | shown to agents (inbound) | sent to customers (outbound) |
 * |---|---|---|
 * | remote images (`http(s):`) | held back in `data-remote-src`: opening a mail confirms nothing to a tracker | kept: a logo on the company's site |
 * | links | `target=_blank`, `rel=noopener noreferrer nofollow`: opened beside the agent's app | as written: the customer's client decides |
 * | documents | fragments only | templates also keep `<!DOCTYPE html>`, `html`, `head`, `title`, `meta`, `body` |
 */

/**
 * A CSS value without functions that fetch or run, escapes, comments, or markup. A comment can
 * split a name (`expr`, an empty comment, `ession(` reads as `expression(` to old IE), so a value
 * with one is dropped.
 */
export const SAFE_CSS_VALUE = /^(?![\s\S]*(?:(?:url|image|expression|image-set|element|var|attr|-moz-binding|behavior)\s*\(|\/\*|\*\/))[^\\<>@]*$/i;

const CSS_PROPERTIES = [
  'color',
  'background-color',
  'font',
  'font-family',
  'font-size',
  'font-style',
  'font-weight',
  'font-variant',
  'text-align',
  'text-decoration',
  'text-indent',
  'text-transform',
  'line-height',
  'letter-spacing',
  'word-spacing',
  'white-space',
  'vertical-align',
  'direction',
  'margin',
  'margin-top',
  'margin-right',
  'margin-bottom',
  'margin-left',
  'padding',
  'padding-top',
  'padding-right',
  'padding-bottom',
  'padding-left',
  'border',
  'border-top',
  'border-right',
  'border-bottom',
  'border-left',
  'border-color',
  'border-style',
  'border-width',
  'border-collapse',
  'border-spacing',
  'border-radius',
  'width',
  'height',
  'max-width',
  'min-width',
  'max-height',
  'min-height',
  'display',
  'float',
  'clear',
  'list-style-type',
  'table-layout',
  'overflow-wrap',
  'word-break',
] as const;

// sanitize-html 2.x's default list, written out so a library upgrade cannot widen the policy unseen.
const TAGS = [
  'address',
  'article',
  'aside',
  'footer',
  'header',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hgroup',
  'main',
  'nav',
  'section',
  'blockquote',
  'dd',
  'div',
  'dl',
  'dt',
  'figcaption',
  'figure',
  'hr',
  'li',
  'menu',
  'ol',
  'p',
  'pre',
  'ul',
  'a',
  'abbr',
  'b',
  'bdi',
  'bdo',
  'br',
  'cite',
  'code',
  'data',
  'dfn',
  'em',
  'i',
  'kbd',
  'mark',
  'q',
  'rb',
  'rp',
  'rt',
  'rtc',
  'ruby',
  's',
  'samp',
  'small',
  'span',
  'strong',
  'sub',
  'sup',
  'time',
  'u',
  'var',
  'wbr',
  'caption',
  'col',
  'colgroup',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  // What mail HTML uses besides.
  'img',
  'font',
  'center',
  'strike',
  'del',
  'ins',
  'big',
  'tt',
];

const CELL = ['align', 'valign', 'width', 'height', 'colspan', 'rowspan', 'bgcolor'];

/** Tags removed together with their content (the text of a script is no text to keep). */
export const NON_TEXT_TAGS = ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head', 'template', 'xmp'];

// Raster types only: an SVG can carry script.
const INLINE_IMAGE = /^\s*(?:cid:|data:image\/(?:png|gif|jpe?g|webp|bmp);)/i;

/** True for an image source that loads nothing from anywhere: a `cid:` part or raster image data. */
export function isInlineImage(src: string): boolean {
  return INLINE_IMAGE.test(src);
}

/** True for an absolute `http(s):` (or protocol-relative) URL. */
export function isRemoteUrl(src: string): boolean {
  return /^\s*(?:https?:)?\/\//i.test(src);
}

/** The base policy; each sanitizer adds its differences (above) to a copy. */
export const BASE_POLICY: Readonly<sanitizeHtml.IOptions> = {
  allowedTags: TAGS,
  allowedAttributes: {
    '*': ['style', 'dir', 'lang', 'title', 'align'],
    a: ['href', 'name', 'target', 'rel'],
    img: ['src', 'alt', 'width', 'height'],
    font: ['color', 'face', 'size'],
    table: [...CELL, 'border', 'cellpadding', 'cellspacing', 'role'],
    td: CELL,
    th: CELL,
    tr: CELL,
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
  nonTextTags: NON_TEXT_TAGS,
};
