import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoChannelDirectory } from '../../../functions/adapters/dynamo-channel-directory.ts';
import { DynamoConversationAdmin } from '../../../functions/adapters/dynamo-conversation-admin.ts';
import { DynamoSourceKeys, DynamoSourceStateStore } from '../../../functions/adapters/dynamo-source-state.ts';
import { S3RawMailStore } from '../../../functions/adapters/s3-raw-mail-store.ts';
import { randomSecret, sha256Hex } from '../../../functions/adapters/node-digests.ts';
import { ChannelSettingsSchema, type ChannelSettings } from '../../../functions/core/model/channel.ts';
import {
  MailboxAuthError,
  type MailboxConnector,
  type MailboxItem,
  type MailboxSession,
  MailboxTooLargeError,
  MailboxUnavailableError,
  type SettleAction,
  type SourceCursor,
} from '../../../functions/core/ports/mailbox.ts';
import { type PollSourceDeps, pollSource, UNREACHABLE_POLLS_BEFORE_FAILING } from '../../../functions/core/sources/poll-source.ts';
import { RAW_MAIL_PREFIX } from '../../../functions/runtime/ses-event.ts';
import { TestClock, customerMail, inboundDeps } from '../../support/inbound-deps.ts';
import { startSeededLocalAws, type LocalAws } from '../../support/local-aws.ts';

/** A mailbox in memory with IMAP's semantics: UIDs, UIDVALIDITY, folders; faults on demand. */
class FakeMailbox implements MailboxConnector {
  uidValidity = 1;
  nextUid = 1;
  folders = new Map<string, { uid: number; raw: string; size: number }[]>([['INBOX', []]]);
  failLogin: Error | null = null;
  failSettleOnce = false;
  fetched = 0;

  deliver(raw: string, size = raw.length): void {
    this.folders.get('INBOX')?.push({ uid: this.nextUid++, raw, size });
  }

  inbox(): string[] {
    return (this.folders.get('INBOX') ?? []).map((m) => m.raw);
  }

  folder(name: string): string[] {
    return (this.folders.get(name) ?? []).map((m) => m.raw);
  }

  async open(): Promise<MailboxSession> {
    if (this.failLogin) throw this.failLogin;
    const box = this;
    const inbox = () => box.folders.get('INBOX') ?? [];
    const key = (uid: number) => `imap:INBOX:${box.uidValidity}:${uid}`;
    return {
      async list(cursor: SourceCursor | null, limit: number) {
        const rescan = cursor !== null && cursor.uidValidity !== box.uidValidity;
        const after = cursor && !rescan ? Number(cursor.lastUid) : 0;
        const all = inbox().filter((m) => m.uid > after);
        const items: MailboxItem[] = all.slice(0, limit).map((m) => ({
          key: key(m.uid),
          size: m.size,
          receivedAt: '2026-12-01T10:00:00.000Z',
          cursorAfter: { uidValidity: box.uidValidity, lastUid: m.uid },
        }));
        return { items, more: all.length > limit, rescan };
      },
      async fetch(item: MailboxItem, maxBytes: number) {
        const m = inbox().find((x) => key(x.uid) === item.key);
        if (!m) throw new Error('gone');
        if (m.size > maxBytes) throw new MailboxTooLargeError(`message of ${m.size} bytes is over ${maxBytes}`);
        box.fetched += 1;
        return new TextEncoder().encode(m.raw);
      },
      async settle(item: MailboxItem, action: SettleAction) {
        if (box.failSettleOnce) {
          box.failSettleOnce = false;
          throw new MailboxUnavailableError('connection reset during MOVE');
        }
        const list = inbox();
        const i = list.findIndex((x) => key(x.uid) === item.key);
        if (i < 0 || action.type === 'keep') return;
        const [m] = list.splice(i, 1);
        if (action.type === 'move' && m) {
          if (!box.folders.has(action.folder)) box.folders.set(action.folder, []);
          box.folders.get(action.folder)?.push(m);
        }
      },
      async end() {
        return { uidValidity: box.uidValidity, lastUid: box.nextUid - 1 };
      },
      async boundary() {
        return { uidValidity: box.uidValidity, lastUid: box.nextUid - 1 };
      },
      precedes(item: MailboxItem, boundary: SourceCursor) {
        const [, , validity, uid] = item.key.split(':');
        return Number(validity) === boundary.uidValidity && Number(uid) <= Number(boundary.lastUid);
      },
      async close() {},
    };
  }
}

let aws: LocalAws;
let n = 0;
const mailId = (label: string) => `${label}-${++n}@customer.example`;

beforeAll(async () => {
  aws = await startSeededLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

async function mailboxChannel(id: string, source: Record<string, unknown>): Promise<ChannelSettings> {
  const channel = ChannelSettingsSchema.parse({
    id,
    address: `${id}@mailbox.example.org`,
    defaultSkill: 'support',
    acknowledgement: { enabled: true },
    source: { type: 'imap', host: 'imap.example.org', user: `${id}@example.org`, ...source },
  });
  await new DynamoChannelDirectory(aws.db, aws.tableName, { clock: { now: () => new Date() }, cacheMs: 0 }).put(channel);
  return channel;
}

function pollDeps(box: FakeMailbox): PollSourceDeps {
  const receive = inboundDeps(aws, new TestClock());
  return {
    receive,
    states: new DynamoSourceStateStore(aws.db, aws.tableName),
    keys: new DynamoSourceKeys(aws.db, aws.tableName),
    raw: new S3RawMailStore(aws.s3, aws.bucket),
    rawKeyOf: (id) => `${RAW_MAIL_PREFIX}${id}`,
    failed: receive.failed,
    clock: { now: () => new Date() },
    sha256: sha256Hex,
    secret: randomSecret,
    connect: async () => box,
  };
}

describe('polling a mailbox source against dynalite, S3 and fauxqs', () => {
  it('imports the mail there at the first connection as closed conversations, routes what arrives later, and moves each to Handled', async () => {
    const channel = await mailboxChannel('mbx-import', { initialSync: 'import-closed' });
    const box = new FakeMailbox();
    const old = [mailId('old'), mailId('old'), mailId('old')];
    for (const id of old) box.deliver(customerMail({ messageId: id, to: channel.address }));
    const deps = pollDeps(box);
    await aws.drain(aws.queueUrls.support ?? '');
    await aws.drain(aws.outbound.queueUrl);

    const first = await pollSource(deps, channel);
    box.deliver(customerMail({ messageId: mailId('new'), to: channel.address, subject: 'A new question' }));
    box.deliver(customerMail({ messageId: mailId('new'), to: channel.address, subject: 'Another new question' }));
    const second = await pollSource(deps, channel);

    expect(first.items.map((i) => i.outcome)).toEqual(['imported', 'imported', 'imported']);
    expect(second.items.map((i) => i.outcome)).toEqual(['routed', 'routed']);
    expect(box.inbox()).toEqual([]);
    expect(box.folder('Handled')).toHaveLength(5);
    const queued = await aws.drain(aws.queueUrls.support ?? '');
    expect(queued).toHaveLength(2);
    // Imported mail is never acknowledged; the first new one is (the second is within the sender's window).
    expect(await aws.drain(aws.outbound.queueUrl)).toHaveLength(1);
    const admin = new DynamoConversationAdmin(aws.db, aws.tableName);
    const page = await admin.list({ channelId: channel.id }, { limit: 20 });
    expect(page.items.map((c) => c.status).sort()).toEqual(['closed', 'closed', 'closed', 'open', 'open']);
    expect(second.counts).toMatchObject({ fetched: 5, imported: 3, routed: 2, failed: 0 });
    expect(second.health.status).toBe('healthy');

    // A customer's later reply reopens the imported conversation through live threading.
    box.deliver(customerMail({ messageId: mailId('reply'), to: channel.address, inReplyTo: old[0] }));
    const third = await pollSource(deps, channel);
    const reopened = third.items[0]?.mailId ?? '';
    expect(third.items.map((i) => i.outcome)).toEqual(['routed']);
    const after = await admin.list({ channelId: channel.id }, { limit: 20 });
    expect(after.items.map((c) => c.status).sort()).toEqual(['closed', 'closed', 'open', 'open', 'open']);
    expect(reopened).not.toBe('');
    await aws.drain(aws.queueUrls.support ?? '');
  });

  it('skips the mail already there with `skip`, and reads only what arrives later', async () => {
    const channel = await mailboxChannel('mbx-skip', { initialSync: 'skip', afterProcessing: 'keep' });
    const box = new FakeMailbox();
    box.deliver(customerMail({ messageId: mailId('before'), to: channel.address }));
    const deps = pollDeps(box);
    const first = await pollSource(deps, channel);
    box.deliver(customerMail({ messageId: mailId('after'), to: channel.address }));
    const second = await pollSource(deps, channel);
    const third = await pollSource(deps, channel);

    expect(first.items).toEqual([]);
    expect(second.items.map((i) => i.outcome)).toEqual(['routed']);
    expect(third.items).toEqual([]);
    // `keep` leaves both where they are; the cursor remembers.
    expect(box.inbox()).toHaveLength(2);
    await aws.drain(aws.queueUrls.support ?? '');
  });

  it('settles a message whose move failed on the next poll without processing it twice', async () => {
    const channel = await mailboxChannel('mbx-crash', {});
    const box = new FakeMailbox();
    const deps = pollDeps(box);
    await pollSource(deps, channel);
    await aws.drain(aws.queueUrls.support ?? '');
    box.deliver(customerMail({ messageId: mailId('crash'), to: channel.address }));
    box.failSettleOnce = true;

    const crashed = await pollSource(deps, channel);
    const fetchedBefore = box.fetched;
    const retried = await pollSource(deps, channel);

    expect(crashed).toMatchObject({ status: 'error', error: expect.stringMatching(/connection reset/) });
    expect(retried.items.map((i) => i.outcome)).toEqual(['routed']);
    expect(box.fetched).toBe(fetchedBefore);
    expect(box.folder('Handled')).toHaveLength(1);
    expect(await aws.drain(aws.queueUrls.support ?? '')).toHaveLength(1);
  });

  it('sends a huge and an unparseable message to Failed with their reasons, and goes on with the rest', async () => {
    const channel = await mailboxChannel('mbx-bad', { initialSync: 'skip' });
    const box = new FakeMailbox();
    const deps = pollDeps(box);
    await pollSource(deps, channel);
    box.deliver('x'.repeat(100), channel.maxMessageBytes + 1);
    box.deliver('\u0000\u0001 not a mail at all');
    box.deliver(customerMail({ messageId: mailId('fine'), to: channel.address }));

    const report = await pollSource(deps, channel);

    expect(report.items.map((i) => i.outcome)).toEqual(['failed', expect.stringMatching(/failed|recorded|routed/), 'routed']);
    expect(report.items[0]?.reason).toMatch(/Failed folder/);
    expect(box.folder('Failed').length).toBeGreaterThanOrEqual(1);
    expect(box.folder('Handled').length + box.folder('Failed').length).toBe(3);
    await aws.drain(aws.queueUrls.support ?? '');
  });

  it('finds the same content under a new key after a UIDVALIDITY change a duplicate, not a second mail', async () => {
    const channel = await mailboxChannel('mbx-validity', { afterProcessing: 'keep' });
    const box = new FakeMailbox();
    const deps = pollDeps(box);
    await pollSource(deps, channel);
    box.deliver(customerMail({ messageId: mailId('v'), to: channel.address }));
    const first = await pollSource(deps, channel);
    box.uidValidity = 2;

    const rescanned = await pollSource(deps, channel);

    expect(first.items.map((i) => i.outcome)).toEqual(['routed']);
    expect(rescanned.rescan).toBe(true);
    expect(rescanned.items.map((i) => i.outcome)).toEqual(['duplicate']);
    expect(await aws.drain(aws.queueUrls.support ?? '')).toHaveLength(1);
  });

  it('marks a source failing when the login is refused, keeps its cursor, and resumes once fixed; an outage fails it only after several polls', async () => {
    const channel = await mailboxChannel('mbx-health', { initialSync: 'skip' });
    const box = new FakeMailbox();
    const deps = pollDeps(box);
    await pollSource(deps, channel);
    const states = new DynamoSourceStateStore(aws.db, aws.tableName);
    const cursor = (await states.get(channel.id))?.cursor;
    box.deliver(customerMail({ messageId: mailId('waiting'), to: channel.address }));

    box.failLogin = new MailboxAuthError('AUTHENTICATIONFAILED Invalid credentials');
    const refused = await pollSource(deps, channel);
    box.failLogin = null;
    const fixed = await pollSource(deps, channel);
    box.failLogin = new MailboxUnavailableError('connect ECONNREFUSED');
    const outages = [];
    for (let i = 0; i < UNREACHABLE_POLLS_BEFORE_FAILING; i += 1) outages.push(await pollSource(deps, channel));

    expect(refused.status).toBe('error');
    expect(refused.health).toMatchObject({ status: 'failing', reason: expect.stringMatching(/Invalid credentials/) });
    expect((await states.get(channel.id))?.cursor).toBeDefined();
    expect(cursor).not.toBeNull();
    expect(fixed.health.status).toBe('healthy');
    expect(fixed.items.map((i) => i.outcome)).toEqual(['routed']);
    expect(outages.slice(0, -1).every((r) => r.health.status === 'healthy')).toBe(true);
    expect(outages.at(-1)?.health.status).toBe('failing');
    await aws.drain(aws.queueUrls.support ?? '');
  });
});
