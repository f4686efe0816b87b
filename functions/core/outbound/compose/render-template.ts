import { ValidationError, type ValidationIssue } from '../../errors.ts';

/** The placeholders a channel's HTML template may use, as `{{name}}` (spaces inside allowed). */
export const TEMPLATE_PLACEHOLDERS = ['body', 'signature', 'ticketNumber', 'agentName', 'channelName', 'subject'] as const;
export type TemplatePlaceholder = (typeof TEMPLATE_PLACEHOLDERS)[number];

// No quantifier next to another that can match the same characters: linear, however long the run.
const PLACEHOLDER = /\{\{([^{}]*)\}\}/g;
const KNOWN: ReadonlySet<string> = new Set(TEMPLATE_PLACEHOLDERS);
/** The name of a `{{ name }}` match, spaces inside allowed. */
const nameOf = (inner: string | undefined): string => (inner ?? '').trim();

/**
 * The template a channel without its own uses: a centred 600 px column (the width mail clients
 * render reliably), inline styles only (many clients drop `<style>`), tables for layout (Outlook
 * on Windows renders with Word and ignores most CSS box properties).
 */
export const DEFAULT_TEMPLATE = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>{{subject}}</title></head>
<body style="margin:0;padding:0;background-color:#f4f4f5;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background-color:#f4f4f5;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;width:100%;background-color:#ffffff;border-radius:6px;">
<tr><td style="padding:24px;font-family:Arial,Helvetica,sans-serif;font-size:15px;line-height:1.5;color:#1f2328;">{{body}}</td></tr>
<tr><td style="padding:0 24px 24px;font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.5;color:#57606a;">{{signature}}</td></tr>
<tr><td style="padding:12px 24px;border-top:1px solid #e4e4e7;font-family:Arial,Helvetica,sans-serif;font-size:12px;color:#8c959f;">{{channelName}} &middot; Ticket {{ticketNumber}}</td></tr>
</table>
</td></tr>
</table>
</body></html>`;

/** The layout a mail is rendered with: the HTML template and, when it has one, its plain-text variant. */
export interface MailTemplate {
  readonly html: string;
  /** The plain-text variant; null renders the body, then the signature after the `-- ` line. */
  readonly text: string | null;
}

/**
 * Problems of a template (HTML or its text variant): placeholders it names that do not exist (a
 * typo would otherwise reach the customer as literal `{{agnetName}}`), a missing `{{body}}` (the
 * agent's text would be dropped), and in HTML a placeholder inside a tag, an attribute value or a
 * comment (`href="{{subject}}"` would let a customer's subject become a `javascript:` link the
 * sanitizer never saw: values are filled after sanitizing). Each issue carries `path`, the field
 * the template came in. Empty when the template is usable.
 */
export function checkTemplate(template: string, path = 'template', kind: 'html' | 'text' = 'html'): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const unknown = new Set<string>();
  let hasBody = false;
  for (const m of template.matchAll(PLACEHOLDER)) {
    const name = nameOf(m[1]);
    if (name === 'body') hasBody = true;
    if (!KNOWN.has(name)) unknown.add(name);
  }
  if (unknown.size > 0) {
    const names = [...unknown].map((n) => `{{${n}}}`).join(', ');
    const known = TEMPLATE_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ');
    issues.push({ path, message: `unknown placeholder${unknown.size > 1 ? 's' : ''} ${names}; known: ${known}` });
  }
  if (!hasBody) issues.push({ path, message: 'the template has no {{body}} placeholder' });
  // `{{{name}}}` would render the value between stray braces: every placeholder is `{{name}}`.
  if (/\{\{\{|\}\}\}/.test(template)) issues.push({ path, message: 'write placeholders as {{name}}, not {{{name}}}' });
  const inMarkup = kind === 'html' ? placeholdersInMarkup(template) : [];
  if (inMarkup.length > 0) {
    const names = inMarkup.map((n) => `{{${n}}}`).join(', ');
    issues.push({ path, message: `${names} inside a tag, attribute value or comment: placeholders belong in text content` });
  }
  return issues;
}

/**
 * Names of the placeholders that stand inside markup (a tag with its attribute values, a
 * comment, a doctype) rather than in text content. One pass, no backtracking: a tag ends at the
 * first `>` outside a quoted attribute value.
 */
export function placeholdersInMarkup(html: string): string[] {
  const found = new Set<string>();
  let i = html.indexOf('<');
  while (i >= 0) {
    const end = markupEnd(html, i);
    if (end > i + 1) for (const m of html.slice(i, end).matchAll(PLACEHOLDER)) found.add(nameOf(m[1]));
    i = html.indexOf('<', end);
  }
  return [...found];
}

/** Where the markup that starts at `html[start] === '<'` ends (exclusive); `start + 1` for a `<` that starts none (`a < b`). */
function markupEnd(html: string, start: number): number {
  if (html.startsWith('<!--', start)) {
    const close = html.indexOf('-->', start + 4);
    return close < 0 ? html.length : close + 3;
  }
  if (!/[A-Za-z/!?]/.test(html.charAt(start + 1))) return start + 1;
  let afterEquals = false;
  for (let i = start + 1; i < html.length; i++) {
    const ch = html.charAt(i);
    if (ch === '>') return i + 1;
    if (afterEquals && (ch === '"' || ch === "'")) {
      // A quoted attribute value: a `>` inside does not end the tag.
      const close = html.indexOf(ch, i + 1);
      if (close < 0) return html.length;
      i = close;
    }
    if (ch === '=') afterEquals = true;
    else if (!/\s/.test(ch)) afterEquals = false;
  }
  return html.length;
}

/** Throws `ValidationError` listing every problem `checkTemplate` finds. */
export function assertTemplate(template: string, path = 'template', kind: 'html' | 'text' = 'html'): void {
  const issues = checkTemplate(template, path, kind);
  if (issues.length > 0) throw new ValidationError(`the channel template is not usable: ${issues.map((i) => i.message).join('; ')}`, issues);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

/**
 * The agent's plain text as HTML: paragraphs at blank lines, `<br>` at single line breaks,
 * everything escaped. Used when a reply has no HTML of its own.
 */
export function textToHtml(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .trim()
    .split(/\n[ \t]*\n+/)
    .filter((p) => p.trim() !== '')
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>\n')}</p>`)
    .join('\n');
}

/** What fills a template. `bodyHtml` and `signatureHtml` go in as they are: sanitize them first. */
export interface TemplateValues {
  readonly bodyHtml: string;
  readonly signatureHtml: string;
  readonly ticketNumber: string;
  readonly agentName: string;
  readonly channelName: string;
  readonly subject: string;
}

/**
 * Fills the HTML template in one pass, so a value that itself contains `{{body}}` is never
 * expanded. Text values are HTML-escaped; the body and signature HTML are inserted unescaped.
 * Throws `ValidationError` for an unusable template.
 */
export function renderHtmlTemplate(template: string, values: TemplateValues): string {
  assertTemplate(template, 'html');
  const fill: Record<TemplatePlaceholder, string> = {
    body: values.bodyHtml,
    signature: values.signatureHtml,
    ticketNumber: escapeHtml(values.ticketNumber),
    agentName: escapeHtml(values.agentName),
    channelName: escapeHtml(values.channelName),
    subject: escapeHtml(values.subject),
  };
  return template.replace(PLACEHOLDER, (_whole, name: string) => fill[nameOf(name) as TemplatePlaceholder]);
}

/** What fills the plain-text variant: the same pieces as the HTML, as text. */
export interface TextTemplateValues {
  readonly bodyText: string;
  readonly signatureText: string;
  readonly ticketNumber: string;
  readonly agentName: string;
  readonly channelName: string;
  readonly subject: string;
}

/**
 * The plain-text alternative from the same pieces. With the template's text variant, its
 * placeholders are filled in one pass (nothing escaped: it is text). Without one, the body,
 * then the signature after the `-- ` line (RFC 3676 §4.3), which lets clients recognise and fold
 * it. Line ends are LF and the result ends in one. Throws `ValidationError` for an unusable variant.
 */
export function renderTextTemplate(values: TextTemplateValues, template: string | null = null): string {
  const lf = (s: string): string => s.replace(/\r\n?/g, '\n');
  const body = lf(values.bodyText).trim();
  const signature = lf(values.signatureText).trim();
  if (template === null) return signature === '' ? `${body}\n` : `${body}\n\n-- \n${signature}\n`;
  assertTemplate(template, 'text', 'text');
  const fill: Record<TemplatePlaceholder, string> = {
    body,
    signature,
    ticketNumber: values.ticketNumber,
    agentName: values.agentName,
    channelName: values.channelName,
    subject: values.subject,
  };
  return `${lf(template.replace(PLACEHOLDER, (_whole, name: string) => fill[nameOf(name) as TemplatePlaceholder])).trimEnd()}\n`;
}
