import type { SettledKey, SourceState } from '../model/source-state.ts';

/** The state of channels' mailbox sources, one item each, written over the version read. */
export interface SourceStateStore {
  get(channelId: string): Promise<SourceState | null>;
  /** Writes the state if the stored version is still `state.version - 1` (or none is stored for version 0); false when another poll wrote first. */
  put(state: SourceState): Promise<boolean>;
  /**
   * Takes the channel's poll lease until `until` unless another poll holds one that has not
   * expired at `now`: one poll of a mailbox at a time, however it was started.
   */
  lease(channelId: string, now: string, until: string): Promise<boolean>;
  release(channelId: string): Promise<void>;
  delete(channelId: string): Promise<void>;
}

/**
 * Per message key of a source: the pending move once its mail is final (written before the
 * mailbox is touched, replayed when the key shows up again), and the content hashes seen, the
 * backstop against the same message under a new key.
 */
export interface SourceKeys {
  /** What was recorded for these keys (absent keys are missing from the map). */
  settled(channelId: string, keys: readonly string[]): Promise<ReadonlyMap<string, SettledKey>>;
  markSettled(channelId: string, entry: SettledKey): Promise<void>;
  /** Claims a content hash for a mail id; returns the id that holds it (first writer wins). */
  claimHash(channelId: string, sha256: string, mailId: string): Promise<string>;
}

/** Stores raw mail read from a mailbox or an archive, before anything else happens to it. */
export interface RawMailWriter {
  put(key: string, raw: Uint8Array): Promise<void>;
}
