import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMS, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { EncryptionSdkSecretCipher, kmsKeyring } from '../../../../functions/adapters/outbound/encryption-sdk-secret-cipher.ts';
import { ConfigError, DependencyError } from '../../../../functions/core/errors.ts';

const KEY_ARN = 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const kms = mockClient(KMSClient);
const clientProvider = () => new KMS({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' } });

beforeEach(() => kms.reset());

describe('kmsKeyring', () => {
  it('generates the data key with the configured key, grant tokens and the channel context, and unwraps it the same way', async () => {
    // Arrange: a KMS that hands out one data key and gives it back for its own blob only.
    const dataKey = randomBytes(32);
    const blob = randomBytes(64);
    kms.on(GenerateDataKeyCommand).resolves({ KeyId: KEY_ARN, Plaintext: new Uint8Array(dataKey), CiphertextBlob: new Uint8Array(blob) });
    kms.on(DecryptCommand).callsFake((input: { CiphertextBlob: Uint8Array }) => {
      if (!Buffer.from(input.CiphertextBlob).equals(blob)) throw Object.assign(new Error('bad blob'), { name: 'InvalidCiphertextException' });
      return { KeyId: KEY_ARN, Plaintext: new Uint8Array(dataKey) };
    });
    const cipher = new EncryptionSdkSecretCipher(kmsKeyring({ keyArn: KEY_ARN, grantTokens: ['grant-1'], clientProvider }));
    const ctx = { channelId: 'support', purpose: 'smtp-password', endpoint: 'v1:smtp.example.com' } as const;
    // Act
    const ciphertext = await cipher.encrypt('hunter2', ctx);
    const plaintext = await cipher.decrypt(ciphertext, ctx);
    // Assert
    expect(plaintext).toBe('hunter2');
    const generate = kms.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input;
    expect(generate).toMatchObject({ KeyId: KEY_ARN, GrantTokens: ['grant-1'], NumberOfBytes: 32 });
    expect(generate?.EncryptionContext).toMatchObject({
      'postroom:channel': 'support',
      'postroom:purpose': 'smtp-password',
      'postroom:endpoint': expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const decrypt = kms.commandCalls(DecryptCommand)[0]?.args[0].input;
    expect(decrypt).toMatchObject({ KeyId: KEY_ARN, GrantTokens: ['grant-1'] });
    expect(decrypt?.EncryptionContext).toEqual(generate?.EncryptionContext);
  });

  it('reports a KMS refusal as a credentials error naming the exception, and throttling as retryable', async () => {
    // Arrange
    kms
      .on(GenerateDataKeyCommand)
      .rejectsOnce(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }))
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const cipher = new EncryptionSdkSecretCipher(kmsKeyring({ keyArn: KEY_ARN, clientProvider }));
    const ctx = { channelId: 'support', purpose: 'smtp-password', endpoint: 'v1:smtp.example.com' } as const;
    // Act
    const denied = await cipher.encrypt('hunter2', ctx).catch((e: unknown) => e);
    const throttled = await cipher.encrypt('hunter2', ctx).catch((e: unknown) => e);
    // Assert
    expect(denied).toBeInstanceOf(DependencyError);
    expect(denied).toMatchObject({
      code: 'credentials',
      retryable: false,
      message: 'cannot encrypt the smtp-password of channel support (AccessDeniedException)',
    });
    expect(throttled).toMatchObject({ code: 'dependency-unavailable', retryable: true });
  });

  it('refuses a key id that is not an ARN', () => {
    expect(() => kmsKeyring({ keyArn: 'alias/postroom' })).toThrow(ConfigError);
  });
});
