/**
 * Ports of composition: a `MimeComposer` turns a planned `OutboundMail` into raw MIME, reading
 * attachment bytes through an `AttachmentSource`.
 */
import type { AttachmentRef, OutboundMail } from '../model/outbound-mail.ts';

/** The bytes of one attachment and how to label them. */
export interface AttachmentContent {
  readonly filename: string;
  readonly contentType: string;
  readonly content: Uint8Array;
}

/**
 * Fetches the bytes an attachment reference points at: an upload of the agent's app, or a part
 * of a stored inbound message. Throws `NotFoundError` when the object or part does not exist,
 * `PolicyError('policy')` when it is larger than a mail may be, `DependencyError` when the
 * store fails.
 */
export interface AttachmentSource {
  fetch(ref: AttachmentRef): Promise<AttachmentContent>;
}

/**
 * Builds the raw MIME of a planned mail: headers from the plan, the channel template filled
 * with the sanitized body and signature, a plain-text alternative, the attachments. Throws
 * `PolicyError('policy')` when the result is larger than the sending limit.
 */
export interface MimeComposer {
  compose(mail: OutboundMail, attachments: AttachmentSource): Promise<Uint8Array>;
}

/**
 * Readies a reply's attachments when it is queued: finds what is stored under an upload key, and
 * copies a forwarded attachment of an inbound message into the outbound uploads, so the sender
 * reads only uploads (and carries no MIME parser).
 */
export interface AttachmentStager {
  stage(ref: Extract<AttachmentRef, { source: 'inbound' }>, channelId: string): Promise<Extract<AttachmentRef, { source: 's3' }>>;
  /**
   * Copies a received mail, exactly as it arrived, into the uploads as a `message/rfc822` file named
   * `filename`, for a forward to enclose, with its size in bytes. `NotFoundError` when its raw copy is gone.
   */
  enclose(
    mail: { readonly rawKey: string; readonly filename: string },
    channelId: string,
  ): Promise<{ readonly ref: Extract<AttachmentRef, { source: 's3' }>; readonly size: number }>;
  /** The size in bytes of the file stored under an upload key; null when there is none. `DependencyError` when the store fails. */
  sizeOf(key: string): Promise<number | null>;
}
