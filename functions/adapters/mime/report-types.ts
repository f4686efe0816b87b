/** Report parts the classifier needs as text (RFC 3464, RFC 6533, RFC 5965, RFC 8098). */
export const REPORT_TYPES: ReadonlySet<string> = new Set([
  'message/delivery-status',
  'message/global-delivery-status',
  'message/feedback-report',
  'message/disposition-notification',
]);

/** Parts that carry the original message (or only its headers) of a bounce or a forward. */
export const ENCLOSED_TYPES: ReadonlySet<string> = new Set(['message/rfc822', 'message/global', 'text/rfc822-headers', 'message/global-headers']);
