import type { SubjectMatcher } from '../governance/address-match.ts';
import type { Redacted } from '../governance/redact-records.ts';
import type { PrivacyJob } from '../governance/privacy-job.ts';
import type { AuditEntry, Note } from '../model/admin-resources.ts';
import type { OutboundStoredMessage, StoredMessage } from '../model/stored-message.ts';
import type { SuppressionEntry } from '../model/suppression.ts';

/** Jobs of subject access (export) and erasure, one item each, written over the version read. */
export interface PrivacyJobStore {
  get(id: string): Promise<PrivacyJob | null>;
  /** Writes the job if the stored version is `job.version - 1` (none stored for version 1); false when another writer came first. */
  put(job: PrivacyJob): Promise<boolean>;
  /** Every job (they are few: one per request). */
  list(): Promise<PrivacyJob[]>;
}

/** Where a scan stopped: the store's own key, opaque to the core. */
export type ScanCursor = Readonly<Record<string, string>>;

/** An item by its key in its table, opaque to the core. */
export type ItemRef = Readonly<Record<string, string>>;

/**
 * What a scan found naming the person, by what it is. The store decides the kind from its own
 * layout; the core decides what exporting or erasing it means.
 */
export type Finding =
  /** Any item of a conversation (the conversation, a message, a note) or a record that belongs to one. */
  | { readonly kind: 'conversation'; readonly conversationId: string }
  /** A message kept without a conversation (quarantined, dropped, unattached). */
  | { readonly kind: 'loose-message'; readonly message: StoredMessage }
  /** A processing record or failed-mail item of an inbound mail: the raw copy behind it. */
  | {
      readonly kind: 'mail';
      readonly sesMessageId: string;
      readonly rawKey: string | null;
      readonly channelId: string | null;
      readonly conversationId: string | null;
    }
  | { readonly kind: 'suppression'; readonly entry: SuppressionEntry; readonly ref: ItemRef }
  /** An item whose key names the person (an acknowledgement claim, a window event): it can only be deleted. */
  | {
      readonly kind: 'keyed';
      readonly what: string;
      readonly ref: ItemRef;
      readonly item: Readonly<Record<string, unknown>>;
      readonly conversationId?: string | null;
    }
  /** Any other item naming the person in its attributes (a feedback record, an outbound record): redacted in place. */
  | {
      readonly kind: 'record';
      readonly what: string;
      readonly ref: ItemRef;
      readonly item: Readonly<Record<string, unknown>>;
      readonly conversationId?: string | null;
    }
  /** Settings naming the address (a routing rule, an agent): never changed by a job, reported for an admin to review. */
  | { readonly kind: 'configuration'; readonly what: string };

export interface ScanPage {
  readonly findings: readonly Finding[];
  /** Items read on this page. */
  readonly scanned: number;
  /** Where the next page starts; null at the end of the table. */
  readonly cursor: ScanCursor | null;
}

/**
 * The table read item by item: there is no index by address (one would be an index of personal
 * data), so finding everything of one person reads the whole table once, page by page.
 */
export interface SubjectScan {
  page(m: SubjectMatcher, cursor: ScanCursor | null): Promise<ScanPage>;
  /** The table's item count as the store estimates it (for progress), or null. */
  estimate(): Promise<number | null>;
}

/** The audit log read page by page, and the one change ever made to it: redacting an entry. */
export interface AuditRecords {
  page(cursor: ScanCursor | null): Promise<{ readonly entries: readonly AuditEntry[]; readonly cursor: ScanCursor | null }>;
  /** Replaces an existing entry (same time and id) with its redacted form. */
  replace(entry: AuditEntry): Promise<void>;
  append(entry: AuditEntry): Promise<void>;
}

/** A conversation as a job needs it: the conversation's facts, every message and note. */
export interface ConversationBundle {
  readonly conversation: {
    readonly id: string;
    readonly channelId: string;
    readonly ticketNumber: string;
    readonly status: string;
    readonly createdAt: string;
    readonly participants: readonly string[];
    /** A legal hold (`legalHold` on the conversation item): nothing of it may be erased. */
    readonly legalHold: boolean;
    /** The conversation it was merged into, when it lost a creation race. */
    readonly mergedInto: string | null;
  };
  readonly messages: readonly StoredMessage[];
  readonly notes: readonly Note[];
}

/** What a job reads besides the scan. */
export interface SubjectData {
  conversation(id: string): Promise<ConversationBundle | null>;
  /** A raw mail; null when it is gone (retention, an earlier erasure). */
  rawMail(key: string): Promise<Uint8Array | null>;
  /** The planned mail of a message we sent, as stored (JSON); null when gone. */
  plan(channelId: string, messageId: string): Promise<Record<string, unknown> | null>;
  /** An uploaded attachment of a reply; null when gone. */
  upload(key: string): Promise<Uint8Array | null>;
}

/** Every write an erasure makes. Each is idempotent: a second run finds less and does less. */
export interface SubjectEraser {
  /** Deletes a conversation and everything under it: messages, notes, its ticket and reply-token index items. Returns the items deleted. */
  deleteConversation(bundle: ConversationBundle): Promise<number>;
  /** Removes the addresses from the conversation's participants and redacts its other text. */
  redactConversation(conversationId: string, m: SubjectMatcher): Promise<boolean>;
  /** Replaces a message's item (the stub of an erased message). */
  putMessage(message: StoredMessage): Promise<void>;
  deleteMessage(message: StoredMessage): Promise<void>;
  /** Redacts a message's item where it stands (every attribute, its processing checkpoint too). */
  redactMessage(message: StoredMessage, m: SubjectMatcher): Promise<boolean>;
  putNote(note: Note): Promise<void>;
  /**
   * Deletes an inbound mail whole: its content-hash and source-key items, extracted attachments,
   * the raw copy, then its processing records and failed-mail items. Returns what it removed.
   */
  eraseInboundMail(mail: { readonly sesMessageId: string; readonly rawKey: string | null; readonly messageId: string | null }): Promise<number>;
  /**
   * Conversations under a legal hold that a record of this mail belongs to (one mail to two
   * channels has one raw copy and a record per channel): its raw copy and attachments are theirs too.
   */
  heldSharers(sesMessageId: string): Promise<readonly string[]>;
  /** Deletes an inbound mail's records but those of the `keep` conversations; the raw copy and attachments stay. */
  eraseInboundRecordsOnly(sesMessageId: string, keep: readonly string[]): Promise<number>;
  /** Redacts the processing records and failed-mail items of an inbound mail. */
  redactInboundRecords(sesMessageId: string, m: SubjectMatcher): Promise<number>;
  /** Deletes a message we sent whole but its item: its send record, feedback lookups, planned mail and uploads. */
  eraseOutbound(message: OutboundStoredMessage): Promise<number>;
  /** Redacts the send record of a message we sent. */
  redactOutboundRecord(message: OutboundStoredMessage, m: SubjectMatcher): Promise<boolean>;
  /** Deletes the Message-ID claims of `ids` on the channel unless a message outside `owners` owns one. */
  releaseClaims(channelId: string, ids: readonly string[], owners: readonly string[]): Promise<number>;
  putRawMail(key: string, raw: Uint8Array): Promise<void>;
  putPlan(channelId: string, messageId: string, plan: Record<string, unknown>): Promise<void>;
  deleteItem(ref: ItemRef): Promise<void>;
  /** Writes an item's attributes back (its key unchanged). */
  replaceItem(ref: ItemRef, attributes: Record<string, unknown>): Promise<void>;
  putSuppression(entry: SuppressionEntry): Promise<void>;
}

/** Rewrites a raw mail without the person: headers, every text part, enclosed messages. */
export interface MailRedactor {
  redact(raw: Uint8Array, m: SubjectMatcher): Redacted<Uint8Array>;
}

/** What an export needs of a raw mail: who wrote it, its text and its attachments. */
export interface MailContents {
  read(raw: Uint8Array): Promise<{
    readonly from: readonly string[];
    readonly subject: string;
    readonly text: string;
    readonly attachments: readonly { readonly filename: string; readonly contentType: string; readonly content: Uint8Array }[];
  }>;
}

/** Intermediate results of an export's scan, kept until the archive is packed. */
export interface ExportStaging {
  put(jobId: string, part: number, data: unknown): Promise<void>;
  get(jobId: string, part: number): Promise<unknown>;
  clear(jobId: string): Promise<void>;
}

/** One archive being written. */
export interface ArchiveWriter {
  add(path: string, data: Uint8Array | string): Promise<void>;
  /** Finishes and stores the archive; returns its key and size. */
  close(): Promise<{ readonly key: string; readonly bytes: number }>;
  /** Drops what was written. */
  abort(): Promise<void>;
}

/** Export archives in storage, downloaded through short-lived links. */
export interface ExportArchives {
  create(jobId: string): Promise<ArchiveWriter>;
  downloadUrl(key: string): Promise<{ readonly url: string; readonly expiresAt: string }>;
  delete(key: string): Promise<void>;
}
