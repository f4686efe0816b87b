import type { SuppressionEntry, SuppressionScope } from '../../core/model/suppression.ts';
import type { SuppressionList } from '../../core/ports/suppression.ts';
import { HASHED_ADDRESS_PREFIX } from '../../core/model/suppression.ts';
import { sha256Hex } from '../node-digests.ts';

const scopeKey = (scope: SuppressionScope): string => (scope.kind === 'account' ? '*' : scope.channelId);

/** The suppression list in memory, with the DynamoDB list's semantics (lowercase addresses, address order). */
export class MemorySuppressionList implements SuppressionList {
  private readonly entries = new Map<string, Map<string, SuppressionEntry>>();

  async find(channelId: string, address: string): Promise<SuppressionEntry | null> {
    const wanted = address.trim().toLowerCase();
    const found = this.entries.get(channelId)?.get(wanted) ?? this.entries.get('*')?.get(wanted);
    if (found) return found;
    const hashed = this.entries.get('*')?.get(`${HASHED_ADDRESS_PREFIX}${sha256Hex(wanted)}`);
    return hashed ? { ...hashed, address: wanted } : null;
  }

  async put(entry: SuppressionEntry): Promise<void> {
    const key = scopeKey(entry.scope);
    const scope = this.entries.get(key) ?? new Map<string, SuppressionEntry>();
    const address = entry.address.trim().toLowerCase();
    scope.set(address, { ...entry, address });
    this.entries.set(key, scope);
  }

  async remove(scope: SuppressionScope, address: string): Promise<boolean> {
    return this.entries.get(scopeKey(scope))?.delete(address.trim().toLowerCase()) ?? false;
  }

  async list(scope: SuppressionScope, options: { readonly limit: number; readonly cursor?: string }) {
    const all = [...(this.entries.get(scopeKey(scope))?.values() ?? [])].sort((a, b) => a.address.localeCompare(b.address));
    const after = options.cursor === undefined ? all : all.filter((e) => e.address > (options.cursor ?? ''));
    const entries = after.slice(0, options.limit);
    const last = entries[entries.length - 1];
    return { entries, cursor: after.length > options.limit && last ? last.address : null };
  }
}
