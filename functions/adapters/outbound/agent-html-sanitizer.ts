import { convert } from 'html-to-text';
import type { HtmlSanitizer } from '../../core/ports/html.ts';
import { sanitizeAgentHtml, sanitizeTemplateHtml } from './sanitize-agent-html.ts';

/** Plain text of sanitized HTML, for a reply (or signature) that came without text. */
export function htmlToPlainText(html: string): string {
  return convert(html, {
    wordwrap: 78,
    selectors: [
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      // An image says nothing in a text alternative; its alt text would read as noise.
      { selector: 'img', format: 'skip' },
    ],
  }).trim();
}

/** `HtmlSanitizer` on sanitize-html (the policy in `sanitize-agent-html.ts`) and html-to-text. */
export class AgentHtmlSanitizer implements HtmlSanitizer {
  fragment(html: string): string {
    return sanitizeAgentHtml(html);
  }

  document(html: string): string {
    return sanitizeTemplateHtml(html);
  }

  toText(html: string): string {
    return htmlToPlainText(html);
  }
}
