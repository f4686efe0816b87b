import { convert } from 'html-to-text';
import type { OutboundContent } from '../../core/model/outbound-mail.ts';
import { renderHtmlTemplate, renderTextTemplate, textToHtml } from '../../core/outbound/render-template.ts';
import { sanitizeAgentHtml } from './sanitize-agent-html.ts';

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

/** The two bodies of a mail. */
export interface RenderedBodies {
  readonly html: string;
  readonly text: string;
}

/**
 * The HTML and plain-text bodies of a planned mail: the agent's HTML (and signature HTML)
 * sanitized, or made from their text; the text made from the sanitized HTML when only HTML was
 * given; the channel's template filled with both, and its text rendering.
 */
export function renderBodies(content: OutboundContent, subject: string): RenderedBodies {
  const bodyHtml = content.html !== null ? sanitizeAgentHtml(content.html) : textToHtml(content.text ?? '');
  const bodyText = content.text ?? htmlToPlainText(bodyHtml);
  const signature = content.signature;
  const signatureHtml = signature?.html ? sanitizeAgentHtml(signature.html) : signature?.text ? textToHtml(signature.text) : '';
  const signatureText = signature?.text ?? (signatureHtml ? htmlToPlainText(signatureHtml) : '');
  return {
    html: renderHtmlTemplate(content.template, {
      bodyHtml,
      signatureHtml,
      ticketNumber: content.ticketNumber,
      agentName: content.agentName,
      channelName: content.channelName,
      subject,
    }),
    text: renderTextTemplate({ bodyText, signatureText }),
  };
}
