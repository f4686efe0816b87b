import type sanitizeHtml from 'sanitize-html';
import { BASE_POLICY, isInlineImage, isRemoteUrl } from './sanitize-html-policy.ts';
import { sanitizeHtmlLib } from './sanitize-html-lib.ts';

/**
 * Sanitizing policy for mail HTML shown to agents: the base policy (`sanitize-html-policy.ts`:
 * no active content, inline images only, safe inline CSS) and two differences.
 *
 * - No remote loading: a remote image (`http:`, `https:`, `//host`) loses its `src`, which moves
 *   to `data-remote-src`, so opening a mail does not confirm the address to a tracker; an agent
 *   app may offer "load remote images" by copying it back.
 * - Links open in a new browsing context without referrer.
 */
const OPTIONS: sanitizeHtml.IOptions = {
  ...BASE_POLICY,
  allowedAttributes: { ...BASE_POLICY.allowedAttributes, img: ['src', 'alt', 'width', 'height', 'data-remote-src'] },
  transformTags: {
    a: (tagName, attribs) => ({ tagName, attribs: { ...attribs, target: '_blank', rel: 'noopener noreferrer nofollow' } }),
    img: (tagName, attribs) => {
      const { src, 'data-remote-src': _ignored, ...rest } = attribs;
      if (src !== undefined && isRemoteUrl(src)) return { tagName, attribs: { ...rest, 'data-remote-src': src.trim() } };
      return { tagName, attribs: src !== undefined && isInlineImage(src) ? { ...rest, src: src.trim() } : rest };
    },
  },
};

/** Sanitizes mail HTML per the policy above. Never throws on odd markup. Needs `loadSanitizeHtml()` first. */
export function sanitizeMailHtml(html: string): string {
  return sanitizeHtmlLib()(html, OPTIONS);
}
