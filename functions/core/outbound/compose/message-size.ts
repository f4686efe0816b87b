import { PolicyError } from '../../errors.ts';

/**
 * Largest outbound message SES sends: 40 MB, counted on the MIME message as sent, so after the
 * base64 encoding of attachments (about 4/3 of their size, plus line breaks). Taken as MiB, the
 * larger reading; SES refuses what exceeds its own count with `MessageRejected` anyway.
 */
export const MAX_MESSAGE_BYTES = 40 * 1024 * 1024;

/** Bytes of `size` bytes in base64 with the 76-character lines MIME uses (RFC 2045 §6.8). */
export function base64Size(size: number): number {
  const encoded = Math.ceil(size / 3) * 4;
  return encoded + Math.ceil(encoded / 76) * 2;
}

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * Refuses a message (or the attachments of one, counted as encoded) over the limit with a
 * `PolicyError('policy')` that gives both sizes.
 */
export function assertMessageSize(bytes: number, what = 'the composed mail', max = MAX_MESSAGE_BYTES): void {
  if (bytes > max) {
    throw new PolicyError('policy', `${what} is ${megabytes(bytes)} (${bytes} bytes) encoded; at most ${megabytes(max)} (${max} bytes) can be sent`);
  }
}
