import { bracketMessageId } from '../../core/model/outbound-mail.ts';

/**
 * The raw message with its Message-ID header replaced by `newId` (or added first, when it has
 * none), the rest byte for byte. Folded continuation lines of the old header go too. The
 * sandbox uses it on its stored copy of a sent mail, so the copy carries the id SES would have
 * given it (aws-ses-v2-local rewrites nothing).
 */
export function rewriteMessageIdHeader(raw: Uint8Array, newId: string): Uint8Array {
  // latin1 maps every byte to one code unit and back: 8-bit bodies survive untouched.
  const text = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  const headEnd = end ? end.index : text.length;
  const head = text.slice(0, headEnd);
  const newline = head.includes('\r\n') ? '\r\n' : '\n';
  const line = `Message-ID: ${bracketMessageId(newId)}`;
  const pattern = /^message-id[ \t]*:.*(?:\r?\n[ \t].*)*/im;
  const rewritten = pattern.test(head) ? head.replace(pattern, line) : `${line}${newline}${head}`;
  return new Uint8Array(Buffer.from(rewritten + text.slice(headEnd), 'latin1'));
}
