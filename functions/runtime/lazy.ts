import type { SecretCipher } from '../core/ports/outbound.ts';

/** A value built on first use and kept; a failed build is tried again next time. */
export function lazy<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | null = null;
  return () => {
    pending ??= build().catch((error: unknown) => {
      pending = null;
      throw error;
    });
    return pending;
  };
}

/** A `SecretCipher` whose keyring is built on the first encrypt or decrypt. */
export function lazyCipher(load: () => Promise<SecretCipher>): SecretCipher {
  const get = lazy(load);
  return {
    encrypt: async (plaintext, context) => (await get()).encrypt(plaintext, context),
    decrypt: async (ciphertext, context) => (await get()).decrypt(ciphertext, context),
  };
}
