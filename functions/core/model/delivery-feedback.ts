import type { DeliveryStatus } from './stored-message.ts';

/** What a report says about an address, for the suppression policy. */
export type FeedbackSignal =
  /** A bounce: permanent or not, with SES's sub-type when SES reported it. */
  | { readonly kind: 'bounce'; readonly permanent: boolean; readonly subType: string | null }
  /** A complaint (ARF feedback report or SES Complaint) with its feedback type. */
  | { readonly kind: 'complaint'; readonly feedbackType: string | null }
  /** Delivery, delay, reject, rendering failure: nothing about the address itself. */
  | { readonly kind: 'none' };

/** The new state of one recipient of a message we sent, as one report tells it. */
export interface RecipientUpdate {
  /** Lowercase address; null when the report does not name it (a redacted ARF report). */
  readonly address: string | null;
  readonly status: DeliveryStatus;
  /** Enhanced status (`5.1.1`) when the report gives one. */
  readonly smtpStatus: string | null;
  /** Diagnostic, SMTP response or feedback type, never a secret. */
  readonly detail: string | null;
  /** ISO time of the event; the latest event wins per recipient. */
  readonly at: string;
  readonly signal: FeedbackSignal;
}

/** Which message we sent a report is about. */
export type FeedbackTarget =
  /** An SES event: the SES message id SendEmail returned. */
  | { readonly kind: 'ses'; readonly sesMessageId: string }
  /** A DSN or ARF report that reached a channel: the Message-IDs (bare) it names, best first. */
  | { readonly kind: 'internet'; readonly channelId: string; readonly messageIds: readonly string[] };

/** One delivery report about one message we sent, from either path. */
export interface DeliveryFeedback {
  /** Stable key of the report: the same event delivered twice has the same key. */
  readonly key: string;
  /** `bounce`, `complaint`, `delivery`, `delay`, `reject`, `rendering-failure`. */
  readonly kind: FeedbackKind;
  readonly target: FeedbackTarget;
  readonly updates: readonly RecipientUpdate[];
  /** ISO time the message was sent, when the report says (SES `mail.timestamp`). */
  readonly sentAt: string | null;
  /** ISO time of the event. */
  readonly at: string;
}

export const FEEDBACK_KINDS = ['bounce', 'complaint', 'delivery', 'delay', 'reject', 'rendering-failure'] as const;
export type FeedbackKind = (typeof FEEDBACK_KINDS)[number];
