/**
 * A mailbox a channel reads its mail from (IMAP, POP3, Microsoft Graph): what the poller needs
 * of one, whatever the protocol. Adapters live in `adapters/sources/`.
 *
 * A cursor is the adapter's own JSON value (the poller stores it and hands it back unread): an
 * IMAP folder's UIDVALIDITY and last UID, the POP3 UIDLs kept, a Graph delta link.
 */
export type SourceCursor = { readonly [key: string]: unknown };

/** One message waiting in the mailbox. */
export interface MailboxItem {
  /**
   * The source-specific idempotency key, stable across polls: `imap:<folder>:<uidvalidity>:<uid>`,
   * `pop3:<uidl>`, `graph:<immutable id>`. A message gets a new key only when the mailbox says it
   * is another (a UIDVALIDITY change); the content hash backs that case up.
   */
  readonly key: string;
  /** Size in bytes as the server reports it, null when it does not say. */
  readonly size: number | null;
  /** When the mailbox received it (IMAP INTERNALDATE, Graph receivedDateTime), ISO 8601; null when unknown (POP3). */
  readonly receivedAt: string | null;
  /** The cursor to store once this message and every one listed before it are settled. */
  readonly cursorAfter: SourceCursor;
}

export interface MailboxListing {
  /** Messages after the cursor, oldest first, at most the limit asked for. */
  readonly items: readonly MailboxItem[];
  /** True when the mailbox holds more after the last item than the limit let through. */
  readonly more: boolean;
  /**
   * True when the cursor given no longer applies (an IMAP UIDVALIDITY change, an expired Graph
   * delta link): the listing starts from the beginning of the folder again.
   */
  readonly rescan: boolean;
  /**
   * The position after everything this listing covered, when the mailbox can say (a Graph delta
   * round's link, an IMAP folder's last UID): stored once every item is settled, and also when
   * there were none, so a cursor moves on past pages that held no new mail.
   */
  readonly cursor?: SourceCursor;
}

/** What becomes of a message once its processing record is final. */
export type SettleAction =
  | { readonly type: 'move'; readonly folder: string }
  | { readonly type: 'delete' }
  /** Left where it is; the cursor (and the final record) remember it. */
  | { readonly type: 'keep' };

/** The mailbox's position when the source first connected: what was there then is "old" mail. */
export type SourceBoundary = SourceCursor;

/** One logged-in session with a mailbox. */
export interface MailboxSession {
  /** Messages after `cursor` (null: from the beginning), oldest first. */
  list(cursor: SourceCursor | null, limit: number): Promise<MailboxListing>;
  /** The raw message. `maxBytes`: a message larger than this is not read (`MailboxTooLargeError`). */
  fetch(item: MailboxItem, maxBytes: number): Promise<Uint8Array>;
  /** Moves, deletes or keeps a message; a message no longer there is no error (it was settled before). */
  settle(item: MailboxItem, action: SettleAction): Promise<void>;
  /** The mailbox's current end, as a cursor: listing from it lists only mail that arrives later. */
  end(): Promise<SourceCursor>;
  /** The position to remember at the first connection, and whether an item was already there then. */
  boundary(): Promise<SourceBoundary>;
  precedes(item: MailboxItem, boundary: SourceBoundary): boolean;
  /**
   * Change notifications, where the mailbox offers them (Graph): subscribes `notificationUrl` to
   * new mail in the folder, or renews `current` when it expires soon; returns the subscription
   * that stands. Polling stays the safety net: a notification only makes the next poll come sooner.
   */
  watch?(input: WatchInput): Promise<MailboxSubscription>;
  close(): Promise<void>;
}

export interface MailboxSubscription {
  readonly id: string;
  /** ISO 8601. */
  readonly expiresAt: string;
}

export interface WatchInput {
  readonly notificationUrl: string;
  /** The shared secret every notification carries back. */
  readonly clientState: string;
  readonly current: MailboxSubscription | null;
}

/** Opens sessions. Throws `MailboxAuthError` when the login is refused, `MailboxUnavailableError` when the server cannot be reached. */
export interface MailboxConnector {
  open(): Promise<MailboxSession>;
}

/** The server refused the login (wrong password, revoked consent, refresh token refused): the source is failing until fixed. */
export class MailboxAuthError extends Error {
  override readonly name = 'MailboxAuthError';
}

/** The server could not be reached or broke off (network, timeout, throttling): retried on the next poll. */
export class MailboxUnavailableError extends Error {
  override readonly name = 'MailboxUnavailableError';
  constructor(
    message: string,
    /** Milliseconds the server asked to wait (Graph's `Retry-After`), when it said. */
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

/** The message left the mailbox between listing and reading (a person moved it): nothing to do. */
export class MailboxItemGoneError extends Error {
  override readonly name = 'MailboxItemGoneError';
}

/** A message larger than the fetch allowed; it is settled into the Failed folder with this reason. */
export class MailboxTooLargeError extends Error {
  override readonly name = 'MailboxTooLargeError';
}

/** How a mailbox adapter logs in; each secret is decrypted only when a login needs it. */
export type MailboxCredentials =
  | { readonly type: 'password'; readonly password: () => Promise<string> }
  /** XOAUTH2 (IMAP, POP3) or a bearer token (Graph); `fresh` asks for a new token after the server refused the cached one. */
  | { readonly type: 'oauth2'; readonly accessToken: (options?: { readonly fresh?: boolean }) => Promise<string> };
