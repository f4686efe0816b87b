import sanitizeHtml from 'sanitize-html';
import { BASE_POLICY, NON_TEXT_TAGS, isInlineImage, isRemoteUrl } from '../mime/sanitize-html-policy.ts';

/*
 * Sanitizing policy for the HTML sent to customers: an agent's reply body and signature, and a
 * channel's template. The base policy (`mime/sanitize-html-policy.ts`: no active content, safe
 * inline CSS, no `position`) keeps a compromised or careless agent app or admin from sending
 * active content; on top of it, what a branded mail needs: remote images (a logo on the
 * company's site) with absolute `http(s)` URLs, and for templates the document structure.
 */
const FRAGMENT: sanitizeHtml.IOptions = {
  ...BASE_POLICY,
  allowedSchemesByTag: { img: ['http', 'https', 'cid', 'data'] },
  transformTags: {
    // An absolute remote image, a cid: part or raster image data; never a relative or data:text/html source.
    img: (tagName, attribs) => {
      const { src, ...rest } = attribs;
      const keep = src !== undefined && (isInlineImage(src) || (isRemoteUrl(src) && !/^\s*\/\//.test(src)));
      return { tagName, attribs: keep ? { ...attribs, src: src.trim() } : rest };
    },
  },
};

const DOCUMENT_TAGS = ['html', 'head', 'title', 'meta', 'body'];

/** A template: a whole mail document. `head` and `title` keep their content here (`<title>{{subject}}</title>`). */
const DOCUMENT: sanitizeHtml.IOptions = {
  ...FRAGMENT,
  allowedTags: [...(BASE_POLICY.allowedTags || []), ...DOCUMENT_TAGS],
  // `http-equiv` is not kept: a refresh or a content security policy is not a template's business.
  allowedAttributes: { ...BASE_POLICY.allowedAttributes, meta: ['charset', 'name', 'content'] },
  nonTextTags: NON_TEXT_TAGS.filter((tag) => tag !== 'head' && tag !== 'title'),
};

const DOCTYPE = /^\s*<!doctype\s+html\b[^>]*>/i;

/** Sanitizes an agent's reply or signature HTML per the policy above. Never throws on odd markup. */
export function sanitizeAgentHtml(html: string): string {
  return sanitizeHtml(html, FRAGMENT);
}

/**
 * Sanitizes a template (a whole mail document) per the policy above; an HTML5 doctype stays
 * (the parser drops directives), so a sanitized template sanitizes to itself.
 */
export function sanitizeTemplateHtml(html: string): string {
  const body = sanitizeHtml(html, DOCUMENT);
  return DOCTYPE.test(html) ? `<!DOCTYPE html>\n${body.trimStart()}` : body;
}
