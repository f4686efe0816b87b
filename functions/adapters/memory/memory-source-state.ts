import type { SettledKey, SourceState } from '../../core/model/source-state.ts';
import type { RawMailStore } from '../../core/ports/inbound.ts';
import type { RawMailWriter, SourceKeys, SourceStateStore } from '../../core/ports/source-state.ts';
import { NotFoundError } from '../../core/errors.ts';

/** `SourceStateStore` in memory, for unit tests and the CLI's dry runs. */
export class MemorySourceStateStore implements SourceStateStore {
  readonly states = new Map<string, SourceState>();
  private readonly leases = new Map<string, string>();

  async get(channelId: string): Promise<SourceState | null> {
    return this.states.get(channelId) ?? null;
  }

  async put(state: SourceState): Promise<boolean> {
    const stored = this.states.get(state.channelId);
    if ((stored?.version ?? 0) !== state.version - 1) return false;
    this.states.set(state.channelId, state);
    return true;
  }

  async lease(channelId: string, now: string, until: string): Promise<boolean> {
    const held = this.leases.get(channelId);
    if (held && held >= now) return false;
    this.leases.set(channelId, until);
    return true;
  }

  async release(channelId: string): Promise<void> {
    this.leases.delete(channelId);
  }

  async delete(channelId: string): Promise<void> {
    this.states.delete(channelId);
  }
}

export class MemorySourceKeys implements SourceKeys {
  readonly entries = new Map<string, SettledKey>();
  readonly hashes = new Map<string, string>();

  async settled(channelId: string, keys: readonly string[]): Promise<ReadonlyMap<string, SettledKey>> {
    const found = new Map<string, SettledKey>();
    for (const key of keys) {
      const entry = this.entries.get(`${channelId}\n${key}`);
      if (entry) found.set(key, entry);
    }
    return found;
  }

  async markSettled(channelId: string, entry: SettledKey): Promise<void> {
    this.entries.set(`${channelId}\n${entry.key}`, entry);
  }

  async claimHash(channelId: string, sha256: string, mailId: string): Promise<string> {
    const k = `${channelId}\n${sha256}`;
    const holder = this.hashes.get(k);
    if (holder) return holder;
    this.hashes.set(k, mailId);
    return mailId;
  }
}

/** Raw mail in memory: written by the poller or an import, read by the inbound steps. */
export class MemoryRawMail implements RawMailStore, RawMailWriter {
  readonly objects = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array> {
    const raw = this.objects.get(key);
    if (!raw) throw new NotFoundError(`raw mail ${key} does not exist`);
    return raw;
  }

  async put(key: string, raw: Uint8Array): Promise<void> {
    this.objects.set(key, raw);
  }
}
