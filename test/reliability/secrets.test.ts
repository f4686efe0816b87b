import { createAdaptorServer } from '@hono/node-server';
import type { Context } from 'aws-lambda';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { agentSeedItem, channelSeedItem, seedItems, skillSeedItem } from '../../functions/adapters/dynamo-config-seed.ts';
import { DynamoSuppressionList } from '../../functions/adapters/dynamo-suppression-list.ts';
import { localKeyring } from '../../functions/adapters/outbound/encryption-sdk-secret-cipher.ts';
import { SqsSkillQueues } from '../../functions/adapters/sqs-skill-queues.ts';
import { createAdminApp } from '../../functions/api/app.ts';
import { bearerTokens } from '../../functions/api/auth.ts';
import { PostroomConfigSchema } from '../../functions/core/model/postroom-config.ts';
import { dovecotInstalled } from '../../functions/local/dovecot.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, localHandlerOptions } from '../../functions/local/local-aws.ts';
import { startOutboundPoller } from '../../functions/local/outbound-poller.ts';
import { startSandbox, type Sandbox } from '../../functions/local/sandbox.ts';
import { ALL_PASS, sesReceiptEvent } from '../../functions/local/ses-receipt.ts';
import { createAdminDeps } from '../../functions/runtime/admin-deps.ts';
import { createAdminOutbound } from '../../functions/runtime/admin-outbound.ts';
import { SKILL_MAX_RECEIVES } from '../../functions/runtime/attempts.ts';
import { createSesClient } from '../../functions/runtime/clients.ts';
import { InboundEnvSchema, readEnv } from '../../functions/runtime/env.ts';
import { createInboundHandler } from '../../functions/runtime/inbound-handler.ts';
import { createObservability } from '../../functions/runtime/observability.ts';
import { OutboundEnvSchema } from '../../functions/runtime/outbound-env.ts';
import { createOutboundHandler } from '../../functions/runtime/outbound-handler.ts';
import { createQueueReplyDeps } from '../../functions/runtime/queue-reply-deps.ts';
import { QueueReplySender } from '../../functions/runtime/reply-sender.ts';
import { RAW_MAIL_PREFIX } from '../../functions/runtime/ses-event.ts';
import {
  CLIENT_ID,
  CLIENT_SECRET,
  REDIRECT_URI,
  SMTP_PASSWORD,
  SMTP_USER,
  TestTokenEndpoint,
  startSmtp,
  type TestSmtp,
} from '../integration/outbound-peers.ts';
import { TOKENS, USERS } from '../support/admin-api.ts';
import { customerMail } from '../support/inbound-deps.ts';
import { startLocalAws, type LocalAws } from '../support/local-aws.ts';
import { sendToSandbox, takeFromSandbox } from '../support/sandbox.ts';
import { SecretScan } from './support/secret-scan.ts';

/*
 * 10. Secrets. Representative flows run end to end with every kind of secret in play, while
 * everything written to stdout and stderr (Powertools' JSON logs at DEBUG, the sandbox's own
 * messages, console calls) and every API answer (status, headers, body) is kept; then all of it is
 * searched for every secret. Two installations:
 *
 * - the sandbox (`npm start`): an SMTP password (its own server), a mailbox password (dovecot),
 *   one API token per user, wrong passwords set and tested, a mistyped token, broken JSON;
 * - the functions as Lambda builds them (admin app with the Powertools logger, inbound and
 *   outbound handlers) on the local servers, with OAuth 2.0 against a real token endpoint: a client
 *   secret, authorization codes, refresh tokens, access tokens, an SMTP password, and the error
 *   paths (a refused code, a wrong client secret, a revoked refresh token, a wrong password).
 *
 * What this cannot see: other test files' output, vitest's own output and reports, and what
 * AWS services would log about requests in a real account.
 */

const scan = new SecretScan();
let release: () => void = () => undefined;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(100);
  }
}

beforeAll(() => {
  release = scan.capture();
});

afterAll(() => {
  release();
});

describe('secrets in the sandbox', () => {
  const WITH_MAILBOX = dovecotInstalled();
  const config = PostroomConfigSchema.parse({
    domains: ['example.test'],
    skills: ['support'],
    channels: [
      { id: 'support', address: 'support@example.test', name: 'Example Support', defaultSkill: 'support', acknowledgement: { enabled: true } },
      {
        id: 'orders',
        address: 'orders@example.test',
        name: 'Example Orders',
        defaultSkill: 'support',
        outbound: { enabled: true, transport: 'smtp' },
        smtp: { host: 'localhost', port: 587, security: 'starttls', auth: { type: 'password', user: 'postroom' } },
      },
      ...(WITH_MAILBOX
        ? [
            {
              id: 'mailbox',
              address: 'mailbox@example.test',
              name: 'Example Mailbox',
              defaultSkill: 'support',
              source: {
                type: 'imap',
                host: 'localhost',
                security: 'none',
                user: 'mailbox',
                auth: 'password',
                initialSync: 'import-closed',
                afterProcessing: 'move',
              },
            },
          ]
        : []),
    ],
    users: [
      { id: 'admin', role: 'admin', displayName: 'Ada Admin' },
      { id: 'supervisor-1', role: 'supervisor', displayName: 'Sam Supervisor' },
      { id: 'agent-1', role: 'agent', displayName: 'Alex Agent', skills: ['support'] },
      { id: 'agent-2', role: 'agent', displayName: 'Blair Agent', skills: ['support'] },
    ],
  });
  let sandbox: Sandbox;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'postroom-secrets-'));
    sandbox = await startSandbox({ config, smtpPort: 0, outboxSmtpPort: 0, apiPort: 0, logLevel: 'DEBUG', stateFile: join(dir, 'sandbox.json'), workDir: dir });
  }, 60_000);

  afterAll(async () => {
    await sandbox?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(`runs mail, replies, credentials and a mailbox poll with right and wrong secrets${WITH_MAILBOX ? '' : ' (mailbox part SKIPPED: dovecot is not installed)'}`, async () => {
    // Arrange: every secret the sandbox holds, and the wrong ones a person would type
    for (const [user, token] of Object.entries(sandbox.tokens)) scan.add(`API token of ${user}`, token);
    const smtpPassword = (await readFile(join(dir, 'sandbox-smtp-password'), 'utf8')).trim();
    scan.add('sandbox SMTP password', smtpPassword);
    const wrongSmtp = 'wrong-smtp-password-7f3a9c21';
    const wrongMailbox = 'wrong-mailbox-password-51be0d77';
    const mistypedToken = 'mistyped-bearer-token-9d8e7f6a5b4c';
    scan.add('a wrong SMTP password', wrongSmtp);
    scan.add('a wrong mailbox password', wrongMailbox);
    scan.add('a mistyped API token', mistypedToken);
    const mailboxPassword = WITH_MAILBOX ? (await readFile(join(dir, 'mailbox-server', 'mailbox-password'), 'utf8')).trim() : null;
    if (mailboxPassword) scan.add('sandbox mailbox password', mailboxPassword);
    const base = sandbox.info.adminApi?.url ?? '';
    const api = (user: string | null, method: string, path: string, body?: unknown, raw?: string) =>
      scan.fetch(`${base}${path}`, {
        method,
        headers: {
          ...(user === null ? {} : { authorization: `Bearer ${sandbox.tokens[user] ?? user}` }),
          ...(body === undefined && raw === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(raw !== undefined ? { body: raw } : body === undefined ? {} : { body: JSON.stringify(body) }),
      });

    // Act: every user signs in; a mistyped token and no token are refused
    const me = await Promise.all(Object.keys(sandbox.tokens).map((user) => api(user, 'GET', '/me')));
    const refused = [await api(mistypedToken, 'GET', '/me'), await api(null, 'GET', '/conversations')];

    // Act: customers write to both channels; agents answer (SES, and SMTP with the password)
    await sendToSandbox(sandbox.info, { from: 'Carla <carla@customer.example>', to: 'support@example.test', subject: 'Parcel', text: 'Where is it?' });
    await sendToSandbox(sandbox.info, { from: 'Dan <dan@buyer.example>', to: 'orders@example.test', subject: 'Quote', text: 'Please quote 40 chairs.' });
    const pointers = await until('two routed mails', async () => {
      const got = await takeFromSandbox(sandbox.info);
      return got.length >= 2 ? got : null;
    });
    for (const p of pointers) await api('agent-1', 'POST', `/conversations/${p.conversationId}/reply`, { text: 'Thanks, we are on it.' });
    // The acknowledgement of the support mail and the two replies (orders' over SMTP with the password).
    const sent = await until('three mails in the outbox', async () => {
      const files = (await readdir(sandbox.info.outbox)).filter((f) => f.endsWith('.eml'));
      return files.length >= 3 ? files : null;
    });

    // Act: the SMTP password wrong, tested, then right; secrets in bodies the API refuses
    await api('admin', 'PUT', '/channels/orders/credentials/smtp-password', { password: wrongSmtp });
    const failing = await api('admin', 'POST', '/channels/orders/credentials/test', {});
    await api('admin', 'PUT', '/channels/orders/credentials/smtp-password', { password: smtpPassword });
    const healthy = await api('admin', 'POST', '/channels/orders/credentials/test', {});
    const badBodies = [
      await api('admin', 'PUT', '/channels/orders/credentials/smtp-password', undefined, `{"password": "${smtpPassword}"`),
      await api('admin', 'PUT', '/channels/orders/credentials/smtp-password', { password: smtpPassword, note: `the password is ${smtpPassword}` }),
      await api('admin', 'PUT', '/channels/orders/credentials/smtp-password', { password: `${smtpPassword}${'x'.repeat(1100)}` }),
      await api('admin', 'PUT', '/channels/support/credentials/smtp-password', { password: smtpPassword }),
      await api('agent-2', 'PUT', '/channels/orders/credentials/smtp-password', { password: smtpPassword }),
    ];

    // Act: the mailbox read with a wrong password (the background poll logs it too), then the right one
    const polls = [];
    if (WITH_MAILBOX && mailboxPassword) {
      await api('admin', 'PUT', '/channels/mailbox/credentials/source-password', { password: wrongMailbox });
      polls.push(await api('admin', 'POST', '/channels/mailbox/source/poll'));
      polls.push(await api('supervisor-1', 'GET', '/channels/mailbox/source'));
      await api('admin', 'PUT', '/channels/mailbox/credentials/source-password', { password: mailboxPassword });
      polls.push(await api('admin', 'POST', '/channels/mailbox/source/poll'));
    }

    // Act: what people read back
    for (const p of pointers) await api('agent-1', 'GET', `/conversations/${p.conversationId}`);
    await api('supervisor-1', 'GET', '/audit?limit=100');
    await api('admin', 'GET', '/channels/orders/credentials');
    await api('admin', 'GET', '/channels/orders');
    for (const f of sent) scan.record(`outbox ${f}`, await readFile(join(sandbox.info.outbox, f), 'utf8'));
    scan.record('sandbox.json (state file)', await readFile(join(dir, 'sandbox.json'), 'utf8'));

    // Assert: the flows ran as meant (the scan is the last test of the file)
    expect(me.map((r) => r.status)).toEqual(Object.keys(sandbox.tokens).map(() => 200));
    expect(refused.map((r) => r.status)).toEqual([401, 401]);
    expect(failing.json.health).toMatchObject({ status: 'failing' });
    expect(healthy.json.health).toMatchObject({ status: 'healthy' });
    expect(badBodies.map((r) => r.status).every((s) => s >= 400 && s < 500)).toBe(true);
    if (WITH_MAILBOX) {
      expect(polls[0]?.text).toMatch(/error|fail/i);
      expect(polls[2]?.status).toBe(200);
    }
  }, 60_000);
});

describe('secrets in the functions as deployed, with OAuth 2.0', () => {
  const context = { functionName: 'postroom-test', awsRequestId: 'req-secrets' } as Context;
  let aws: LocalAws;
  let dir: string;
  let endpoint: TestTokenEndpoint;
  let smtp: TestSmtp;
  let server: Server;
  let poller: { stop(): Promise<void> } | null = null;
  let base = '';
  let accessTokens = 0;
  const issuedRefreshTokens: string[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'postroom-secrets-fn-'));
    endpoint = await new TestTokenEndpoint().start();
    // Every refresh token the endpoint hands out is a secret to look for.
    const issue = endpoint.newRefreshToken.bind(endpoint);
    endpoint.newRefreshToken = () => {
      const token = issue();
      issuedRefreshTokens.push(token);
      scan.add(`refresh token ${issuedRefreshTokens.length}`, token);
      return token;
    };
    smtp = await startSmtp({
      security: 'starttls',
      acceptToken: (token) => {
        scan.add(`access token ${++accessTokens}`, token);
        return endpoint.isValid(token);
      },
    });
    const config = PostroomConfigSchema.parse({
      domains: ['example.com'],
      skills: ['support', 'billing'],
      channels: [
        {
          id: 'support',
          address: 'support@example.com',
          name: 'Example Support',
          defaultSkill: 'support',
          outbound: { enabled: true, transport: 'smtp' },
          smtp: {
            host: 'localhost',
            port: smtp.port,
            security: 'starttls',
            auth: {
              type: 'oauth2',
              user: SMTP_USER,
              provider: 'custom',
              tokenUrl: endpoint.url,
              authorizeUrl: 'https://localhost/authorize',
              clientId: CLIENT_ID,
              redirectUri: REDIRECT_URI,
              scope: 'https://mail.google.com/',
            },
          },
        },
        {
          id: 'sales',
          address: 'sales@example.com',
          name: 'Example Sales',
          defaultSkill: 'support',
          outbound: { enabled: true, transport: 'smtp' },
          smtp: { host: 'localhost', port: smtp.port, security: 'starttls', auth: { type: 'password', user: SMTP_USER } },
        },
      ],
    });
    aws = await startLocalAws(config.skills.map((s) => s.name));
    await seedItems(
      aws.db,
      aws.tableName,
      [
        ...config.channels.map(channelSeedItem),
        ...config.skills.map((s) => skillSeedItem({ ...s, queueUrl: aws.queueUrls[s.name] ?? '', deadLetterQueueUrl: aws.deadLetterQueueUrls[s.name] ?? '' })),
        ...USERS.map(agentSeedItem),
      ],
      new Date().toISOString(),
    );
    const keyFile = join(dir, 'credentials.key');
    const caFile = resolve(import.meta.dirname, '../fixtures/tls/test-only-ca.crt');
    const ca = await readFile(caFile, 'utf8');
    const outbound = createAdminOutbound({ keyring: await localKeyring(keyFile), allowLoopback: true, ca });
    const { db, s3, sqs, tableName, bucket } = aws;
    const deps = createAdminDeps({
      db,
      s3,
      sqs,
      tableName,
      auditTableName: aws.auditTableName,
      bucket,
      domains: config.domains,
      queuePrefix: '',
      queueUrls: aws.queueUrls,
      leaseMs: 120_000,
      outboundQueueUrl: aws.outbound.queueUrl,
      receipt: { put: async () => undefined, remove: async () => undefined },
      queues: new SqsSkillQueues(sqs, { prefix: '', maxReceiveCount: SKILL_MAX_RECEIVES, denyInsecureTransport: false }),
      cipher: async () => outbound.cipher,
      oauth: async () => outbound.oauth,
      tester: async () => outbound.tester(),
      suppressions: new DynamoSuppressionList(db, tableName),
      replies: new QueueReplySender(createQueueReplyDeps({ db, s3, sqs, tableName, bucket, outboundQueueUrl: aws.outbound.queueUrl })),
    });
    // The admin function's logger: Powertools with the redacting replacer, at DEBUG.
    const { logger } = createObservability({ serviceName: 'postroom-admin', namespace: 'Postroom', logLevel: 'DEBUG', publish: false });
    const app = createAdminApp(deps, { authenticate: bearerTokens(Object.fromEntries(Object.entries(TOKENS).map(([user, token]) => [token, user]))), logger });
    server = createAdaptorServer({ fetch: app.fetch, hostname: '127.0.0.1' }) as unknown as Server;
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const handler = createOutboundHandler(
      readEnv(OutboundEnvSchema, {
        TABLE_NAME: tableName,
        MAIL_BUCKET: bucket,
        OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
        CREDENTIALS_KEY_FILE: keyFile,
        ALLOW_LOOPBACK_HOSTS: 'true',
        SMTP_EXTRA_CA_FILE: caFile,
        CHANNEL_CACHE_SECONDS: '1',
      }),
      (() => {
        // Only SMTP channels here: the SES client is wired as in Lambda but never called.
        const local = localHandlerOptions(aws, 'DEBUG');
        return {
          ...local,
          clients: { ...local.clients, ses: createSesClient({ region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, endpoint: 'http://127.0.0.1:9' }) },
        };
      })(),
    );
    poller = startOutboundPoller({
      sqs,
      queueUrl: aws.outbound.queueUrl,
      queueArn: aws.outbound.queueArn,
      handler,
      context: () => context,
      onError: (error) => process.stderr.write(`outbound poller: ${error instanceof Error ? error.message : String(error)}\n`),
    });
  }, 60_000);

  afterAll(async () => {
    await poller?.stop();
    await new Promise<void>((done) => (server ? server.close(() => done()) : done()));
    await Promise.all([endpoint?.close(), smtp?.close()]);
    await aws?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('consents, exchanges, tests, sends and fails with OAuth and password secrets, every user signed in', async () => {
    // Arrange
    for (const [user, token] of Object.entries(TOKENS)) scan.add(`API token of ${user}`, token);
    scan.add('OAuth client secret', CLIENT_SECRET);
    scan.add('SMTP password', SMTP_PASSWORD);
    const wrongClientSecret = 'wrong-client-secret-3c1e55aa';
    const wrongPassword = 'wrong-smtp-password-88d0e4f1';
    const refusedCode = 'code-never-issued-4b7a2d9e';
    for (const [label, value] of [
      ['a wrong client secret', wrongClientSecret],
      ['a wrong SMTP password', wrongPassword],
      ['a refused authorization code', refusedCode],
    ])
      scan.add(label ?? '', value);
    const api = (user: string, method: string, path: string, body?: unknown) =>
      scan.fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${TOKENS[user]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const consent = async () => String((await api('admin', 'POST', '/channels/support/credentials/oauth/consent', {})).json.state);
    const code = () => {
      const issued = endpoint.authorizationCode();
      scan.add('an authorization code', issued);
      return issued;
    };
    const inbound = createInboundHandler(
      readEnv(InboundEnvSchema, {
        TABLE_NAME: aws.tableName,
        MAIL_BUCKET: aws.bucket,
        SKILL_QUEUE_URLS: JSON.stringify(aws.queueUrls),
        OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
      }),
      localHandlerOptions(aws, 'DEBUG'),
    );
    const receive = async (id: string, to: string) => {
      await aws.putRaw(`${RAW_MAIL_PREFIX}${id}`, customerMail({ messageId: `${id}@customer.example`, to }));
      await inbound(
        sesReceiptEvent({ sesMessageId: id, mailFrom: 'carla@customer.example', recipients: [to], verdicts: ALL_PASS, receivedAt: new Date() }),
        context,
      );
    };

    // Act: every user signs in
    const me = await Promise.all(Object.keys(TOKENS).map((user) => api(user, 'GET', '/me')));

    // Act: OAuth: the client secret, a refused code, the consent and the exchange, the login test
    await api('admin', 'PUT', '/channels/support/credentials/oauth-client', { clientSecret: CLIENT_SECRET });
    const refusedExchange = await api('admin', 'POST', '/channels/support/credentials/oauth/exchange', { code: refusedCode, state: await consent() });
    const exchanged = await api('admin', 'POST', '/channels/support/credentials/oauth/exchange', { code: code(), state: await consent() });
    const tested = await api('admin', 'POST', '/channels/support/credentials/test', { to: 'carla@customer.example' });

    // Act: a customer writes; the agent's reply goes out over SMTP with XOAUTH2 (a refresh grant)
    await receive('secrets-oauth-1', 'support@example.com');
    const [pointer] = await aws.drain(aws.queueUrls.support ?? '');
    const conversationId = String((JSON.parse(pointer?.Body ?? '{}') as { conversationId?: string }).conversationId);
    await api('agent-1', 'POST', `/conversations/${conversationId}/reply`, { text: 'Your parcel left today.' });
    await until('the reply sent over SMTP', async () => smtp.received.length >= 2);

    // Act: the password channel, right and wrong
    await api('admin', 'PUT', '/channels/sales/credentials/smtp-password', { password: SMTP_PASSWORD });
    const passwordOk = await api('admin', 'POST', '/channels/sales/credentials/test', {});
    await api('admin', 'PUT', '/channels/sales/credentials/smtp-password', { password: wrongPassword });
    const passwordRefused = await api('admin', 'POST', '/channels/sales/credentials/test', {});
    await receive('secrets-pass-1', 'sales@example.com');
    const [salesPointer] = await aws.drain(aws.queueUrls.support ?? '');
    const salesConversation = String((JSON.parse(salesPointer?.Body ?? '{}') as { conversationId?: string }).conversationId);
    await api('agent-1', 'POST', `/conversations/${salesConversation}/reply`, { text: 'Our quote follows.' });

    // Act: the error paths of OAuth: a wrong client secret, then a revoked refresh token on test and on send
    await api('admin', 'PUT', '/channels/support/credentials/oauth-client', { clientSecret: wrongClientSecret });
    const wrongClient = await api('admin', 'POST', '/channels/support/credentials/oauth/exchange', { code: code(), state: await consent() });
    await api('admin', 'PUT', '/channels/support/credentials/oauth-client', { clientSecret: CLIENT_SECRET });
    await api('admin', 'POST', '/channels/support/credentials/oauth/exchange', { code: code(), state: await consent() });
    endpoint.rotate = true;
    await api('admin', 'POST', '/channels/support/credentials/test', {});
    endpoint.expireAccessTokens();
    // Revoke every refresh token handed out so far: the next grant is refused.
    const grantsBefore = endpoint.grants.length;
    for (const token of issuedRefreshTokens) endpoint.revoke(token);
    const revokedTest = await api('admin', 'POST', '/channels/support/credentials/test', {});
    await api('agent-1', 'POST', `/conversations/${conversationId}/reply`, { text: 'One more thing.' });
    await until('the send attempt with the revoked token', async () => endpoint.grants.length >= grantsBefore + 2);
    // Let the outbound function finish and log the failed attempt.
    await until('the failed send recorded', async () => {
      const history = await api('agent-1', 'GET', `/conversations/${conversationId}?bodies=false`);
      const entries = (history.json.entries ?? []) as { message?: { direction: string; status: string; retrying: boolean; statusReason: string | null } }[];
      return entries.some((e) => e.message?.direction === 'outbound' && (e.message.retrying || e.message.status === 'failed'));
    });

    // Act: what people read back
    await api('supervisor-1', 'GET', '/audit?limit=100');
    await api('admin', 'GET', '/channels/support/credentials');
    await api('admin', 'GET', '/channels/support');
    await api('agent-1', 'GET', `/conversations/${conversationId}`);
    for (const [i, mail] of smtp.received.entries()) scan.record(`mail ${i + 1} the SMTP server received`, mail.raw);

    // Assert: the flows ran as meant
    expect(me.map((r) => r.status)).toEqual(Object.keys(TOKENS).map(() => 200));
    expect(refusedExchange.status).toBeGreaterThanOrEqual(400);
    expect(exchanged.json.oauthRefreshToken).toMatchObject({ set: true });
    expect(tested.json.health).toMatchObject({ status: 'healthy' });
    expect(passwordOk.json.health).toMatchObject({ status: 'healthy' });
    expect(passwordRefused.json.health).toMatchObject({ status: 'failing' });
    expect(wrongClient.status).toBeGreaterThanOrEqual(400);
    expect(revokedTest.json.health).toMatchObject({ status: 'failing' });
    expect(accessTokens).toBeGreaterThanOrEqual(2);
  }, 60_000);
});

describe('the scan', () => {
  it('finds a secret in every form it looks for (the scanner works)', () => {
    // Arrange
    const probe = new SecretScan();
    probe.add('probe', 's3cr3t-probe-value-0042');
    // Act
    const forms = [
      'password=s3cr3t-probe-value-0042',
      `q=${encodeURIComponent('s3cr3t-probe-value-0042 ')}`,
      `AUTH PLAIN ${Buffer.from('\0user\0s3cr3t-probe-value-0042').toString('base64')}`,
      `Basic ${Buffer.from('u:s3cr3t-probe-value-0042').toString('base64')}`,
      JSON.stringify({ line: 's3cr3t-probe-value-0042' }),
    ].map((text) => probe.scanText('probe', text).length);
    // Assert
    expect(forms).toEqual([1, 1, 1, 1, 1]);
    expect(probe.scanText('probe', 'nothing to see')).toEqual([]);
  });

  it('finds no secret in any log line or API answer of the flows above', () => {
    // Act
    release();
    const leaks = scan.leaks();
    const logLines = scan
      .texts()
      .filter((t) => /^(stdout|stderr|console\.)/.test(t.where))
      .map((t) => t.text);
    // Assert: enough was seen to mean something, the error paths among it
    expect(scan.secretCount).toBeGreaterThanOrEqual(20);
    expect(scan.answerCount).toBeGreaterThanOrEqual(40);
    expect(logLines.length).toBeGreaterThanOrEqual(10);
    expect(logLines.some((l) => /"level":"INFO"/.test(l))).toBe(true);
    expect(logLines.filter((l) => /refused|"status":"failed"|error/i.test(l)).length, 'log lines of the error paths').toBeGreaterThan(0);
    expect(leaks.map((l) => `${l.secret} (${l.form}) in ${l.where}: …${l.context}…`)).toEqual([]);
  });
});
