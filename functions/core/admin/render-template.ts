/**
 * The preview render of a channel template with an agent's signature: `{{name}}` placeholders,
 * HTML-escaped, except `{{{content}}}` and `{{{signature}}}` (already HTML). Unknown names render
 * empty, so a typo shows as a gap in the preview rather than as a placeholder in a customer's mail.
 */
export interface TemplateValues {
  readonly content: string;
  readonly signature: string;
  readonly [name: string]: string;
}

const RAW = /\{\{\{\s*([a-zA-Z][a-zA-Z0-9_]*)\s*\}\}\}/g;
const ESCAPED = /\{\{\s*([a-zA-Z][a-zA-Z0-9_]*)\s*\}\}/g;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function renderHtml(template: string, values: TemplateValues): string {
  return template
    .replace(RAW, (_m, name: string) => values[name] ?? '')
    .replace(ESCAPED, (_m, name: string) => escapeHtml(values[name] ?? ''));
}

export function renderText(template: string, values: TemplateValues): string {
  return template.replace(RAW, (_m, name: string) => values[name] ?? '').replace(ESCAPED, (_m, name: string) => values[name] ?? '');
}

/** Plain text as HTML paragraphs (for a reply written as text). */
export function textToHtml(text: string): string {
  return text
    .split(/\r?\n\r?\n/)
    .map((p) => `<p>${escapeHtml(p).replace(/\r?\n/g, '<br>')}</p>`)
    .join('\n');
}
