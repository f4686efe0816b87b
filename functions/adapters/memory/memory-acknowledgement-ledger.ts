import type { AcknowledgementLedger } from '../../core/ports/acknowledgement.ts';
import { MemoryWindowCounter } from './memory-window-counter.ts';

const keyOf = (channelId: string, sender: string): string => `${channelId}\u0000${sender.trim().toLowerCase()}`;

/** Acknowledgement state in memory, with the DynamoDB ledger's semantics (one claim per window). */
export class MemoryAcknowledgementLedger implements AcknowledgementLedger {
  private readonly mails = new MemoryWindowCounter();
  private readonly claims = new Map<string, { mailId: string; at: string }>();

  recordMail(channelId: string, sender: string, mail: { readonly id: string; readonly at: Date }, windowMs: number): Promise<number> {
    return this.mails.hit(keyOf(channelId, sender), mail, windowMs);
  }

  async lastAcknowledged(channelId: string, sender: string): Promise<{ at: string; mailId: string } | null> {
    return this.claims.get(keyOf(channelId, sender)) ?? null;
  }

  async markAcknowledged(channelId: string, sender: string, claim: { readonly mailId: string; readonly at: Date }, windowMs: number): Promise<boolean> {
    const key = keyOf(channelId, sender);
    const last = this.claims.get(key);
    const at = claim.at.toISOString();
    if (last && last.mailId !== claim.mailId && Date.parse(last.at) > claim.at.getTime() - windowMs) return false;
    if (last?.mailId === claim.mailId) return true;
    this.claims.set(key, { mailId: claim.mailId, at });
    return true;
  }
}
