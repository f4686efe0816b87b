import { createHash, randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import {
  CommitmentPolicy,
  KmsKeyringNode,
  RawAesKeyringNode,
  RawAesWrappingSuiteIdentifier,
  buildClient,
  cacheKmsClients,
  type KeyringNode,
  type KmsNodeClientSupplier,
} from '@aws-crypto/client-node';
import { ConfigError, DependencyError, ValidationError } from '../../core/errors.ts';
import type { SecretCipher, SecretContext } from '../../core/ports/outbound.ts';

export const CONTEXT_CHANNEL = 'postroom:channel';
export const CONTEXT_PURPOSE = 'postroom:purpose';
/** SHA-256 (hex) of the endpoint the secret is used with: the context holds no host or user in clear. */
export const CONTEXT_ENDPOINT = 'postroom:endpoint';
// The SDK adds its own pairs (the signing key of the algorithm suite) under this prefix.
const SDK_CONTEXT_PREFIX = 'aws-crypto-';
const MAX_SECRET_CHARS = 16 * 1024;
const MAX_CIPHERTEXT_BYTES = 64 * 1024;
const LOCAL_KEY_BYTES = 32;

export interface EncryptionSdkSecretCipherOptions {
  /**
   * Most encrypted data keys a ciphertext may carry; one per key of the keyring. Bounds the
   * work a hostile ciphertext can cause.
   * @default 1
   */
  readonly maxEncryptedDataKeys?: number;
}

/** The encryption context of a secret: it binds the ciphertext to its channel, purpose and endpoint. */
export function encryptionContext(context: SecretContext): Record<string, string> {
  return {
    [CONTEXT_CHANNEL]: context.channelId,
    [CONTEXT_PURPOSE]: context.purpose,
    [CONTEXT_ENDPOINT]: createHash('sha256').update(context.endpoint, 'utf8').digest('hex'),
  };
}

/**
 * `SecretCipher` with the AWS Encryption SDK: envelope encryption under a KMS key in AWS
 * (`kmsKeyring`), under a local AES-256 key in the sandbox (`localKeyring`), same code path.
 */
export class EncryptionSdkSecretCipher implements SecretCipher {
  private readonly client: ReturnType<typeof buildClient>;

  constructor(
    private readonly keyring: KeyringNode,
    options: EncryptionSdkSecretCipherOptions = {},
  ) {
    this.client = buildClient({
      commitmentPolicy: CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
      maxEncryptedDataKeys: options.maxEncryptedDataKeys ?? 1,
    });
  }

  async encrypt(plaintext: string, context: SecretContext): Promise<string> {
    if (plaintext.length === 0 || plaintext.length > MAX_SECRET_CHARS) {
      throw new ValidationError(`a ${context.purpose} must be 1 to ${MAX_SECRET_CHARS} characters`);
    }
    try {
      const { result } = await this.client.encrypt(this.keyring, plaintext, { encryptionContext: encryptionContext(context) });
      return result.toString('base64');
    } catch (error) {
      throw failure(`cannot encrypt the ${context.purpose} of channel ${context.channelId}`, error);
    }
  }

  async decrypt(ciphertext: string, context: SecretContext): Promise<string> {
    const bytes = Buffer.from(ciphertext, 'base64');
    const what = `the ${context.purpose} of channel ${context.channelId}`;
    if (bytes.length === 0 || bytes.length > MAX_CIPHERTEXT_BYTES) throw new DependencyError('credentials', `${what} is not a ciphertext`);
    let decrypted: Awaited<ReturnType<typeof this.client.decrypt>>;
    try {
      decrypted = await this.client.decrypt(this.keyring, bytes, { maxBodySize: MAX_CIPHERTEXT_BYTES });
    } catch (error) {
      throw failure(`cannot decrypt ${what} (wrong key, another channel's copy, or tampered)`, error);
    }
    // The SDK authenticates the context stored in the message but does not compare it with
    // the one we expect: without this, a ciphertext copied from another channel would decrypt.
    const found = decrypted.messageHeader.encryptionContext;
    const expected = encryptionContext(context);
    const ours = Object.keys(found).filter((k) => !k.startsWith(SDK_CONTEXT_PREFIX));
    const matches = ours.length === Object.keys(expected).length && Object.entries(expected).every(([k, v]) => found[k] === v);
    if (!matches) {
      decrypted.plaintext.fill(0);
      throw new DependencyError('credentials', `credential ${mismatch(found, context)}`);
    }
    const plaintext = decrypted.plaintext.toString('utf8');
    decrypted.plaintext.fill(0);
    return plaintext;
  }
}

/** Why a stored context is not the expected one, most telling first; never a value of it. */
function mismatch(found: Record<string, string>, context: SecretContext): string {
  if (found[CONTEXT_CHANNEL] !== context.channelId) return `does not belong to channel ${context.channelId}`;
  if (found[CONTEXT_PURPOSE] !== context.purpose) return `is not a ${context.purpose}`;
  return `was set for another endpoint of channel ${context.channelId} (its SMTP or OAuth settings changed): set it again`;
}

const UNAVAILABLE = /Throttl|ServiceUnavailable|KMSInternal|DependencyTimeout|ECONNRESET|ETIMEDOUT|EAI_AGAIN|ECONNREFUSED|socket hang up|TimeoutError/;

/**
 * A failure of the SDK as our error, without the SDK's message: it can hold stack traces of
 * every KMS call. Only the names of KMS exceptions are kept, so an operator can tell an access
 * denied from a disabled key. KMS being unreachable or throttling is retryable.
 */
function failure(message: string, error: unknown): DependencyError {
  const text = error instanceof Error ? `${error.name} ${error.message}` : String(error);
  const names = [...new Set(text.match(/\b[A-Z][A-Za-z]+Exception\b/g) ?? [])];
  const detail = names.length ? ` (${names.join(', ')})` : '';
  if (UNAVAILABLE.test(text)) return new DependencyError('dependency-unavailable', `${message}: KMS is unavailable${detail}`);
  return new DependencyError('credentials', `${message}${detail}`);
}

export interface KmsKeyringOptions {
  /** ARN of the customer-managed KMS key (rotation on); an alias ARN works for encryption only. */
  readonly keyArn: string;
  readonly grantTokens?: readonly string[];
  /** Supplies a KMS client per region; clients are cached per container by default. */
  readonly clientProvider?: KmsNodeClientSupplier;
}

/** The keyring used in AWS: data keys generated and unwrapped by one KMS key. */
export function kmsKeyring(options: KmsKeyringOptions): KmsKeyringNode {
  if (!/^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/.+$/.test(options.keyArn)) {
    throw new ConfigError(`not a KMS key ARN: ${options.keyArn}`);
  }
  return new KmsKeyringNode({
    generatorKeyId: options.keyArn,
    grantTokens: options.grantTokens ? [...options.grantTokens] : undefined,
    clientProvider: options.clientProvider ?? cacheKmsClients,
  });
}

/** Writes a new random AES-256 key (base64) readable by the owner only; refuses to overwrite. */
export async function createLocalKeyFile(path: string): Promise<void> {
  await writeFile(path, `${randomBytes(LOCAL_KEY_BYTES).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
}

/** Reads a key written by `createLocalKeyFile`; refuses one that others can read or of the wrong size. */
export async function loadLocalKey(path: string): Promise<Uint8Array> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) throw new ConfigError(`local key ${path} is readable by others (mode ${(info.mode & 0o777).toString(8)}); chmod 600 it`);
  const key = Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
  if (key.length !== LOCAL_KEY_BYTES) throw new ConfigError(`local key ${path} is not a ${LOCAL_KEY_BYTES}-byte key`);
  return new Uint8Array(key);
}

/**
 * The sandbox keyring: AES-256-GCM wrapping under the key in `path`, created on first use.
 * The key name is part of every ciphertext; another key under the same name fails to decrypt.
 */
export async function localKeyring(path: string): Promise<RawAesKeyringNode> {
  try {
    await createLocalKeyFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return new RawAesKeyringNode({
    keyNamespace: 'postroom',
    keyName: 'sandbox-local-key',
    unencryptedMasterKey: await loadLocalKey(path),
    wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
  });
}
