import { AppError, DependencyError, TransportError } from '../../core/errors.ts';
import { classifySmtpReply } from '../../core/outbound/send/smtp-reply.ts';

/** The fields nodemailer puts on its errors. */
interface NodemailerError extends Error {
  code?: string;
  originalCode?: string;
  response?: string;
  responseCode?: number;
  command?: string;
}

export interface SmtpErrorContext {
  /** The host as configured, for messages. */
  readonly host: string;
  readonly forceTls: boolean;
  readonly user: string;
}

const CONNECTION_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNRESET', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const CERTIFICATE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_CERT_ALTNAME|HOSTNAME_MISMATCH|certificate|altnames/i;
const PROTOCOL_VERSION =
  /ERR_SSL_(?:UNSUPPORTED_PROTOCOL|TLSV1_ALERT_PROTOCOL_VERSION|NO_PROTOCOLS_AVAILABLE)|unsupported protocol|protocol version|wrong version number|WRONG_VERSION_NUMBER/i;

/** One line of a server reply, bounded: enough for the record, never a whole transcript. */
export function replyLine(text: string | undefined): string {
  return (text ?? '')
    .replace(/[\r\n]+/g, ' ')
    .trim()
    .slice(0, 300);
}

/** True when the connection failed before the server greeted us: another address may work. */
export function isConnectFailure(error: unknown): boolean {
  const e = error as NodemailerError;
  return e.command === 'CONN' && !e.response && CONNECTION_CODES.has(e.code ?? '') && !CERTIFICATE.test(`${e.originalCode ?? ''} ${e.message}`);
}

/**
 * A nodemailer error as the transport port's error. Permanent: 5xx (but 503), TLS that cannot
 * be had, certificates that do not verify. Transient: 4xx, timeouts, lost connections.
 * Credentials: EAUTH. No message carries a password, token or the mail.
 */
export function translateSmtpError(error: unknown, ctx: SmtpErrorContext): AppError {
  if (error instanceof AppError) return error;
  const e = error as NodemailerError;
  const code = e.code ?? 'unknown';
  const detail = `${e.originalCode ?? ''} ${e.message ?? ''}`;
  const reply = replyLine(e.response);
  const host = ctx.host;

  if (code === 'EAUTH') {
    return new DependencyError('credentials', `${host} refused the credentials of ${ctx.user}${reply ? ` (${reply.slice(0, 120)})` : ''}`);
  }
  if (code === 'ENOAUTH' || code === 'EOAUTH2') {
    return new DependencyError('credentials', `no usable credentials for ${ctx.user} on ${host}`);
  }
  if (code === 'ETLS' && e.command === 'STARTTLS' && reply) {
    // RFC 3207: the server refused or does not know STARTTLS. Under Force TLS the session ends here.
    return new TransportError(`${host} does not offer STARTTLS and Force TLS is on; nothing was sent`, { permanent: true, status: reply.slice(0, 3) });
  }
  if (code === 'ECONNECTION' && e.command === 'EHLO' && /STARTTLS/.test(e.message ?? '') && ctx.forceTls) {
    return new TransportError(`${host} does not offer STARTTLS (no EHLO) and Force TLS is on; nothing was sent`, {
      permanent: true,
      status: reply.slice(0, 3) || null,
    });
  }
  if (CERTIFICATE.test(detail) && (code === 'ETLS' || code === 'ESOCKET' || code === 'ECONNECTION')) {
    const reason = /altname|HOSTNAME/i.test(detail) ? 'is not valid for this host name' : 'does not verify';
    return new TransportError(`the TLS certificate of ${host} ${reason}; nothing was sent`, { permanent: true });
  }
  if (PROTOCOL_VERSION.test(detail)) {
    return new TransportError(`${host} does not speak TLS 1.2 or later (or no TLS on this port); nothing was sent`, { permanent: true });
  }
  if (typeof e.responseCode === 'number') {
    const verdict = classifySmtpReply(e.responseCode, reply.replace(/^\d{3}[ -]?/, ''));
    const status = String(e.responseCode);
    const step = e.command ? ` to ${e.command.split(' ')[0]}` : '';
    return new TransportError(`${host} answered${step}: ${reply}`, { permanent: verdict.permanent, status });
  }
  if (code === 'EENVELOPE') return new TransportError(`envelope refused before sending: ${e.message}`, { permanent: true });
  if (CONNECTION_CODES.has(code) || code === 'ETLS') {
    const cause = e.originalCode && e.originalCode !== code ? `${code}/${e.originalCode}` : code;
    return new TransportError(`cannot reach ${host} (${cause})${code === 'ETIMEDOUT' ? ': timed out' : ''}`, { permanent: false });
  }
  // Unknown failures are transient: retried, then dead-lettered, never lost.
  return new TransportError(`sending through ${host} failed (${code})`, { permanent: false });
}
