import { z } from 'zod';
import { isHeaderSafe } from './fields.ts';

/** Placeholders an acknowledgement template may use. */
export const ACKNOWLEDGEMENT_PLACEHOLDERS = ['ticketNumber', 'subject', 'customerName', 'channelName'] as const;
export type AcknowledgementPlaceholder = (typeof ACKNOWLEDGEMENT_PLACEHOLDERS)[number];

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

const template = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((t) => [...t.matchAll(PLACEHOLDER)].every((m) => (ACKNOWLEDGEMENT_PLACEHOLDERS as readonly string[]).includes(m[1] ?? '')), {
      message: `only these placeholders: ${ACKNOWLEDGEMENT_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
    });

/**
 * A channel's automatic acknowledgement of new conversations: off by default. The window and
 * the breaker keep it from answering the same sender twice a day (RFC 3834 §2) or from feeding a
 * mail loop with a responder that does not mark its mail automatic.
 */
export const AcknowledgementSettingsSchema = z.strictObject({
  enabled: z.boolean().default(false),
  /** Subject of the acknowledgement; the composer adds the ticket number as the channel formats it. */
  subject: template(200).refine(isHeaderSafe, 'no line breaks, control or bidi override characters, or lone surrogates').default('Re: {{subject}}'),
  /** Plain-text body. */
  body: template(10_000).default(
    'Hello {{customerName}},\n\nthank you for your message. We have opened ticket {{ticketNumber}} and will answer as soon as we can.\n' +
      'Please keep the ticket number in the subject when you write to us about this request.\n\n{{channelName}}',
  ),
  /** At most one acknowledgement per sender in this many hours (RFC 3834 §2: "several days" at most once). */
  windowHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24),
  /** This many mails from one sender within `minutes` stop acknowledgements to it and tag the conversation. */
  breaker: z
    .strictObject({
      mails: z.number().int().min(2).max(1000).default(5),
      minutes: z
        .number()
        .int()
        .min(1)
        .max(24 * 60)
        .default(10),
    })
    .default({ mails: 5, minutes: 10 }),
});
export type AcknowledgementSettings = z.infer<typeof AcknowledgementSettingsSchema>;
export type AcknowledgementSettingsInput = z.input<typeof AcknowledgementSettingsSchema>;

/** Values for the placeholders. */
export type AcknowledgementValues = Readonly<Record<AcknowledgementPlaceholder, string>>;

/**
 * Fills a template. Values come from the customer's mail (subject, name): line breaks and control
 * characters are flattened so a subject can never add a header line, and values are inserted in
 * one pass, so a value that looks like a placeholder stays text.
 */
export function renderTemplate(text: string, values: AcknowledgementValues, options: { readonly singleLine?: boolean } = {}): string {
  const flat = (v: string) => v.replace(/\p{Cc}+/gu, ' ').trim();
  const out = text.replace(PLACEHOLDER, (_, name: string) => flat(values[name as AcknowledgementPlaceholder] ?? ''));
  return options.singleLine ? flat(out) : out;
}
