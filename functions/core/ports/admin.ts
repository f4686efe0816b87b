import type { AuditEntry, ChannelResource, CredentialHealth, ManagedBy, Note, SecretKind, Signature, SkillRecord, Template } from '../model/admin-resources.ts';
import type { Agent } from '../model/agent.ts';
import type { ChannelSettings } from '../model/channel.ts';
import type { ConversationRef } from '../model/conversation.ts';
import type { FailedMail } from '../model/inbound-record.ts';
import type { InboundStoredMessage, OutboundStoredMessage, StoredMessage } from '../model/stored-message.ts';
import type { ForwardRequestInput, NewConversationRequestInput, ReplyRequestInput } from '../model/reply-request.ts';
import type { LegalHold } from '../model/retention.ts';
import type { SlaView } from '../sla/sla-clock.ts';

/** A stored value with the version its ETag names and who owns it. */
export interface Versioned<T> {
  readonly value: T;
  /** Starts at 1, bumped by every write; the ETag is `"<version>"`. */
  readonly version: number;
  readonly updatedAt: string;
  readonly managedBy: ManagedBy;
}

/** One page of a list; `cursor` is null on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly cursor: string | null;
}

export interface PageRequest {
  readonly limit: number;
  /** Opaque cursor from the previous page; a malformed one is a `ValidationError` on `cursor`. */
  readonly cursor?: string | undefined;
}

/**
 * Versioned items of one kind (channels, skills, a channel's templates, signatures), written
 * with conditional writes so two admins never overwrite each other unseen.
 */
export interface VersionedStore<T> {
  get(id: string): Promise<Versioned<T> | null>;
  list(page: PageRequest): Promise<Page<Versioned<T>>>;
  /** Creates the item at version 1; `ConflictError` when it exists. */
  create(id: string, value: T, at: string): Promise<Versioned<T>>;
  /** Replaces the item at `expectedVersion`; `NotFoundError` when absent, `ConflictError` when the version moved on. */
  replace(id: string, value: T, expectedVersion: number, at: string): Promise<Versioned<T>>;
  /** Deletes the item at `expectedVersion`; `NotFoundError` when absent, `ConflictError` when the version moved on. */
  delete(id: string, expectedVersion: number): Promise<void>;
}

/** The receipt side of a channel: which addresses the mail service accepts and hands to the inbound function. */
export interface ReceiptRules {
  /** Makes the channel's address and aliases receive mail (creates or updates its rule); idempotent. */
  put(channel: ChannelSettings): Promise<void>;
  /** Stops receiving for the channel; idempotent. */
  remove(channelId: string): Promise<void>;
}

/** The queues of a skill: a FIFO queue with its FIFO dead-letter queue and redrive. */
export interface SkillQueues {
  /** Creates both queues (or returns the existing ones); idempotent. */
  create(skill: string): Promise<{ readonly queueUrl: string; readonly deadLetterQueueUrl: string }>;
  /** Messages waiting (visible and in flight) on the skill's queue and its dead-letter queue. */
  depth(skill: string): Promise<number>;
  /** Deletes both queues; idempotent. */
  delete(skill: string): Promise<void>;
}

export interface AuditLog {
  append(entry: AuditEntry): Promise<void>;
  /** Newest first. */
  list(page: PageRequest): Promise<Page<AuditEntry>>;
}

/** What a conversation list can be narrowed by; all given filters must hold. */
export interface ConversationFilter {
  readonly channelId?: string | undefined;
  readonly status?: 'open' | 'closed' | undefined;
  /** Lowercase address of a participant. */
  readonly participant?: string | undefined;
  /** Skill the conversation's last routed message went to. */
  readonly skill?: string | undefined;
  /** ISO times bounding the conversation's creation. */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/** A conversation as the API lists it. */
export interface ConversationSummary extends Omit<ConversationRef, 'sla'> {
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly lastSkill: string | null;
  /** The legal hold that keeps it from expiring; null (or absent) when none stands. */
  readonly legalHold?: LegalHold | null;
  /** When it expires (ISO 8601), moved by each new message; null while held (or for one stored before expiry was kept). */
  readonly expiresAt?: string | null;
  /** Its SLA as it stands now (`docs/sla.md`); null when it has none. */
  readonly sla?: SlaView | null;
}

/** Read and admin side of conversations (the inbound side is `ConversationStore`). */
export interface ConversationAdmin {
  /** Newest first. */
  list(filter: ConversationFilter, page: PageRequest): Promise<Page<ConversationSummary>>;
  /** A published conversation by id (a merged one resolves to where it ended), or null. */
  get(id: string): Promise<ConversationSummary | null>;
  /** The conversation a ticket number names on a channel, or null. */
  findByTicketNumber(channelId: string, ticketNumber: string): Promise<ConversationSummary | null>;
  /** Every stored message of both directions, in time order. */
  messages(id: string): Promise<StoredMessage[]>;
  notes(id: string): Promise<Note[]>;
  addNote(note: Note): Promise<void>;
  /**
   * Sets the status and/or the agent (the `lastAgent` preferred-agent routing reads), only while
   * `updatedAt` is `expectedUpdatedAt` when given; `ConflictError` when it moved on.
   */
  update(
    id: string,
    change: { readonly status?: 'open' | 'closed'; readonly agent?: string },
    at: string,
    expectedUpdatedAt?: string,
  ): Promise<ConversationSummary>;
}

export interface FailedMailAdmin {
  /** Newest first. */
  list(page: PageRequest): Promise<Page<FailedMail>>;
  get(sesMessageId: string, channelId: string | null): Promise<FailedMail | null>;
  /** Forgets a failure once its replay succeeded. */
  remove(sesMessageId: string, channelId: string | null): Promise<void>;
}

/** Ciphertexts of a channel's credentials and what the last check said. Never holds plaintext. */
export interface StoredCredentials {
  readonly ciphertexts: Partial<Record<SecretKind, string>>;
  readonly setAt: Partial<Record<SecretKind, string>>;
  readonly health: CredentialHealth;
}

export interface CredentialStore {
  get(channelId: string): Promise<StoredCredentials | null>;
  /** Stores one ciphertext (and resets the health to unknown). */
  putSecret(channelId: string, kind: SecretKind, ciphertext: string, at: string): Promise<void>;
  putHealth(channelId: string, health: CredentialHealth): Promise<void>;
  /** Removes every secret and pending OAuth state of a channel and records `health`; returns the kinds that were set. */
  clear(channelId: string, health: CredentialHealth): Promise<SecretKind[]>;
  /** Records an OAuth `state` handed out with a consent page, good until `expiresAt`; forgets states expired by `now`. */
  putOAuthState(channelId: string, state: string, expiresAt: string, now: string): Promise<void>;
  /** Consumes a recorded state that has not expired by `now`: true once, false for an unknown, used or expired one. */
  takeOAuthState(channelId: string, state: string, now: string): Promise<boolean>;
}

export type TemplateStoreFactory = (channelId: string) => VersionedStore<Template>;
export type SignatureStore = VersionedStore<Signature>;
export type ChannelStore = VersionedStore<ChannelResource>;
export type SkillStore = VersionedStore<SkillRecord>;
export type AgentStore = VersionedStore<Agent>;

/**
 * Queues an agent's reply (the outbound use case, which validates the request: the one parse of a
 * reply); returns the stored outbound message in `queued`.
 */
export interface ReplySender {
  reply(request: ReplyRequestInput): Promise<OutboundStoredMessage>;
  /** An agent's new mail that starts a conversation (`startConversation`): the conversation and the mail, `queued`. */
  startConversation(request: NewConversationRequestInput): Promise<{ readonly conversation: ConversationRef; readonly message: OutboundStoredMessage }>;
  /** An agent's forward of customer mail to an external party (`queueForward`), `queued`. */
  forward(request: ForwardRequestInput): Promise<OutboundStoredMessage>;
}

/** The body of a stored message, read from where it is kept (raw mail for inbound messages). */
export interface MessageBody {
  /** The whole text, quoted history included. */
  readonly text: string;
  /** What is new: quoted history and signature removed. */
  readonly newText: string;
  /** Sanitized HTML, or null for a plain-text message. */
  readonly html: string | null;
}

export interface MessageBodies {
  /** The body, or null where none is kept (yet). */
  read(message: StoredMessage): Promise<MessageBody | null>;
}

/** Short-lived download links for attachments. */
export interface AttachmentLinks {
  /** A presigned GET URL for the `index`th attachment of an inbound message. `NotFoundError` when there is none. */
  download(message: InboundStoredMessage, index: number): Promise<{ readonly url: string; readonly expiresAt: string }>;
  /**
   * A presigned upload form for a reply attachment of exactly `size` bytes and the content type
   * given (the storage refuses any other), and the key a reply names it by: below the uploading
   * agent's prefix, so only their replies can attach it.
   */
  upload(input: { readonly agentId: string; readonly filename: string; readonly contentType: string; readonly size: number }): Promise<UploadLink>;
}

/** Where and how to upload a file: POST a multipart form of `fields` and then the file (`file`) to `url`. */
export interface UploadLink {
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly key: string;
  readonly expiresAt: string;
}
