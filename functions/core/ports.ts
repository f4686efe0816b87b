import type { ParsedMessage } from './model/message.ts';
import type { ConversationRef } from './model/conversation.ts';

/** Limits on hostile input, enforced by the parser. */
export interface ParseLimits {
  /** Largest raw message in bytes. */
  readonly maxBytes: number;
  /** Deepest nesting of multipart / message parts. */
  readonly maxDepth: number;
  /** Most MIME parts in one message. */
  readonly maxParts: number;
  /** Largest header block (top level) in bytes. */
  readonly maxHeaderBytes: number;
  /** Most Message-IDs kept from References (the newest are kept). */
  readonly maxReferences: number;
}

export const DEFAULT_PARSE_LIMITS: ParseLimits = {
  maxBytes: 40 * 1024 * 1024,
  maxDepth: 20,
  maxParts: 500,
  maxHeaderBytes: 256 * 1024,
  maxReferences: 100,
};

/** Turns raw MIME into the normalized message. Throws only `MailParseError`. */
export interface MimeParser {
  parse(raw: Uint8Array, limits?: Partial<ParseLimits>): Promise<ParsedMessage>;
}

/** Read side of the conversation store, as threading needs it. */
export interface ThreadLookup {
  /** Conversation each known Message-ID belongs to; unknown ids are absent from the map. */
  findByMessageIds(channelId: string, messageIds: readonly string[]): Promise<Map<string, ConversationRef>>;
  findByTicketNumber(channelId: string, ticketNumber: string): Promise<ConversationRef | null>;
  findByReplyToken(channelId: string, token: string): Promise<ConversationRef | null>;
}

/** Hands out the next value of a channel's ticket counter (1, 2, 3, …). */
export interface TicketSequence {
  next(channelId: string): Promise<number>;
}

export interface Clock {
  now(): Date;
}

export interface IdGenerator {
  /** A new unique, URL-safe id. */
  next(): string;
}
