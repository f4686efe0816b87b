import { isPermanent, statusFromDiagnostic } from '../../mail/smtp-status.ts';

/** What a refused SMTP command means for the send. */
export interface SmtpReplyVerdict {
  /** A retry will fail the same way: the reply is marked failed. */
  readonly permanent: boolean;
  /** RFC 3463 enhanced status, from the reply or derived from its words (`5.1.1`). */
  readonly status: string | null;
}

/**
 * Classifies a refusal by the same rules inbound bounces use (RFC 5321 §4.2.1, RFC 3463):
 * 5yz is permanent, 4yz transient, except 503 (bad sequence of commands), which only echoes an
 * earlier failure of the session and is worth another attempt.
 */
export function classifySmtpReply(code: number, text: string): SmtpReplyVerdict {
  const cls = code >= 500 && code < 600 ? '5' : code >= 400 && code < 500 ? '4' : null;
  const status = statusFromDiagnostic(`${code} ${text}`, cls);
  if (code === 503) return { permanent: false, status };
  return { permanent: cls === '5' && isPermanent(status, null), status };
}

// Queue ids as the common servers report them in the reply to the final dot.
const QUEUE_ID_PATTERNS: readonly RegExp[] = [
  /\bqueued as ([A-Za-z0-9._-]{4,64})\b/i, // Postfix, Sendmail-likes
  /^250[ -](?:[245]\.\d{1,3}\.\d{1,3} )?<([^<>\s]{3,250})>/, // Exchange Online: 250 2.6.0 <msgid> [InternalId=…] Queued mail for delivery
  /^250[ -](?:2\.0\.0 )?Ok:? ([0-9a-f]{16}-[0-9a-f-]{20,})\b/i, // Amazon SES SMTP interface
  /^250[ -]2\.0\.0 OK\s+\d{9,11} ([A-Za-z0-9._-]{6,64}) - gsmtp/, // Gmail
  /^250[ -](?:2\.0\.0 )?(?:OK )?id=([A-Za-z0-9._-]{4,64})\b/i, // Exim
];

/** The provider's id of the accepted message, when the final reply names one; else null. */
export function queueIdFromReply(reply: string | null | undefined): string | null {
  if (!reply) return null;
  for (const pattern of QUEUE_ID_PATTERNS) {
    const id = pattern.exec(reply.trim())?.[1];
    if (id) return id;
  }
  return null;
}
