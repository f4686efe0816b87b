import { z } from 'zod';

/** Why an address is suppressed. */
export const SUPPRESSION_REASONS = ['bounce', 'complaint', 'repeated-transient', 'manual', 'erasure'] as const;
export type SuppressionReason = (typeof SUPPRESSION_REASONS)[number];

/** Suppressions of one channel, or of every channel of the account (`scope: 'account'`). */
export const SuppressionScopeSchema = z.union([
  z.object({ kind: z.literal('channel'), channelId: z.string().min(1) }),
  z.object({ kind: z.literal('account') }),
]);
export type SuppressionScope = z.infer<typeof SuppressionScopeSchema>;

/** An address Postroom refuses to send to, with why and since when. */
export const SuppressionEntrySchema = z.object({
  /** Lowercase address. */
  address: z.string().min(3),
  scope: SuppressionScopeSchema,
  reason: z.enum(SUPPRESSION_REASONS),
  /** The report that caused it (SMTP status, complaint type, who added it by hand), never a secret. */
  detail: z.string().nullable(),
  /** The outbound message whose feedback caused it, when there is one. */
  messageId: z.string().nullable(),
  /** ISO time it was added. */
  since: z.string(),
  /**
   * True for the entry an erasure leaves (`reason: 'erasure'`, account-wide): `address` is
   * `sha256:` and the SHA-256 (hex) of the lowercase address, which itself is not kept.
   */
  hashed: z.boolean().optional(),
});
export type SuppressionEntry = z.infer<typeof SuppressionEntrySchema>;

/** How a hashed entry's `address` starts: the SHA-256 (hex) of the lowercase address follows. */
export const HASHED_ADDRESS_PREFIX = 'sha256:';
