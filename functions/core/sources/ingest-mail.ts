import type { ChannelSettings } from '../model/channel.ts';
import type { InboundMail } from '../model/inbound-record.ts';
import { type ReceiveMailDeps, type ReceiveOutcome, receiveForChannel } from '../inbound/receive-mail.ts';
import type { RawMailWriter, SourceKeys } from '../ports/source-state.ts';

export interface IngestDeps {
  readonly receive: ReceiveMailDeps;
  readonly keys: SourceKeys;
  readonly raw: RawMailWriter;
  /** Where the raw copy of a mail id is stored (the same prefix as SES's, so retention treats both alike). */
  readonly rawKeyOf: (mailId: string) => string;
  /** SHA-256 as lowercase hex (`node:crypto` in the adapters: the core imports no platform module). */
  readonly sha256: (data: Uint8Array | string) => string;
}

/** One message read from a mailbox or an archive. */
export interface IngestInput {
  readonly origin: NonNullable<InboundMail['origin']>;
  readonly raw: Uint8Array;
  /** When the mailbox received it; the time of reading when unknown. */
  readonly receivedAt: string;
  readonly imported: boolean;
}

export type IngestOutcome = ReceiveOutcome & { readonly mailId: string };

/** The processing record id of a source key: stable, so every poll and every re-run of an import finds the same record. */
export function sourceMailId(deps: Pick<IngestDeps, 'sha256'>, channelId: string, key: string): string {
  return `src-${deps.sha256(`${channelId}\n${key}`).slice(0, 40)}`;
}

/**
 * Runs one message of a mailbox or an archive through exactly the path SES-received mail takes:
 * the raw copy is stored first, then the processing record and its steps (`receiveForChannel`).
 *
 * Idempotent by the source key, with the content hash as backstop: the first key to claim a
 * content owns its processing record, and the same bytes under another key (a UIDVALIDITY
 * rescan, a message filed twice, an archive imported again under another name) are processed as
 * that record, which is a duplicate once it is final and is finished otherwise.
 */
export async function ingestMail(deps: IngestDeps, channel: ChannelSettings, input: IngestInput): Promise<IngestOutcome> {
  const own = sourceMailId(deps, channel.id, input.origin.key);
  const sha256 = deps.sha256(input.raw);
  const mailId = await deps.keys.claimHash(channel.id, sha256, own);
  const rawKey = deps.rawKeyOf(mailId);
  await deps.raw.put(rawKey, input.raw);
  const mail: InboundMail = {
    sesMessageId: mailId,
    rawKey,
    recipients: [channel.address.toLowerCase()],
    verdicts: {},
    receivedAt: input.receivedAt,
    origin: input.origin,
    ...(input.imported ? { imported: true } : {}),
  };
  const outcome = await receiveForChannel(deps.receive, channel, mail);
  return { ...outcome, mailId };
}
