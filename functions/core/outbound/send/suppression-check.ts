import { PolicyError } from '../../errors.ts';
import type { SuppressionEntry } from '../../model/suppression.ts';
import type { SuppressionList } from '../../ports/suppression.ts';

/** `carla@x is suppressed since 2026-12-01 (bounce: 5.1.1 …)`: address, reason, date and detail. */
export function describeSuppression(entry: SuppressionEntry): string {
  const scope = entry.scope.kind === 'account' ? ', account-wide' : '';
  if (entry.hashed)
    return `${entry.address} is suppressed since ${entry.since.slice(0, 10)} (its data was erased on request; only a hash of the address is kept${scope})`;
  const detail = entry.detail ? `: ${entry.detail}` : '';
  return `${entry.address} is suppressed since ${entry.since.slice(0, 10)} (${entry.reason}${detail}${scope})`;
}

/**
 * Refuses a send before anything is sent when any recipient is suppressed for the channel (its
 * own list or the account's): a `PolicyError('suppressed')` naming each suppressed address with
 * its reason and date. Returns normally when none is.
 */
export async function checkNotSuppressed(list: SuppressionList, channelId: string, recipients: readonly string[]): Promise<void> {
  const addresses = [...new Set(recipients.map((r) => r.trim().toLowerCase()).filter((r) => r.length > 0))];
  const entries = await Promise.all(addresses.map((a) => list.find(channelId, a)));
  const found = entries.filter((e): e is SuppressionEntry => e !== null);
  if (found.length === 0) return;
  throw new PolicyError('suppressed', found.map(describeSuppression).join('; '));
}
