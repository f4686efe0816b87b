/*
 * The shapes the console reads, as `docs/openapi.json` documents them (only the fields it uses).
 * Written out here rather than imported, so the browser bundle needs nothing of the server code.
 */

export type Role = 'agent' | 'supervisor' | 'admin';

export interface Me {
  readonly agentId: string;
  readonly role: Role;
  readonly displayName: string;
  readonly channels: readonly string[];
  readonly skills: readonly string[];
}

export interface QueueSummary {
  readonly skill: string;
  readonly description: string | null;
  readonly waiting: number;
  readonly inFlight: number;
}

/** The routed-message record as queued (`docs/schemas/routed-message.v2.json`). */
export interface RoutedPointer {
  readonly channelId: string;
  readonly messageId: string;
  readonly conversationId: string;
  readonly ticketNumber: string;
  readonly isNewConversation: boolean;
  readonly lane: string;
  readonly tags: readonly string[];
  readonly skill: string;
  readonly priority: string;
  readonly from: { readonly address: string; readonly name: string } | null;
  readonly subject: string;
  readonly receivedAt: string;
  readonly previousAgent: string | null;
}

export interface Lease {
  readonly id: string;
  readonly skill: string;
  readonly expiresAt: string;
  readonly conversationId: string | null;
  readonly messageId: string;
  readonly pointer: RoutedPointer;
}

export interface Conversation {
  readonly id: string;
  readonly channelId: string;
  readonly ticketNumber: string;
  readonly participants: readonly string[];
  /** Addresses mail of it was forwarded to: never its customers. */
  readonly externalParties?: readonly string[];
  readonly status: 'open' | 'closed';
  readonly lastAgent: string | null;
  readonly lastSkill: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface MailAddress {
  readonly address: string;
  readonly name: string;
}

export interface Attachment {
  readonly filename: string | null;
  readonly contentType: string;
  readonly size: number;
}

interface MessageCommon {
  readonly messageId: string;
  readonly channelId: string;
  readonly subject: string;
  readonly from: MailAddress | null;
  readonly to: readonly MailAddress[];
  readonly cc: readonly MailAddress[];
  readonly preview: string;
  readonly attachments: readonly Attachment[];
}

export interface InboundMessage extends MessageCommon {
  readonly direction: 'inbound';
  readonly receivedAt: string;
  readonly date: string | null;
  readonly replyTo: readonly MailAddress[];
  readonly lane: string;
  readonly laneReason: string;
  readonly tags: readonly string[];
  readonly route: { readonly skill: string; readonly rule: string; readonly priority: string } | null;
  readonly thread: { readonly rule: string; readonly reason: string; readonly flags: readonly string[]; readonly linkedConversationId?: string | null };
  readonly rejectedAttachments: readonly string[];
}

export interface RecipientDelivery {
  readonly address: string;
  readonly status: string;
  readonly smtpStatus: string | null;
  readonly detail: string | null;
  readonly at: string;
}

export interface OutboundMessage extends MessageCommon {
  readonly direction: 'outbound';
  readonly purpose: 'reply' | 'new' | 'forward' | 'acknowledgement';
  readonly agentId: string | null;
  readonly status: string;
  readonly statusReason: string | null;
  readonly retrying: boolean;
  readonly recipients: readonly RecipientDelivery[];
  readonly createdAt: string;
  readonly sentAt: string | null;
}

export interface AttachmentLink {
  readonly index: number;
  readonly filename: string | null;
  readonly contentType: string;
  readonly size: number;
  readonly download: string;
}

export interface MessageEntry {
  readonly type: 'message';
  readonly at: string;
  readonly message: InboundMessage | OutboundMessage;
  readonly body: { readonly text: string; readonly newText: string; readonly html: string | null } | null;
  readonly attachmentLinks: readonly AttachmentLink[];
}

export interface NoteEntry {
  readonly type: 'note';
  readonly at: string;
  readonly note: {
    readonly id: string;
    readonly text: string;
    readonly at: string;
    readonly author: { readonly kind: string; readonly id: string; readonly agentId?: string };
  };
}

export type HistoryEntry = MessageEntry | NoteEntry;

export interface History {
  readonly conversation: Conversation;
  readonly entries: readonly HistoryEntry[];
}

export interface PresenceEntry {
  readonly agentId: string;
  readonly displayName: string;
  readonly state: 'viewing' | 'answering';
  readonly since: string;
  readonly self: boolean;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly cursor: string | null;
}

export interface Template {
  readonly name: string;
}

export interface Rendered {
  readonly html: string;
  readonly text: string;
}

export interface UploadLink {
  readonly url: string;
  readonly fields: Readonly<Record<string, string>>;
  readonly key: string;
  readonly expiresAt: string;
}

/** What a supervisor or admin may read of a channel: the addresses a reply may be sent from. */
/** `GET /conversations/{id}/senders`: the From choices of a reply, the channel address first. */
export interface Senders {
  readonly channelId: string;
  readonly items: readonly { readonly address: string; readonly name: string; readonly default: boolean }[];
}
