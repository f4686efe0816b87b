import { z } from 'zod';
import { checkTemplate } from '../outbound/compose/render-template.ts';
import { AddressSchema, headerSafeText, TEXT_LIMITS } from './fields.ts';

/** A From address a channel may send as, with the display name shown for it. */
export const FromAddressSchema = z.strictObject({
  address: AddressSchema,
  /** Display name; empty falls back to the channel's `displayName`. */
  name: headerSafeText(TEXT_LIMITS.name).default(''),
});
export type FromAddress = z.infer<typeof FromAddressSchema>;

/**
 * How a channel sends. SMTP server details (host, port, TLS, credentials) are not here: they
 * belong to the transport settings, kept apart so this part can be read without secrets.
 */
export const OutboundSwitchSchema = z.strictObject({
  /** Deprecated: the name `outboundFlow` had before; read as `outboundFlow` and not stored. */
  enabled: z.boolean().optional().meta({ deprecated: true, description: 'Deprecated: use the channel field `outboundFlow`.' }),
  transport: z.enum(['ses', 'smtp']).default('ses'),
  /** SES configuration set for event publishing (bounces, complaints, deliveries); SES only. */
  configurationSet: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - and _, at most 64')
    .optional(),
});
export type OutboundSwitch = z.infer<typeof OutboundSwitchSchema>;

export const OUTBOUND_FLOW_CONFLICT = {
  message: 'outbound.enabled is the old name of outboundFlow and says otherwise: give outboundFlow alone',
  path: ['outbound', 'enabled'],
};

/** The outbound part of a channel's settings: From addresses, branding, transport choice. */
export const OutboundSettingsSchema = z
  .strictObject({
    /** Display name of the channel address; empty falls back to the channel's `name`. */
    displayName: headerSafeText(TEXT_LIMITS.name).default(''),
    /** Further addresses agents may send as, besides the channel address. */
    allowedFrom: z.array(FromAddressSchema).max(100).default([]),
    /** Branded HTML template with `{{body}}` and the other placeholders; null uses the default template. */
    template: z
      .string()
      .max(256 * 1024)
      .nullable()
      .default(null)
      .superRefine((template, ctx) => {
        if (template === null) return;
        for (const issue of checkTemplate(template)) ctx.addIssue({ code: 'custom', message: issue.message });
      }),
    /**
     * Agents may start conversations on this channel (`POST /conversations`): a new mail to a
     * customer that is no reply. Off by default; replies and forwards are always allowed.
     */
    outboundFlow: z
      .boolean()
      .optional()
      .meta({ description: 'Agents may start conversations on this channel (POST /conversations). Off (false) when absent.' }),
    outbound: OutboundSwitchSchema.default(OutboundSwitchSchema.parse({})),
  })
  .refine(oneOutboundFlow, OUTBOUND_FLOW_CONFLICT)
  .overwrite((s) => withOutboundFlow(s));

/**
 * Settings stored under the old name: `outbound.enabled` is read as `outboundFlow` when that is
 * not given, and dropped, so a stored channel and a config file written before the rename read the
 * same; `outboundFlow` is false when neither is given.
 */
export function withOutboundFlow<T extends { readonly outboundFlow?: boolean | undefined; readonly outbound: OutboundSwitch }>(settings: T): T {
  const { enabled, ...outbound } = settings.outbound;
  return { ...settings, outboundFlow: settings.outboundFlow ?? enabled ?? false, outbound };
}

/** Both names given with different values: refused rather than one silently winning. */
export function oneOutboundFlow(settings: { readonly outboundFlow?: boolean | undefined; readonly outbound: OutboundSwitch }): boolean {
  const { enabled } = settings.outbound;
  return enabled === undefined || settings.outboundFlow === undefined || enabled === settings.outboundFlow;
}

export type OutboundSettings = z.infer<typeof OutboundSettingsSchema>;
export type OutboundSettingsInput = z.input<typeof OutboundSettingsSchema>;
