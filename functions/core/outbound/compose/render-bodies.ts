import type { OutboundContent } from '../../model/outbound-mail.ts';
import type { HtmlSanitizer } from '../../ports/html.ts';
import { assertHtmlDepth } from './html-depth.ts';
import { renderHtmlTemplate, renderTextTemplate, textToHtml } from './render-template.ts';

/** The two bodies of a mail (or of a preview, which is the same thing). */
export interface RenderedBodies {
  readonly html: string;
  readonly text: string;
}

/**
 * A signature as it goes into a mail: its HTML sanitized, or made from its text; its text as
 * written, or read from the sanitized HTML. Both empty for no signature.
 */
export function renderSignature(signature: OutboundContent['signature'], sanitizer: HtmlSanitizer): RenderedBodies {
  if (signature?.html) assertHtmlDepth(signature.html, 'signature.html');
  const html = signature?.html ? sanitizer.fragment(signature.html) : signature?.text ? textToHtml(signature.text) : '';
  const text = signature?.text ?? (html ? sanitizer.toText(html) : '');
  return { html, text };
}

/**
 * The HTML and plain-text bodies of a planned mail, the one rendering that sending and the
 * previews share: the agent's HTML sanitized (or made from the text), the text made from the
 * sanitized HTML when only HTML was given, the signature likewise; the template sanitized as a
 * document (stored templates were at write, the channel's inline one and the default were not),
 * then filled; its text variant filled, or body and signature after the `-- ` line.
 *
 * Throws `ValidationError` when the template (or what sanitizing left of it) is not usable, and
 * before any sanitizing when the body, signature or template HTML nests deeper than
 * `MAX_HTML_DEPTH` (written before the limit, or by a path that skipped it): the sanitizer's work
 * grows with the depth, and a send that cannot succeed fails at once instead of being retried.
 */
export function renderBodies(content: OutboundContent, subject: string, sanitizer: HtmlSanitizer): RenderedBodies {
  if (content.html !== null) assertHtmlDepth(content.html, 'html');
  if (content.signature?.html) assertHtmlDepth(content.signature.html, 'signature.html');
  assertHtmlDepth(content.template, 'template');
  const bodyHtml = content.html !== null ? sanitizer.fragment(content.html) : textToHtml(content.text ?? '');
  const bodyText = content.text ?? sanitizer.toText(bodyHtml);
  const signature = renderSignature(content.signature, sanitizer);
  const common = { ticketNumber: content.ticketNumber, agentName: content.agentName, channelName: content.channelName, subject };
  return {
    html: renderHtmlTemplate(sanitizer.document(content.template), { ...common, bodyHtml, signatureHtml: signature.html }),
    text: renderTextTemplate({ ...common, bodyText, signatureText: signature.text }, content.textTemplate),
  };
}
