import type { ChannelSettings } from '../model/channel.ts';
import type { FailedMailStore } from '../ports/inbound.ts';
import { type IngestDeps, ingestMail, sourceMailId } from './ingest-mail.ts';

export interface ImportDeps extends IngestDeps {
  readonly failed: FailedMailStore;
  readonly now: () => Date;
}

/** One message of an archive to import. */
export interface ArchivedMail {
  readonly raw: Uint8Array;
  /** For people and for the failed list: the file and position it came from. */
  readonly origin: string;
  /** Larger than the limit: not read, listed as failed. */
  readonly tooLarge?: boolean;
  /** Listed, but could not be read: why. */
  readonly unreadable?: string;
}

export type ImportOutcome = 'imported' | 'duplicate' | 'failed';

export interface ImportedMail {
  readonly outcome: ImportOutcome;
  readonly mailId: string;
  readonly conversationId: string | null;
  readonly reason?: string;
}

/**
 * Imports one message of an existing archive into a channel, through the live path: threaded
 * among the others by the live rules, classified as usual, its conversation created closed, queued
 * nowhere and never acknowledged (`imported`). The key is the content's hash, so importing the
 * same message again (a re-run, an interrupted run resumed, the same mail in two archives) finds
 * its record final and reports a duplicate; a later reply by the customer reopens the conversation
 * through live threading. A message too large or unreadable is listed as failed with its reason.
 */
export async function importMail(deps: ImportDeps, channel: ChannelSettings, mail: ArchivedMail): Promise<ImportedMail> {
  if (mail.tooLarge || mail.unreadable) {
    const key = `import:origin:${mail.origin}`;
    const mailId = sourceMailId(deps, channel.id, key);
    const reason = mail.tooLarge
      ? `${mail.origin}: larger than the channel's limit of ${channel.maxMessageBytes} bytes; not imported`
      : `${mail.origin}: ${mail.unreadable}`;
    const at = deps.now().toISOString();
    await deps.failed.put({
      sesMessageId: mailId,
      channelId: channel.id,
      rawKey: '',
      code: mail.tooLarge ? 'too-large' : 'unparseable',
      reason,
      failedAt: at,
      mail: {
        sesMessageId: mailId,
        rawKey: '',
        recipients: [channel.address.toLowerCase()],
        verdicts: {},
        receivedAt: at,
        origin: { type: 'archive', key },
        imported: true,
      },
    });
    return { outcome: 'failed', mailId, conversationId: null, reason };
  }
  const key = `import:${deps.sha256(mail.raw)}`;
  const outcome = await ingestMail(deps, channel, { origin: { type: 'archive', key }, raw: mail.raw, receivedAt: deps.now().toISOString(), imported: true });
  if (outcome.status === 'failed')
    return { outcome: 'failed', mailId: outcome.mailId, conversationId: null, reason: `${mail.origin}: ${outcome.error.reason}` };
  return { outcome: outcome.duplicate ? 'duplicate' : 'imported', mailId: outcome.mailId, conversationId: outcome.conversationId };
}
