import { z } from 'zod';
import { CalendarIdSchema } from './calendar.ts';

/** The longest target: a year of business minutes. */
export const MAX_TARGET_MINUTES = 366 * 24 * 60;

const Minutes = z.number().int().min(1).max(MAX_TARGET_MINUTES);

/**
 * A channel's SLA (or the account's default, config `sla`): targets in business minutes of a
 * calendar (8 business hours: 480; 2 business days of 8 hours: 960), and the share of a target
 * after which a warning is published.
 */
export const SlaSettingsSchema = z
  .strictObject({
    /** Business minutes from a customer's new mail to the first answer of an agent. */
    firstResponseMinutes: Minutes.optional(),
    /** Business minutes from a customer's new mail to closing the conversation, not counting time waiting on the customer. */
    solutionMinutes: Minutes.optional(),
    /** The calendar the minutes count in: `always` (24/7, built in) or one of `/calendars`. @default 'always' */
    calendar: CalendarIdSchema.default('always'),
    /** Percent of a target after which `sla.warning` is published (and the state turns `warning`). @default 80 */
    warningPercent: z.number().int().min(1).max(99).default(80),
  })
  .refine((s) => s.firstResponseMinutes !== undefined || s.solutionMinutes !== undefined, {
    message: 'name firstResponseMinutes, solutionMinutes or both',
  })
  .meta({ id: 'SlaSettings', description: 'SLA targets in business minutes of a calendar.' });
export type SlaSettings = z.infer<typeof SlaSettingsSchema>;
export type SlaSettingsInput = z.input<typeof SlaSettingsSchema>;
