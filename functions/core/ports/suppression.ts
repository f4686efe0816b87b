import type { SuppressionEntry, SuppressionScope } from '../model/suppression.ts';

/**
 * The suppression list: addresses no mail is sent to. A send checks the channel's list and the
 * account-wide one; feedback adds to them; admins list, add and remove.
 */
export interface SuppressionList {
  /** The entry that suppresses `address` for the channel (its own or the account's), or null. */
  find(channelId: string, address: string): Promise<SuppressionEntry | null>;
  /** Adds or replaces the entry of (scope, address). */
  put(entry: SuppressionEntry): Promise<void>;
  /** Removes the entry; true when there was one. */
  remove(scope: SuppressionScope, address: string): Promise<boolean>;
  /** Entries of a scope in address order, `limit` at a time after the `cursor` address. */
  list(
    scope: SuppressionScope,
    options: { readonly limit: number; readonly cursor?: string },
  ): Promise<{ readonly entries: readonly SuppressionEntry[]; readonly cursor: string | null }>;
}
