import { DependencyError } from '../core/errors.ts';
import type { SecretCipher } from '../core/ports/outbound.ts';
import type { SuppressionList } from '../core/ports/suppression.ts';

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

/** Where no suppression adapter is wired yet: every call answers 503 with the reason. */
export function unwiredSuppressionList(): SuppressionList {
  const fail = async (): Promise<never> => {
    throw new DependencyError('dependency-unavailable', 'the suppression list is not wired into this API yet');
  };
  return { find: fail, put: fail, remove: fail, list: fail };
}
