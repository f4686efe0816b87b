import { z } from 'zod';

/*
 * Retention (ADM-2): how long what Postroom holds is kept. A conversation is the unit a contact
 * center keeps and deletes: its records, its messages' raw mail and extracted attachments and its
 * outbound plans go together, `mailDays` after the conversation's last message (either way), so
 * an old thread is never left with its first mails gone. A legal hold suspends that.
 */

/** The documented defaults of the account-wide settings (config `retention`). */
export const RETENTION_DEFAULTS = {
  /** Conversations (records, raw mail, attachments, plans) after their last message: two years. */
  mailDays: 730,
  /** Failed mail (the entry an operator replays, and its raw copy) after the failure: three months. */
  failedMailDays: 90,
  /** Files agents' apps upload for replies, after the upload: a month (sending takes minutes). */
  uploadDays: 30,
  /** Audit records, after they were written: seven years (7 × 365 + 2 leap days). */
  auditDays: 2557,
} as const;

/** Bounds of each setting, in whole days. */
export const RETENTION_LIMITS = {
  // A week at least: mail must outlive a long weekend or a holiday before anyone could read it.
  mailDays: { min: 7, max: 3650 },
  failedMailDays: { min: 7, max: 3650 },
  uploadDays: { min: 1, max: 3650 },
  // Audit records answer "who saw or changed what" for years: a year at least, twenty at most.
  auditDays: { min: 365, max: 7300 },
} as const;

export type RetentionSetting = keyof typeof RETENTION_LIMITS;

/** Whole days within the setting's bounds, with problems an admin can act on. */
export function retentionDays(setting: RetentionSetting) {
  const { min, max } = RETENTION_LIMITS[setting];
  return z
    .number({ error: `whole days between ${min} and ${max}` })
    .int(`whole days between ${min} and ${max}, no fractions`)
    .min(min, `at least ${min} days`)
    .max(max, `at most ${max} days`);
}

/** A channel's own retention, overriding the account-wide `mailDays`; absent: the account's. */
export const ChannelRetentionSchema = z
  .strictObject({
    /** Days its conversations are kept after their last message. */
    mailDays: retentionDays('mailDays'),
  })
  .meta({
    id: 'ChannelRetention',
    description:
      "How long this channel's conversations (records, raw mail, attachments, outbound plans) are kept after their last message, " +
      `in whole days (${RETENTION_LIMITS.mailDays.min}–${RETENTION_LIMITS.mailDays.max}); leave out for the account-wide setting ` +
      `(default ${RETENTION_DEFAULTS.mailDays}). A conversation keeps the period that applied when it began.`,
  });
export type ChannelRetention = z.infer<typeof ChannelRetentionSchema>;

/** The account-wide settings of the deployment config (`retention`), with their defaults. */
export const ACCOUNT_RETENTION_FIELDS = {
  /** Days a conversation is kept after its last message, unless its channel says otherwise. */
  mailDays: retentionDays('mailDays').optional(),
  /** Days failed mail is kept after it failed. */
  failedMailDays: retentionDays('failedMailDays').default(RETENTION_DEFAULTS.failedMailDays),
  /** Days an uploaded reply attachment is kept (S3 lifecycle rule on the uploads prefix). */
  uploadDays: retentionDays('uploadDays').default(RETENTION_DEFAULTS.uploadDays),
  /** Days audit records are kept (account-wide only). */
  auditDays: retentionDays('auditDays').default(RETENTION_DEFAULTS.auditDays),
};

/** What the functions need of the account-wide settings at run time. */
export interface RetentionSettings {
  readonly mailDays: number;
  readonly failedMailDays: number;
  readonly uploadDays: number;
  readonly auditDays: number;
}

/** A legal hold on a conversation: while it stands, nothing of the conversation expires. */
export const LegalHoldSchema = z
  .object({
    /** When the hold was first placed (ISO 8601); placing it again keeps this. */
    since: z.string(),
    /** The actor who placed it (the caller's identity). */
    by: z.string(),
    /** Why: a case or matter reference, never the customer's data. */
    reason: z.string(),
  })
  .meta({ id: 'LegalHold', description: 'A legal hold: while it stands nothing of the conversation expires.' });
export type LegalHold = z.infer<typeof LegalHoldSchema>;

/** Longest reason of a hold: a case reference and a line of explanation. */
export const MAX_HOLD_REASON = 500;

/** The body of `PUT /conversations/{id}/legal-hold`. */
export const LegalHoldInputSchema = z
  .strictObject({
    reason: z
      .string({ error: 'a reason is required: the case or matter the hold is for' })
      .trim()
      .min(1, 'a reason is required: the case or matter the hold is for')
      .max(MAX_HOLD_REASON, `at most ${MAX_HOLD_REASON} characters`)
      // One line of printable text: it is shown in lists and written to the audit log.
      .regex(/^[^\p{Cc}\p{Zl}\p{Zp}]*$/u, 'one line of text, no control characters'),
  })
  .meta({ id: 'LegalHoldInput' });
export type LegalHoldInput = z.infer<typeof LegalHoldInputSchema>;
