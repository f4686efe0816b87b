/**
 * State of automatic acknowledgements per (channel, sender): the mails a sender sent lately (for
 * the circuit breaker) and when the sender was last acknowledged (for the RFC 3834 §2 window).
 */
export interface AcknowledgementLedger {
  /**
   * Records a mail from `sender` (idempotent by mail id) and returns how many mails of the sender
   * fall in the breaker window ending at `at`, this one included.
   */
  recordMail(channelId: string, sender: string, mail: { readonly id: string; readonly at: Date }, windowMs: number): Promise<number>;
  /** The last acknowledgement claimed for `sender` (ISO time and the mail that claimed it), or null. */
  lastAcknowledged(channelId: string, sender: string): Promise<{ readonly at: string; readonly mailId: string } | null>;
  /**
   * Claims the acknowledgement of `sender` at `at`: true when no acknowledgement was claimed
   * within `windowMs` before (the caller sends one), false when one was, so two racing mails
   * of one sender send one acknowledgement. A retry by the same mail (`mailId`) wins again.
   */
  markAcknowledged(channelId: string, sender: string, claim: { readonly mailId: string; readonly at: Date }, windowMs: number): Promise<boolean>;
}
