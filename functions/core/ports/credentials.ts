import type { SecretPurpose } from './outbound.ts';

/** The ciphertexts stored for a channel, by purpose, with when each was set. Never plaintext. */
export interface StoredCredentials {
  readonly channelId: string;
  readonly secrets: Partial<Record<SecretPurpose, { readonly ciphertext: string; readonly updatedAt: string }>>;
  /** Set when a send or token refresh found the credentials refused (an admin must act). */
  readonly unhealthy: { readonly reason: string; readonly since: string } | null;
}

/** Encrypted credentials of channels' transports. */
export interface CredentialStore {
  get(channelId: string): Promise<StoredCredentials>;
  /** Stores (or rotates) one secret's ciphertext; clears the unhealthy mark. */
  put(channelId: string, purpose: SecretPurpose, ciphertext: string, at: string): Promise<void>;
  /** Marks the channel's credentials refused, with a reason that holds no secret. */
  markUnhealthy(channelId: string, reason: string, at: string): Promise<void>;
}
