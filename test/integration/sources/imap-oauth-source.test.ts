import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoChannelDirectory } from '../../../functions/adapters/dynamo-channel-directory.ts';
import { DynamoCredentialStore } from '../../../functions/adapters/dynamo-credential-store.ts';
import { EncryptionSdkSecretCipher, localKeyring } from '../../../functions/adapters/outbound/encryption-sdk-secret-cipher.ts';
import { ChannelSettingsSchema, type ChannelSettings } from '../../../functions/core/model/channel.ts';
import { secretEndpointKey } from '../../../functions/core/model/channel-credentials.ts';
import { pollSource, type PollSourceDeps } from '../../../functions/core/sources/poll-source.ts';
import { sourceAdapters } from '../../../functions/runtime/source-deps.ts';
import { type Dovecot, startDovecot } from '../../support/dovecot.ts';
import { TestClock, customerMail, inboundDeps } from '../../support/inbound-deps.ts';
import { startSeededLocalAws, type LocalAws } from '../../support/local-aws.ts';
import { CLIENT_ID, CLIENT_SECRET, TEST_TLS, TestTokenEndpoint } from '../outbound-peers.ts';

/**
 * An IMAP source logging in with XOAUTH2 on its production wiring: the refresh token and client
 * secret decrypted for the endpoint, an access token from the token endpoint (https, the test CA),
 * dovecot checking it against an introspection endpoint that asks the same token endpoint.
 */
const USER = 'service@mail.example.org';
let aws: LocalAws;
let dovecot: Dovecot;
let tokens: TestTokenEndpoint;
let introspection: Server;
let keyDir: string;
let cipher: EncryptionSdkSecretCipher;
let deps: PollSourceDeps;

beforeAll(async () => {
  aws = await startSeededLocalAws();
  tokens = await new TestTokenEndpoint().start();
  introspection = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const token = new URLSearchParams(body).get('token') ?? '';
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(tokens.isValid(token) ? { active: true, username: USER } : { active: false }));
    });
  });
  await new Promise<void>((resolve) => introspection.listen(0, '127.0.0.1', resolve));
  dovecot = await startDovecot({
    users: [],
    oauth2: { introspectionUrl: `http://127.0.0.1:${(introspection.address() as AddressInfo).port}/introspect`, mechanisms: ['xoauth2'] },
  });
  keyDir = await mkdtemp(join(tmpdir(), 'postroom-imap-oauth-'));
  cipher = new EncryptionSdkSecretCipher(await localKeyring(join(keyDir, 'local.key')));
  deps = sourceAdapters({ db: aws.db, s3: aws.s3, sqs: aws.sqs }, inboundDeps(aws, new TestClock()), {
    tableName: aws.tableName,
    bucket: aws.bucket,
    cipher,
    allow: { loopback: true },
    ca: TEST_TLS.ca,
  });
});

afterAll(async () => {
  await dovecot?.stop();
  await tokens?.close();
  await new Promise<void>((resolve) => introspection.close(() => resolve()));
  await aws?.stop();
  await rm(keyDir, { recursive: true, force: true });
});

async function oauthChannel(refreshToken: string): Promise<ChannelSettings> {
  const channel = ChannelSettingsSchema.parse({
    id: 'imap-oauth',
    address: USER,
    defaultSkill: 'support',
    source: {
      type: 'imap',
      host: '127.0.0.1',
      port: dovecot.ports.imap,
      security: 'none',
      user: USER,
      auth: 'oauth2',
      initialSync: 'skip',
      oauth: { provider: 'custom', tokenUrl: tokens.url, clientId: CLIENT_ID, scope: 'https://mail.google.com/' },
    },
  });
  await new DynamoChannelDirectory(aws.db, aws.tableName, { clock: { now: () => new Date() }, cacheMs: 0 }).put(channel);
  const store = new DynamoCredentialStore(aws.db, aws.tableName);
  const put = async (kind: 'oauthClientSecret' | 'oauthRefreshToken', purpose: 'oauth-client-secret' | 'oauth-refresh-token', value: string) => {
    await store.putSecret(
      channel.id,
      kind,
      await cipher.encrypt(value, { channelId: channel.id, purpose, endpoint: secretEndpointKey(channel, purpose) }),
      new Date().toISOString(),
    );
  };
  await put('oauthClientSecret', 'oauth-client-secret', CLIENT_SECRET);
  await put('oauthRefreshToken', 'oauth-refresh-token', refreshToken);
  return channel;
}

describe('an IMAP source with OAuth 2.0 (XOAUTH2) on its production wiring', () => {
  it('logs in with an access token from the refresh token, routes new mail, and turns failing with the endpoint’s reason once the consent is revoked', async () => {
    const refreshToken = tokens.newRefreshToken();
    const channel = await oauthChannel(refreshToken);
    await pollSource(deps, channel);
    await dovecot.deliver(USER, customerMail({ messageId: 'oauth-1@customer.example', subject: 'Via OAuth', to: USER }));
    await aws.drain(aws.queueUrls.support ?? '');

    const polled = await pollSource(deps, channel);
    tokens.revoke(refreshToken);
    tokens.expireAccessTokens();
    await dovecot.deliver(USER, customerMail({ messageId: 'oauth-2@customer.example', subject: 'After revocation', to: USER }));
    const revoked = await pollSource(deps, channel);

    expect(polled).toMatchObject({ status: 'polled', health: { status: 'healthy' } });
    expect(polled.items.map((i) => i.outcome)).toEqual(['routed']);
    expect((await aws.drain(aws.queueUrls.support ?? '')).length).toBe(1);
    expect(tokens.grants).toContain('refresh_token');
    expect(revoked).toMatchObject({ status: 'error', health: { status: 'failing', reason: expect.stringMatching(/invalid_grant|refused/) } });
    expect(JSON.stringify(revoked)).not.toContain(refreshToken);
  });
});
