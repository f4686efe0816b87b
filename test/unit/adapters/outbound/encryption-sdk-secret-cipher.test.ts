import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONTEXT_CHANNEL,
  CONTEXT_ENDPOINT,
  CONTEXT_PURPOSE,
  EncryptionSdkSecretCipher,
  createLocalKeyFile,
  encryptionContext,
  loadLocalKey,
  localKeyring,
} from '../../../../functions/adapters/outbound/encryption-sdk-secret-cipher.ts';
import { ConfigError, DependencyError } from '../../../../functions/core/errors.ts';
import type { SecretContext } from '../../../../functions/core/ports/outbound.ts';

const run = promisify(execFile);
const MODULE = resolve(import.meta.dirname, '../../../../functions/adapters/outbound/encryption-sdk-secret-cipher.ts');
const SECRET = 'refresh-0.AXoA-very-secret-token';
const ENDPOINT = 'v1:[["smtp.host","smtp.example.com"],["smtp.port",587],["smtp.auth.user","support@example.com"]]';
const ctx: SecretContext = { channelId: 'support', purpose: 'oauth-refresh-token', endpoint: ENDPOINT };

let dir: string;
let keyPath: string;
let cipher: EncryptionSdkSecretCipher;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'postroom-cipher-'));
  keyPath = join(dir, 'local.key');
  cipher = new EncryptionSdkSecretCipher(await localKeyring(keyPath));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function failureOf(promise: Promise<unknown>): Promise<DependencyError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DependencyError);
  return error as DependencyError;
}

function expectNoSecret(error: Error, ciphertext: string): void {
  const everything = `${error.message} ${error.stack ?? ''} ${JSON.stringify(error)} ${String(error.cause ?? '')}`;
  expect(everything).not.toContain(SECRET);
  expect(everything).not.toContain(ciphertext.slice(0, 40));
}

describe('EncryptionSdkSecretCipher with the local AES keyring', () => {
  it('creates the key file on first use, 32 bytes, readable by the owner only', async () => {
    // Act
    const info = await stat(keyPath);
    const key = await loadLocalKey(keyPath);
    // Assert
    expect(info.mode & 0o777).toBe(0o600);
    expect(key).toHaveLength(32);
    await expect(createLocalKeyFile(keyPath)).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('round-trips a secret, and the ciphertext holds no plaintext', async () => {
    // Act
    const ciphertext = await cipher.encrypt(SECRET, ctx);
    const plaintext = await cipher.decrypt(ciphertext, ctx);
    // Assert
    expect(plaintext).toBe(SECRET);
    expect(Buffer.from(ciphertext, 'base64').includes(Buffer.from(SECRET))).toBe(false);
    expect(await cipher.encrypt(SECRET, ctx)).not.toBe(ciphertext);
  });

  it('decrypts in another process that reads the same key file', async () => {
    // Arrange
    const ciphertext = await cipher.encrypt(SECRET, ctx);
    const script = [
      `import { EncryptionSdkSecretCipher, localKeyring } from ${JSON.stringify(MODULE)};`,
      'const cipher = new EncryptionSdkSecretCipher(await localKeyring(process.env.KEY_PATH));',
      "process.stdout.write(await cipher.decrypt(process.env.CIPHERTEXT, { channelId: 'support', purpose: 'oauth-refresh-token', endpoint: process.env.ENDPOINT }));",
    ].join('\n');
    // Act
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, KEY_PATH: keyPath, CIPHERTEXT: ciphertext, ENDPOINT },
    });
    // Assert
    expect(stdout).toBe(SECRET);
  });

  it('fails closed with another key of the same name', async () => {
    // Arrange
    const ciphertext = await cipher.encrypt(SECRET, ctx);
    const otherPath = join(dir, 'other.key');
    await writeFile(otherPath, randomBytes(32).toString('base64'), { mode: 0o600 });
    const other = new EncryptionSdkSecretCipher(await localKeyring(otherPath));
    // Act
    const error = await failureOf(other.decrypt(ciphertext, ctx));
    // Assert
    expect(error.code).toBe('credentials');
    expect(error.retryable).toBe(false);
    expect(error.message).toBe("cannot decrypt the oauth-refresh-token of channel support (wrong key, another channel's copy, or tampered)");
    expectNoSecret(error, ciphertext);
  });

  it("refuses another channel's copy and a secret stored for another purpose", async () => {
    // Arrange
    const ciphertext = await cipher.encrypt(SECRET, ctx);
    // Act
    const otherChannel = await failureOf(cipher.decrypt(ciphertext, { ...ctx, channelId: 'sales' }));
    const otherPurpose = await failureOf(cipher.decrypt(ciphertext, { ...ctx, purpose: 'smtp-password' }));
    // Assert
    expect(otherChannel.message).toBe('credential does not belong to channel sales');
    expect(otherPurpose.message).toBe('credential is not a smtp-password');
    expectNoSecret(otherChannel, ciphertext);
  });

  it('refuses a copy onto another endpoint of the same channel, and binds only a hash of the endpoint', async () => {
    // Arrange
    const ciphertext = await cipher.encrypt(SECRET, ctx);
    const moved = ENDPOINT.replace('smtp.example.com', 'smtp.attacker.example');
    // Act
    const error = await failureOf(cipher.decrypt(ciphertext, { ...ctx, endpoint: moved }));
    // Assert
    expect(error.code).toBe('credentials');
    expect(error.message).toBe('credential was set for another endpoint of channel support (its SMTP or OAuth settings changed): set it again');
    expectNoSecret(error, ciphertext);
    const header = Buffer.from(ciphertext, 'base64');
    expect(header.includes(Buffer.from('smtp.example.com'))).toBe(false);
    expect(header.includes(Buffer.from(encryptionContext(ctx)[CONTEXT_ENDPOINT] ?? 'missing'))).toBe(true);
    expect(encryptionContext(ctx)[CONTEXT_ENDPOINT]).not.toBe(encryptionContext({ ...ctx, endpoint: moved })[CONTEXT_ENDPOINT]);
  });

  it('refuses a ciphertext made without an endpoint (before secrets were bound to one)', async () => {
    // Arrange: the same key, the old context of channel and purpose only
    const { buildClient, CommitmentPolicy } = await import('@aws-crypto/client-node');
    const legacy = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);
    const { result } = await legacy.encrypt(await localKeyring(keyPath), SECRET, {
      encryptionContext: { [CONTEXT_CHANNEL]: 'support', [CONTEXT_PURPOSE]: 'oauth-refresh-token' },
    });
    // Act
    const error = await failureOf(cipher.decrypt(result.toString('base64'), ctx));
    // Assert
    expect(error.message).toMatch(/^credential was set for another endpoint of channel support/);
  });

  it('fails closed on a flipped byte anywhere in the ciphertext', async () => {
    // Arrange
    const bytes = Buffer.from(await cipher.encrypt(SECRET, ctx), 'base64');
    // The header, the channel id inside the stored encryption context, the body, the signature.
    const positions = [0, 10, bytes.indexOf('support'), Math.floor(bytes.length / 2), bytes.length - 120, bytes.length - 1];
    // Act
    const errors = await Promise.all(
      positions.map((at) => {
        const tampered = Buffer.from(bytes);
        tampered[at] = (tampered[at] ?? 0) ^ 0x01;
        return failureOf(cipher.decrypt(tampered.toString('base64'), ctx));
      }),
    );
    // Assert
    expect(errors.map((e) => e.code)).toEqual(positions.map(() => 'credentials'));
    for (const e of errors) expectNoSecret(e, bytes.toString('base64'));
  });

  it('refuses an empty ciphertext, and a key file others can read', async () => {
    expect((await failureOf(cipher.decrypt('', ctx))).message).toBe('the oauth-refresh-token of channel support is not a ciphertext');
    const loose = join(dir, 'loose.key');
    await writeFile(loose, randomBytes(32).toString('base64'));
    await chmod(loose, 0o644);
    await expect(loadLocalKey(loose)).rejects.toThrow(ConfigError);
  });
});
