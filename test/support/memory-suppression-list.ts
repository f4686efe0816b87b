import type { SuppressionEntry, SuppressionScope } from '../../functions/core/model/suppression.ts';
import type { SuppressionList } from '../../functions/core/ports/suppression.ts';

const scopeKey = (scope: SuppressionScope): string => (scope.kind === 'account' ? 'account' : `channel:${scope.channelId}`);

/** An in-memory suppression list for route tests (the real adapters live with the send path). */
export class MemorySuppressionList implements SuppressionList {
  private readonly entries = new Map<string, SuppressionEntry>();

  async find(channelId: string, address: string): Promise<SuppressionEntry | null> {
    const a = address.toLowerCase();
    return this.entries.get(`channel:${channelId}|${a}`) ?? this.entries.get(`account|${a}`) ?? null;
  }

  async put(entry: SuppressionEntry): Promise<void> {
    this.entries.set(`${scopeKey(entry.scope)}|${entry.address}`, entry);
  }

  async remove(scope: SuppressionScope, address: string): Promise<boolean> {
    return this.entries.delete(`${scopeKey(scope)}|${address}`);
  }

  async list(scope: SuppressionScope, options: { readonly limit: number; readonly cursor?: string }) {
    const all = [...this.entries.values()].filter((e) => scopeKey(e.scope) === scopeKey(scope)).sort((a, b) => a.address.localeCompare(b.address));
    const after = options.cursor ? all.filter((e) => e.address > (options.cursor ?? '')) : all;
    const entries = after.slice(0, options.limit);
    return { entries, cursor: after.length > options.limit ? (entries[entries.length - 1]?.address ?? null) : null };
  }
}
