/**
 * Makes HTML that people write (a reply body, a signature, a channel's template) safe to send
 * and to show, and reads it as plain text. The policy is the adapter's; the core only decides
 * where it applies: on write, on read and when a mail is rendered. Never throws on odd markup.
 */
export interface HtmlSanitizer {
  /** A fragment (reply body, signature): formatting, tables, links, images; nothing active. */
  fragment(html: string): string;
  /**
   * A whole mail layout (a template): the fragment policy plus the document structure a mail
   * needs (`<!DOCTYPE html>`, `html`, `head`, `title`, `meta`, `body`). Text such as
   * `{{body}}` passes unchanged, so placeholders survive.
   */
  document(html: string): string;
  /** The plain text of sanitized HTML: the text alternative of a reply written as HTML. */
  toText(html: string): string;
}
