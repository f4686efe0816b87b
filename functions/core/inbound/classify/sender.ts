import { headerValue, headerValues, type ParsedMessage } from '../../model/message.ts';

// Mail system identities (RFC 5321 §4.5.1 postmaster; MAILER-DAEMON by convention).
const SYSTEM_LOCAL = /^(?:mailer[-_.]?daemon|mail[-_.]?daemon|postmaster|post_master|mail\.delivery\.system|mdaemon|mailerdaemon|mail-?delivery)$/i;
const SYSTEM_NAME =
  /\b(?:mail delivery (?:system|subsystem|service)|mailer[- ]daemon|postmaster|mail administrator|mail system|delivery status notification)\b/i;
// Senders that say they read no answers.
const NO_REPLY_LOCAL = /^(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|dont[-_.]?reply|noreply[-_.\w]*|[\w.-]*[-_.]no[-_.]?reply|notifications?|bounces?)$/i;
// Envelope senders of list servers: owner-list (Majordomo), list-bounces (Mailman), list-request.
const LIST_ENVELOPE = /^(?:owner-[^@]+|[^@]+-(?:owner|bounces?|request|admin)(?:\+[^@]*)?)@/i;

const localPart = (address: string | undefined): string => (address ?? '').split('@')[0] ?? '';

/** From is a mail system (MAILER-DAEMON, postmaster, "Mail Delivery System"). */
export function isSystemSender(message: ParsedMessage): boolean {
  const from = message.from;
  if (from === null) return false;
  return SYSTEM_LOCAL.test(localPart(from.address)) || SYSTEM_NAME.test(from.name);
}

/** The envelope sender (Return-Path) is a mail system such as MAILER-DAEMON. */
export function hasSystemReturnPath(message: ParsedMessage): boolean {
  const value = headerValue(message.headers, 'return-path') ?? '';
  return SYSTEM_LOCAL.test(localPart(value.replace(/^.*</, '').replace(/>.*$/, '').trim()));
}

// Unix service accounts that cron jobs and daemons mail from.
const SERVICE_LOCAL = /^(?:root|cron|daemon|nobody|www-data|apache|nginx|oracle|postgres|mysql|backup|nagios|zabbix|jenkins)$/i;

/**
 * From (or the envelope sender) is a no-reply, notification or service-account robot:
 * `no-reply@`, `notifications@`, `root@`, `oracle@`, or a Return-Path of `noreply@`.
 */
export function isNoReplySender(message: ParsedMessage): boolean {
  const from = localPart(message.from?.address);
  const envelope = localPart((headerValue(message.headers, 'return-path') ?? '').replace(/^.*</, '').replace(/>.*$/, '').trim());
  return NO_REPLY_LOCAL.test(from) || SERVICE_LOCAL.test(from) || NO_REPLY_LOCAL.test(envelope);
}

/**
 * The envelope sender is null (`Return-Path: <>`). RFC 5321 §4.5.5 uses it for delivery
 * notifications and RFC 3834 §3.3 recommends it for automatic responses: people never send so.
 */
export function hasNullReturnPath(message: ParsedMessage): boolean {
  const values = headerValues(message.headers, 'return-path');
  return values.length > 0 && values.every((v) => /^<\s*>$|^$/.test(v.trim()));
}

/** Sender or Return-Path is a list server's envelope address. */
export function hasListEnvelope(message: ParsedMessage): boolean {
  const values = [message.sender?.address ?? '', headerValue(message.headers, 'sender') ?? '', headerValue(message.headers, 'return-path') ?? ''];
  return values.some((v) => LIST_ENVELOPE.test(v.replace(/^.*</, '').replace(/>.*$/, '').trim()));
}

// Reply and forward prefixes in the common languages (Re, Fwd, AW, WG, SV, VS, RE, TR, RV, Odp...).
const PREFIX = /^\s*(?:(?:re|fwd?|aw|wg|sv|vs|tr|rv|odp|antw|ynt|res|enc|r|i|doorst|vl|rif|转发|回复|答复)\s*(?:\[\d+\]\s*)?[:：]\s*)+/i;

/** The subject starts with a reply or forward prefix: a person answering or forwarding. */
export function isReplyOrForward(subject: string): boolean {
  return PREFIX.test(subject);
}
