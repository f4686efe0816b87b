import { createHash, randomBytes } from 'node:crypto';

/** SHA-256 of bytes or UTF-8 text, as lowercase hex. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** 32 random bytes, base64url: a shared secret such as a Graph subscription's `clientState`. */
export function randomSecret(): string {
  return randomBytes(32).toString('base64url');
}
