import { z } from 'zod';

/** An address as it appears in a header, lowercase-normalized address and decoded display name. */
export const MailAddressSchema = z.object({
  address: z.string(),
  name: z.string(),
});
export type MailAddress = z.infer<typeof MailAddressSchema>;

/** One top-level header: lowercase name; value unfolded, encoded words decoded, control chars replaced. */
export const HeaderSchema = z.object({
  name: z.string(),
  value: z.string(),
});
export type Header = z.infer<typeof HeaderSchema>;

export const AttachmentSchema = z.object({
  filename: z.string().nullable(),
  contentType: z.string(),
  size: z.number().int().nonnegative(),
  inline: z.boolean(),
  contentId: z.string().nullable(),
  /** MD5 hex of the decoded content, as mailparser reports it. */
  checksum: z.string().nullable(),
});
export type Attachment = z.infer<typeof AttachmentSchema>;

/**
 * Machine-readable report parts of a multipart/report (or look-alike) message:
 * message/delivery-status, message/global-delivery-status, message/feedback-report,
 * message/disposition-notification. `text` is the part decoded as text.
 */
export const ReportPartSchema = z.object({
  contentType: z.string(),
  text: z.string(),
});
export type ReportPart = z.infer<typeof ReportPartSchema>;

/**
 * What the parser changed to read a hostile or broken mail. Each is also a tag of the message
 * (the classifier adds it), for route rules and the agent.
 *
 * | tag | meaning |
 * |---|---|
 * | `limit-line-length` | a body line was longer than `maxLineChars` (parse limits) and was cut into lines; no text is lost |
 * | `limit-html-depth` | the HTML nested deeper than `maxHtmlDepth`; the deeper elements lost their tags, their text stays |
 * | `structure-repaired` | the MIME structure hid the body (a lost boundary fold, a boundary that never appears, or none) and was read repaired |
 */
export const PARSE_TAGS = ['limit-line-length', 'limit-html-depth', 'structure-repaired'] as const;
export type ParseTag = (typeof PARSE_TAGS)[number];

/**
 * The normalized message the core works on. Produced by a `MimeParser`; holds no bodies of
 * attachments. Message ids are stored without angle brackets.
 */
export const ParsedMessageSchema = z.object({
  messageId: z.string().nullable(),
  inReplyTo: z.string().nullable(),
  /** Oldest first, as in the header. */
  references: z.array(z.string()),
  subject: z.string(),
  from: MailAddressSchema.nullable(),
  sender: MailAddressSchema.nullable(),
  replyTo: z.array(MailAddressSchema),
  to: z.array(MailAddressSchema),
  cc: z.array(MailAddressSchema),
  /** ISO 8601, or null when the Date header is missing or unreadable. */
  date: z.string().nullable(),
  /** Top-level content type, lowercase, without parameters (e.g. `multipart/report`). */
  contentType: z.string(),
  /** `report-type` parameter of a multipart/report, lowercase, or null. */
  reportType: z.string().nullable(),
  headers: z.array(HeaderSchema),
  /** Plain text body (from text/plain, or derived from HTML when there is none). */
  text: z.string(),
  /** Sanitized HTML body, or null when the mail has none or the parser was asked to omit it. */
  html: z.string().nullable(),
  /**
   * The text of the HTML body with the sender's client quote markup cut (Gmail's
   * `gmail_quote`, Apple's `<blockquote type="cite">`, Outlook's reply header, ...), and which
   * markup it was; null when the mail has no HTML or the HTML marks no quote. Set whether or
   * not the HTML itself is kept.
   */
  htmlReply: z.object({ text: z.string(), marker: z.string() }).nullable(),
  attachments: z.array(AttachmentSchema),
  reports: z.array(ReportPartSchema),
  /** Headers of the enclosed original message (message/rfc822, text/rfc822-headers), if any. */
  enclosedHeaders: z.array(HeaderSchema).nullable(),
  /** Size of the raw message in bytes. */
  size: z.number().int().nonnegative(),
  /** See `PARSE_TAGS`; absent or empty when the mail was read as it came. */
  parseTags: z.array(z.enum(PARSE_TAGS)).optional(),
});
export type ParsedMessage = z.infer<typeof ParsedMessageSchema>;

/** Returns every value of a header (name compared case-insensitively), in order. */
export function headerValues(headers: readonly Header[], name: string): string[] {
  const wanted = name.toLowerCase();
  return headers.filter((h) => h.name === wanted).map((h) => h.value);
}

/** Returns the first value of a header, or null. */
export function headerValue(headers: readonly Header[], name: string): string | null {
  const wanted = name.toLowerCase();
  return headers.find((h) => h.name === wanted)?.value ?? null;
}
