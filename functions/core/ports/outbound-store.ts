import type { ChannelSettings } from '../model/channel.ts';
import type { OutboundJob } from '../model/outbound-job.ts';
import type { OutboundMail } from '../model/outbound-mail.ts';
import type { OutboundStoredMessage, StoredMessage } from '../model/stored-message.ts';
import type { MailTransport } from './outbound.ts';

/** Planned mails, kept until sent (bodies can be large: object storage, not the table). */
export interface OutboundPlanStore {
  put(mail: OutboundMail, postroomMessageId: string): Promise<void>;
  /** Throws `NotFoundError` when no plan is stored. */
  get(channelId: string, postroomMessageId: string): Promise<OutboundMail>;
}

/** The outbound FIFO queue. */
export interface OutboundQueue {
  /** Group = conversation, deduplication id = message id: a resend after a crash is dropped. */
  send(job: OutboundJob): Promise<void>;
}

/** The messages of a conversation, both directions, in order. */
export interface ConversationMessages {
  list(conversationId: string): Promise<StoredMessage[]>;
  /** One outbound message by its key; `NotFoundError` when absent. */
  getOutbound(key: { readonly conversationId: string; readonly createdAt: string; readonly messageId: string }): Promise<OutboundStoredMessage>;
}

/** The transport a channel sends through (SES, or its own SMTP server with its credentials). */
export interface TransportFactory {
  forChannel(channel: ChannelSettings): Promise<MailTransport>;
}

/** Channel settings by id. */
export interface ChannelLookup {
  /** Throws `NotFoundError` for an unknown channel. */
  getChannel(channelId: string): Promise<ChannelSettings>;
  /** Every channel of the deployment: a mail an agent starts or forwards goes to none of their addresses. */
  all(): Promise<ChannelSettings[]>;
}
