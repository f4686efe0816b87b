import { PolicyError } from '../errors.ts';
import type { SuppressionList } from '../ports/suppression.ts';

/**
 * Refuses a send before anything leaves when a recipient is on the channel's or the account's
 * suppression list, naming the address, why and since when.
 */
export async function assertNotSuppressed(list: SuppressionList, channelId: string, recipients: readonly string[]): Promise<void> {
  for (const address of new Set(recipients.map((r) => r.toLowerCase()))) {
    const entry = await list.find(channelId, address);
    if (!entry) continue;
    const scope = entry.scope.kind === 'account' ? 'for every channel' : `on channel ${channelId}`;
    const detail = entry.detail ? `: ${entry.detail}` : '';
    throw new PolicyError('suppressed', `${address} is suppressed ${scope} since ${entry.since.slice(0, 10)} (${entry.reason}${detail}); nothing was sent`);
  }
}
