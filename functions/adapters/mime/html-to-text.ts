import { sanitizeHtmlLib } from './sanitize-html-lib.ts';
import { NON_TEXT_TAGS } from './sanitize-html-policy.ts';

const BLOCK_END = /<\/(?:p|div|tr|li|h[1-6]|table|blockquote|pre|ul|ol|dl|dt|dd|section|article|header|footer|address)\s*>/gi;
const BLOCK_START = /<(?:p|div|tr|li|h[1-6]|table|blockquote|pre|hr|section|article|header|footer)\b/gi;
const ESCAPES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"' };

/**
 * Plain text from HTML, for mails that carry no text/plain part. Line structure comes from
 * `<br>` and block elements. mailparser's own
 * converter is switched off because it only runs when the HTML part is the root part and costs
 * seconds on very large HTML; this one is linear. Needs `loadSanitizeHtml()` first.
 */
export function htmlToText(html: string): string {
  const marked = html
    .replace(/\s+/g, ' ')
    // `[^<>]`: an unclosed `<br` stops at the next `<` instead of searching on to the end each time.
    .replace(/<br\b[^<>]*>/gi, '\n')
    .replace(BLOCK_END, (tag) => `${tag}\n`)
    .replace(BLOCK_START, (tag) => `\n${tag}`)
    .replace(/<\/t[dh]\s*>/gi, (tag) => `${tag} `);
  const stripped = sanitizeHtmlLib()(marked, {
    allowedTags: [],
    allowedAttributes: {},
    nonTextTags: NON_TEXT_TAGS,
  });
  return stripped
    .replace(/&(?:amp|lt|gt|quot);/g, (entity) => ESCAPES[entity] ?? entity)
    .replace(/\u00a0/g, ' ')
    .split('\n')
    .map((line) => line.replace(/[ \t]+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
