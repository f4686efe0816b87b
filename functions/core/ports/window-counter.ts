/**
 * Counts events per key over a sliding window (soft failures of an address, mails of a sender).
 * Recording the same event (same id and time) twice counts it once, so a retried step is harmless.
 */
export interface WindowCounter {
  /** Records the event and returns how many events of `key` fall in `(at - windowMs, at]`, this one included. */
  hit(key: string, event: { readonly id: string; readonly at: Date }, windowMs: number): Promise<number>;
}
