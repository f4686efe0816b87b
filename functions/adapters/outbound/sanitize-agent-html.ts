import sanitizeHtml from 'sanitize-html';

/*
 * Sanitizing policy for the HTML an agent's app sends as a reply body or signature. Unlike the
 * inbound policy (which keeps a customer's mail from tracking or attacking the agent), this one
 * keeps a compromised or careless agent app from sending active content to customers, while
 * allowing what a branded reply needs: formatting, tables, links, inline and remote images
 * (a logo on the company's site), inline CSS without fetching functions.
 *
 * - removed with their content: script, style, iframe, object, embed, form, input, textarea;
 * - no event handlers; links only http, https, mailto, tel; images also cid: and data:image;
 * - CSS values may not call url(), expression() and the like; `position` is not allowed, so a
 *   body cannot overlay the channel's template.
 */
const SAFE_CSS_VALUE = /^(?![\s\S]*(?:url|image|expression|image-set|element|var|attr|-moz-binding|behavior)\s*\()[^\\<>@]*$/i;

const CSS_PROPERTIES = [
  'color', 'background-color', 'font', 'font-family', 'font-size', 'font-style', 'font-weight', 'text-align',
  'text-decoration', 'text-indent', 'text-transform', 'line-height', 'letter-spacing', 'white-space',
  'vertical-align', 'direction', 'margin', 'margin-top', 'margin-right', 'margin-bottom', 'margin-left',
  'padding', 'padding-top', 'padding-right', 'padding-bottom', 'padding-left', 'border', 'border-top',
  'border-right', 'border-bottom', 'border-left', 'border-color', 'border-style', 'border-width',
  'border-collapse', 'border-spacing', 'border-radius', 'width', 'height', 'max-width', 'min-width',
  'display', 'list-style-type', 'table-layout', 'word-break', 'overflow-wrap',
] as const;

const CELL = ['align', 'valign', 'width', 'height', 'colspan', 'rowspan', 'bgcolor'];

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [...sanitizeHtml.defaults.allowedTags, 'img', 'font', 'center', 'del', 'ins', 'span', 'u', 's'],
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
    ol: ['start', 'type'],
    blockquote: ['type', 'cite'],
  },
  allowedSchemes: ['http', 'https', 'mailto', 'tel'],
  allowedSchemesByTag: { img: ['http', 'https', 'cid', 'data'] },
  allowedSchemesAppliedToAttributes: ['href', 'src', 'cite'],
  allowProtocolRelative: false,
  allowedStyles: { '*': Object.fromEntries(CSS_PROPERTIES.map((p) => [p, [SAFE_CSS_VALUE]])) },
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'title', 'head', 'template', 'xmp'],
  transformTags: {
    // data: only for images, never a data:text/html link.
    img: (tagName, attribs) => {
      const src = attribs['src'];
      const keep = src === undefined || !/^\s*data:/i.test(src) || /^\s*data:image\/(?:png|gif|jpe?g|webp);/i.test(src);
      const { src: _drop, ...rest } = attribs;
      return { tagName, attribs: keep ? attribs : rest };
    },
  },
};

/** Sanitizes an agent's reply or signature HTML per the policy above. Never throws on odd markup. */
export function sanitizeAgentHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}
