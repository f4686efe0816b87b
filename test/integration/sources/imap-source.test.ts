import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoChannelDirectory } from '../../../functions/adapters/dynamo-channel-directory.ts';
import { DynamoCredentialStore } from '../../../functions/adapters/dynamo-credential-store.ts';
import { EncryptionSdkSecretCipher, localKeyring } from '../../../functions/adapters/outbound/encryption-sdk-secret-cipher.ts';
import { ChannelSettingsSchema, type ChannelSettings } from '../../../functions/core/model/channel.ts';
import { secretEndpointKey } from '../../../functions/core/model/channel-credentials.ts';
import type { MailboxConnector } from '../../../functions/core/ports/mailbox.ts';
import { pollSource, type PollSourceDeps } from '../../../functions/core/sources/poll-source.ts';
import { sourceAdapters } from '../../../functions/runtime/source-deps.ts';
import { type Dovecot, startDovecot } from '../../support/dovecot.ts';
import { TestClock, customerMail, inboundDeps } from '../../support/inbound-deps.ts';
import { startSeededLocalAws, type LocalAws } from '../../support/local-aws.ts';

/** The poller on its production wiring (credentials decrypted for the endpoint, the IMAP adapter) against a real dovecot. */
const PASSWORD = 'source-pass-1';
let aws: LocalAws;
let dovecot: Dovecot;
let keyDir: string;
let cipher: EncryptionSdkSecretCipher;
let deps: PollSourceDeps;

beforeAll(async () => {
  aws = await startSeededLocalAws();
  dovecot = await startDovecot({
    users: ['route', 'crash', 'bad', 'validity', 'login', 'forward'].map((u) => ({ user: `${u}@mail.example.org`, password: PASSWORD })),
  });
  keyDir = await mkdtemp(join(tmpdir(), 'postroom-imap-source-'));
  cipher = new EncryptionSdkSecretCipher(await localKeyring(join(keyDir, 'local.key')));
  deps = sourceAdapters({ db: aws.db, s3: aws.s3, sqs: aws.sqs }, inboundDeps(aws, new TestClock()), {
    tableName: aws.tableName,
    bucket: aws.bucket,
    cipher,
    allow: { loopback: true },
  });
});

afterAll(async () => {
  await dovecot?.stop();
  await aws?.stop();
  await rm(keyDir, { recursive: true, force: true });
});

async function imapChannel(name: string, source: Record<string, unknown> = {}, password = PASSWORD): Promise<ChannelSettings> {
  const channel = ChannelSettingsSchema.parse({
    id: `imap-${name}`,
    address: `${name}@mail.example.org`,
    defaultSkill: 'support',
    source: { type: 'imap', host: '127.0.0.1', port: dovecot.ports.imap, security: 'none', user: `${name}@mail.example.org`, auth: 'password', ...source },
  });
  await new DynamoChannelDirectory(aws.db, aws.tableName, { clock: { now: () => new Date() }, cacheMs: 0 }).put(channel);
  const ciphertext = await cipher.encrypt(password, {
    channelId: channel.id,
    purpose: 'source-password',
    endpoint: secretEndpointKey(channel, 'source-password'),
  });
  await new DynamoCredentialStore(aws.db, aws.tableName).putSecret(channel.id, 'sourcePassword', ciphertext, new Date().toISOString());
  return channel;
}

const subjects = async (user: string, folder: string) => (await dovecot.list(`${user}@mail.example.org`, folder)).map((m) => m.subject);

describe('an IMAP source polled on its production wiring against dovecot, dynalite, S3 and fauxqs', () => {
  it('imports the old mail closed, routes the new, and leaves every processed mail in Handled', async () => {
    const channel = await imapChannel('route', { initialSync: 'import-closed' });
    await dovecot.deliver('route@mail.example.org', customerMail({ messageId: 'r-old-1@customer.example', subject: 'Old one', to: channel.address }));
    await aws.drain(aws.queueUrls.support ?? '');
    const first = await pollSource(deps, channel);
    await dovecot.deliver('route@mail.example.org', customerMail({ messageId: 'r-new-1@customer.example', subject: 'New one', to: channel.address }));
    const second = await pollSource(deps, channel);

    expect(first.items.map((i) => i.outcome)).toEqual(['imported']);
    expect(second.items.map((i) => i.outcome)).toEqual(['routed']);
    expect(await subjects('route', 'INBOX')).toEqual([]);
    expect(await subjects('route', 'Handled')).toEqual(['Old one', 'New one']);
    expect((await aws.drain(aws.queueUrls.support ?? '')).length).toBe(1);
  });

  it('moves a mail whose move was cut off on the next poll, without processing it twice', async () => {
    const channel = await imapChannel('crash');
    await pollSource(deps, channel);
    await dovecot.deliver('crash@mail.example.org', customerMail({ messageId: 'c-1@customer.example', subject: 'Cut off', to: channel.address }));
    // The server ends the session as the poll settles: the record is final, the move never happened.
    const cutting: PollSourceDeps = {
      ...deps,
      connect: async (c) => {
        const real: MailboxConnector = await deps.connect(c);
        return {
          open: async () => {
            const session = await real.open();
            return {
              ...session,
              list: session.list.bind(session),
              fetch: session.fetch.bind(session),
              end: session.end.bind(session),
              boundary: session.boundary.bind(session),
              precedes: session.precedes.bind(session),
              close: session.close.bind(session),
              settle: async () => {
                await dovecot.kick('crash@mail.example.org');
                throw new Error('connection lost during MOVE');
              },
            };
          },
        };
      },
    };
    const crashed = await pollSource(cutting, channel).catch((error: Error) => error);
    const inboxAfterCrash = await subjects('crash', 'INBOX');
    const retried = await pollSource(deps, channel);

    expect(crashed).toBeInstanceOf(Error);
    expect(inboxAfterCrash).toEqual(['Cut off']);
    expect(retried.items.map((i) => i.outcome)).toEqual(['routed']);
    expect(await subjects('crash', 'Handled')).toEqual(['Cut off']);
    expect((await aws.drain(aws.queueUrls.support ?? '')).length).toBe(1);
  });

  it('sends a huge and an unparseable mail to Failed with their reasons, and routes the one after them', async () => {
    const channel = await imapChannel('bad', { initialSync: 'skip' }).then((c) => ({ ...c, maxMessageBytes: 20_000 }));
    await pollSource(deps, channel);
    await dovecot.deliver(
      'bad@mail.example.org',
      customerMail({ messageId: 'b-1@customer.example', subject: 'Huge', to: channel.address }).replace('Hello,', `Hello, ${'x'.repeat(30_000)}`),
    );
    await dovecot.deliver(
      'bad@mail.example.org',
      'Subject: Broken\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain; charset=x-unknown\r\nContent-Transfer-Encoding: base64\r\n\r\n!!!\r\n',
    );
    await dovecot.deliver('bad@mail.example.org', customerMail({ messageId: 'b-3@customer.example', subject: 'Fine', to: channel.address }));
    const report = await pollSource(deps, channel);

    expect(report.items[0]).toMatchObject({ outcome: 'failed', reason: expect.stringMatching(/Failed folder/) });
    expect(report.items.at(-1)?.outcome).toBe('routed');
    expect(await subjects('bad', 'Failed')).toContain('Huge');
    expect(await subjects('bad', 'INBOX')).toEqual([]);
    await aws.drain(aws.queueUrls.support ?? '');
  });

  it('knows the mail again after a UIDVALIDITY change: a duplicate, not a second routed mail', async () => {
    const channel = await imapChannel('validity', { afterProcessing: 'keep' });
    await pollSource(deps, channel);
    await dovecot.deliver('validity@mail.example.org', customerMail({ messageId: 'v-1@customer.example', subject: 'Kept', to: channel.address }));
    const first = await pollSource(deps, channel);
    await dovecot.setUidValidity('validity@mail.example.org', 'INBOX', 777);
    const rescanned = await pollSource(deps, channel);

    expect(first.items.map((i) => i.outcome)).toEqual(['routed']);
    expect(rescanned.rescan).toBe(true);
    expect(rescanned.items.map((i) => i.outcome)).toEqual(['duplicate']);
    expect((await aws.drain(aws.queueUrls.support ?? '')).length).toBe(1);
  });

  it('marks the source failing with the server’s reason when the password is refused, and resumes once it is set right', async () => {
    const channel = await imapChannel('login', { initialSync: 'skip' }, 'a-wrong-password');
    await dovecot.deliver('login@mail.example.org', customerMail({ messageId: 'l-1@customer.example', subject: 'Waiting', to: channel.address }));
    const refused = await pollSource(deps, channel);
    await imapChannel('login', { initialSync: 'skip' });
    await dovecot.deliver('login@mail.example.org', customerMail({ messageId: 'l-2@customer.example', subject: 'After the fix', to: channel.address }));
    const fixed = await pollSource(deps, channel);

    expect(refused).toMatchObject({ status: 'error', health: { status: 'failing' } });
    expect(refused.health.reason).not.toContain('a-wrong-password');
    expect(fixed.health.status).toBe('healthy');
    // `skip` applies at the first connection that logs in: what was there then stays.
    expect(await subjects('login', 'INBOX')).toEqual(['Waiting', 'After the fix']);
    await aws.drain(aws.queueUrls.support ?? '');
  });

  it('keeps the original sender of a redirected mail as the customer', async () => {
    const channel = await imapChannel('forward', { initialSync: 'skip' });
    await pollSource(deps, channel);
    const redirected = [
      'Return-Path: <SRS0=x1Yz=AB=customer.example=carla@forwarder.example>',
      'Resent-From: it@company.example',
      'X-Forwarded-To: forward@mail.example.org',
      customerMail({ messageId: 'f-1@customer.example', subject: 'Redirected', to: 'old-address@company.example' }),
    ].join('\r\n');
    await dovecot.deliver('forward@mail.example.org', redirected);
    const report = await pollSource(deps, channel);
    const [pointer] = await aws.drain(aws.queueUrls.support ?? '');

    expect(report.items.map((i) => i.outcome)).toEqual(['routed']);
    expect(JSON.parse(pointer?.Body ?? '{}').from).toMatchObject({ address: 'carla@customer.example' });
  });
});
