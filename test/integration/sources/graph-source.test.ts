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
import { answerGraphWebhook, graphNotificationUrl } from '../../../functions/runtime/graph-webhook.ts';
import { sourceAdapters } from '../../../functions/runtime/source-deps.ts';
import { GraphStandIn } from '../../support/graph-stand-in.ts';
import { TestClock, customerMail, inboundDeps } from '../../support/inbound-deps.ts';
import { startSeededLocalAws, type LocalAws } from '../../support/local-aws.ts';

let aws: LocalAws;
let graph: GraphStandIn;
let webhook: Server;
let webhookUrl: string;
let keyDir: string;
let cipher: EncryptionSdkSecretCipher;
const polls: string[] = [];
let deps: PollSourceDeps;

beforeAll(async () => {
  aws = await startSeededLocalAws();
  graph = await new GraphStandIn().start();
  keyDir = await mkdtemp(join(tmpdir(), 'postroom-graph-'));
  cipher = new EncryptionSdkSecretCipher(await localKeyring(join(keyDir, 'local.key')));
  const receive = inboundDeps(aws, new TestClock());
  const adapters = sourceAdapters({ db: aws.db, s3: aws.s3, sqs: aws.sqs }, receive, {
    tableName: aws.tableName,
    bucket: aws.bucket,
    cipher,
    allow: { loopback: true },
  });
  // The webhook as API Gateway hands it to the mailbox function: rawPath, query, body.
  webhook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const event = {
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        body: Buffer.concat(chunks).toString('utf8'),
        isBase64Encoded: false,
        pathParameters: { channelId: url.pathname.split('/').pop() },
        requestContext: { http: { method: req.method ?? 'GET' } },
      };
      answerGraphWebhook({ states: adapters.states, enqueuePoll: async (id) => void polls.push(id) }, event).then(
        (answer) => {
          res.writeHead(answer.statusCode, answer.headers).end(answer.body);
        },
        () => res.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}`;
  deps = { ...adapters, notificationUrl: (channelId) => graphNotificationUrl(webhookUrl, channelId) };
});

afterAll(async () => {
  webhook.closeAllConnections();
  await new Promise<void>((resolve) => webhook.close(() => resolve()));
  await graph.close();
  await aws.stop();
  await rm(keyDir, { recursive: true, force: true });
});

async function graphChannel(id: string, secret: string): Promise<ChannelSettings> {
  const mailbox = `${id}@contoso.example`;
  graph.addMailbox(mailbox);
  const channel = ChannelSettingsSchema.parse({
    id,
    address: mailbox,
    defaultSkill: 'support',
    source: {
      type: 'graph',
      tenantId: 'contoso.example',
      mailbox,
      clientId: graph.clientId,
      graphUrl: graph.graphUrl,
      loginUrl: graph.loginUrl,
      initialSync: 'import-closed',
    },
  });
  await new DynamoChannelDirectory(aws.db, aws.tableName, { clock: { now: () => new Date() }, cacheMs: 0 }).put(channel);
  const ciphertext = await cipher.encrypt(secret, {
    channelId: id,
    purpose: 'oauth-client-secret',
    endpoint: secretEndpointKey(channel, 'oauth-client-secret'),
  });
  await new DynamoCredentialStore(aws.db, aws.tableName).putSecret(id, 'oauthClientSecret', ciphertext, new Date().toISOString());
  return channel;
}

describe('a Microsoft Graph source through the runtime wiring, against the Graph stand-in and local AWS', () => {
  it('imports the old mail closed, routes the new, moves each to Handled, subscribes to notifications and polls on a valid one only', async () => {
    const channel = await graphChannel('graph-live', graph.clientSecret);
    const mailbox = channel.source.type === 'graph' ? channel.source.mailbox : '';
    graph.deliver(mailbox, customerMail({ messageId: 'old-1@customer.example', to: mailbox }), { receivedAt: '2026-01-01T10:00:00Z' });
    await aws.drain(aws.queueUrls.support ?? '');

    const first = await pollSource(deps, channel);
    const fresh = graph.deliver(mailbox, customerMail({ messageId: 'new-1@customer.example', to: mailbox, subject: 'Where is my parcel?' }));
    const second = await pollSource(deps, channel);
    const state = await deps.states.get(channel.id);
    const subscriptionId = state?.subscription?.id ?? '';
    polls.length = 0;
    const forged = await graph.notify(subscriptionId, fresh, 'not-the-secret');
    const pollsAfterForgery = polls.length;
    const genuine = await graph.notify(subscriptionId, fresh);

    expect(first.items.map((i) => i.outcome)).toEqual(['imported']);
    expect(second.items.map((i) => i.outcome)).toEqual(['routed']);
    expect(graph.folderNames(mailbox)).toContain('Handled');
    expect(await aws.drain(aws.queueUrls.support ?? '')).toHaveLength(1);
    expect(graph.subscription(subscriptionId)).toBeDefined();
    expect([forged, genuine]).toEqual([202, 202]);
    expect(pollsAfterForgery).toBe(0);
    expect(polls).toEqual([channel.id]);
  });

  it('waits for Retry-After when Graph throttles, and marks the source failing when the client secret is refused', async () => {
    const channel = await graphChannel('graph-faults', 'a-wrong-secret');
    const refused = await pollSource(deps, channel);
    const good = await graphChannel('graph-throttled', graph.clientSecret);
    await pollSource(deps, good);
    graph.throttle(10, '120');
    const throttled = await pollSource(deps, good);
    const waiting = await pollSource(deps, good);
    graph.reset();

    expect(refused).toMatchObject({ status: 'error', health: { status: 'failing' } });
    expect(refused.health.reason).not.toContain('a-wrong-secret');
    expect(throttled.status).toBe('error');
    expect(throttled.health.status).toBe('healthy');
    expect(waiting.status).toBe('waiting');
  });
});
