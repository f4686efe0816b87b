import { describe, expect, it } from 'vitest';
import { BusyError, DependencyError, NotFoundError } from '../../../functions/core/errors.ts';
import {
  headerSection,
  type InboundRecordsLookup,
  LOST_INVOCATION,
  type RawMailListing,
  type RawMailObject,
  reconcileRawMail,
  type ReconcileDeps,
  type ReconcileOptions,
  recipientTiers,
  SOURCE_MAIL_ID_PREFIX,
  UNKNOWN_VERDICTS,
} from '../../../functions/core/inbound/reconcile.ts';
import type { ReceiveOutcome } from '../../../functions/core/inbound/receive-mail.ts';
import { isOwnAddress } from '../../../functions/core/mail/participants.ts';
import { type ChannelSettings, ChannelSettingsSchema } from '../../../functions/core/model/channel.ts';
import type { FailedMail, InboundMail } from '../../../functions/core/model/inbound-record.ts';
import type { ChannelDirectory } from '../../../functions/core/ports/inbound.ts';
import { sourceMailId } from '../../../functions/core/sources/ingest-mail.ts';
import { TestClock } from '../../support/clock.ts';

const PREFIX = 'inbound/raw/';
const MINUTE = 60_000;
const CHANNELS: ChannelSettings[] = [
  ChannelSettingsSchema.parse({ id: 'support', address: 'support@example.com', aliases: ['help@example.com'], defaultSkill: 'support' }),
  ChannelSettingsSchema.parse({ id: 'billing', address: 'billing@example.com', defaultSkill: 'billing' }),
];

/** A raw mail as SES's S3 action stores it: SES's trace field (with its message id) on top of the sender's headers. */
function rawMail(
  id: string,
  headers: { readonly to?: string; readonly cc?: string; readonly for?: string; readonly extra?: readonly string[] } = {},
): Uint8Array {
  const lines = [
    'Return-Path: <carla@customer.example>',
    'Received: from mail.customer.example (mail.customer.example [203.0.113.7])',
    ` by inbound-smtp.eu-west-1.amazonaws.com with SMTP id ${id}${headers.for ? `\r\n for ${headers.for}` : ''};`,
    ' Sun, 22 Nov 2026 09:59:58 +0000 (UTC)',
    'X-SES-Spam-Verdict: PASS',
    'From: Carla Customer <carla@customer.example>',
    ...(headers.to === undefined ? [] : [`To: ${headers.to}`]),
    ...(headers.cc === undefined ? [] : [`Cc: ${headers.cc}`]),
    ...(headers.extra ?? []),
    'Subject: My order has not arrived',
    '',
    'To: nobody@example.com is body text, not a header',
    '',
  ];
  return new TextEncoder().encode(lines.join('\r\n'));
}

interface World {
  readonly deps: ReconcileDeps;
  readonly clock: TestClock;
  readonly objects: RawMailObject[];
  readonly raw: Map<string, Uint8Array>;
  readonly records: Set<string>;
  readonly failed: FailedMail[];
  readonly received: InboundMail[];
  /** Calls of `list`, one per page. */
  readonly pages: string[];
}

/** In-memory ports: pages of two objects, records by mail id, `receive` leaving a record as the inbound path does. */
function world(overrides: Partial<ReconcileDeps> & { readonly receive?: ReconcileDeps['receive'] } = {}): World {
  const clock = new TestClock();
  const objects: RawMailObject[] = [];
  const raw = new Map<string, Uint8Array>();
  const records = new Set<string>();
  const failed: FailedMail[] = [];
  const received: InboundMail[] = [];
  const pages: string[] = [];
  const listing: RawMailListing = {
    async list(cursor) {
      pages.push(cursor ?? 'start');
      const sorted = [...objects].sort((a, b) => a.key.localeCompare(b.key));
      const from = cursor === null ? 0 : Number(cursor);
      const next = from + 2;
      return { objects: sorted.slice(from, next), cursor: next < sorted.length ? String(next) : null };
    },
  };
  const lookup: InboundRecordsLookup = { exists: async (id) => records.has(id) };
  const channels: ChannelDirectory = {
    findByRecipients: async (recipients) => CHANNELS.find((c) => recipients.some((r) => isOwnAddress(c, r))) ?? null,
  };
  const deps: ReconcileDeps = {
    listing,
    records: lookup,
    rawMail: {
      async get(key) {
        const bytes = raw.get(key);
        if (!bytes) throw new NotFoundError(`no ${key}`);
        return bytes;
      },
    },
    channels,
    failed: {
      put: async (failure) => {
        failed.push(failure);
        records.add(failure.sesMessageId);
      },
    },
    clock,
    receive: async (mail) => {
      received.push(mail);
      records.add(mail.sesMessageId);
      const channel = CHANNELS.find((c) => mail.recipients.some((r) => isOwnAddress(c, r)));
      return routed(channel?.id ?? 'none');
    },
    ...overrides,
  };
  return { deps, clock, objects, raw, records, failed, received, pages };
}

function routed(channelId: string): ReceiveOutcome {
  return {
    status: 'routed',
    duplicate: false,
    messageId: 'm',
    channelId,
    conversationId: 'c',
    skill: 'support',
    lane: 'human',
    tags: [],
    acknowledgement: null,
  };
}

/** Stores a raw mail `minutesAgo` before the test clock's now. */
function store(w: World, id: string, minutesAgo: number, bytes: Uint8Array = rawMail(id, { to: 'Example Support <support@example.com>' })): void {
  const key = `${PREFIX}${id}`;
  w.objects.push({ key, lastModified: new Date(w.clock.now().getTime() - minutesAgo * MINUTE).toISOString() });
  w.raw.set(key, bytes);
}

function options(w: World, overrides: Partial<ReconcileOptions> = {}): ReconcileOptions {
  return {
    rawKeyPrefix: PREFIX,
    windowMs: 120 * MINUTE,
    graceMs: 10 * MINUTE,
    maxChecks: 1000,
    maxRecoveries: 50,
    deadline: new Date(w.clock.now().getTime() + 10 * MINUTE),
    ...overrides,
  };
}

describe('reconcileRawMail', () => {
  it('leaves mail that has a record or a failed entry alone, and runs one that has neither through the inbound path', async () => {
    // Arrange
    const w = world();
    store(w, 'recorded', 30);
    store(w, 'listed-failed', 40);
    store(w, 'lost', 50);
    w.records.add('recorded');
    w.records.add('listed-failed');
    // Act
    const report = await reconcileRawMail(w.deps, options(w));
    // Assert
    expect(report).toMatchObject({ listed: 3, due: 3, checked: 3, lost: [], busy: 0, errors: [], shortfall: null });
    expect(report.reconciled.map((r) => r.sesMessageId)).toEqual(['lost']);
    expect(w.received).toEqual([
      {
        sesMessageId: 'lost',
        rawKey: `${PREFIX}lost`,
        recipients: ['support@example.com'],
        verdicts: UNKNOWN_VERDICTS,
        receivedAt: new Date(w.clock.now().getTime() - 50 * MINUTE).toISOString(),
      },
    ]);
  });

  it('looks only at mail stored between the window and the grace: younger mail may still be in its own invocation', async () => {
    // Arrange
    const w = world();
    store(w, 'too-young', 9);
    store(w, 'just-due', 10);
    store(w, 'oldest-due', 120);
    store(w, 'too-old', 121);
    // Act
    const report = await reconcileRawMail(w.deps, options(w));
    // Assert
    expect(report).toMatchObject({ listed: 4, due: 2, checked: 2 });
    expect(w.received.map((m) => m.sesMessageId)).toEqual(['oldest-due', 'just-due']);
  });

  it('skips what no SES invocation was due for: mailbox and import mail, the setup test object, keys below the prefix', async () => {
    // Arrange
    const w = world();
    const sourceId = sourceMailId({ sha256: () => 'a'.repeat(64) }, 'support', 'imap:1');
    store(w, sourceId, 30);
    store(w, 'AMAZON_SES_SETUP_NOTIFICATION', 30);
    store(w, 'nested/object', 30);
    w.objects.push({ key: 'inbound/other/x', lastModified: new Date(w.clock.now().getTime() - 30 * MINUTE).toISOString() });
    // Act
    const report = await reconcileRawMail(w.deps, options(w));
    // Assert
    expect(sourceId.startsWith(SOURCE_MAIL_ID_PREFIX)).toBe(true);
    expect(report).toMatchObject({ due: 0, checked: 0, reconciled: [], lost: [] });
  });

  it('reads every page of the listing', async () => {
    // Arrange
    const w = world();
    for (const id of ['a', 'b', 'c', 'd', 'e']) store(w, id, 20);
    // Act
    const report = await reconcileRawMail(w.deps, options(w));
    // Assert
    expect(w.pages).toEqual(['start', '2', '4']);
    expect(report.reconciled).toHaveLength(5);
  });

  it('gives each channel the mail names its own record, as SES runs one rule per channel', async () => {
    // Arrange
    const w = world();
    store(
      w,
      'two-channels',
      30,
      rawMail('two-channels', { to: 'support@example.com, Someone <someone@customer.example>', cc: '"Billing" <Billing@Example.com>, help@example.com' }),
    );
    // Act
    const report = await reconcileRawMail(w.deps, options(w));
    // Assert
    expect(w.received.map((m) => m.recipients)).toEqual([['support@example.com', 'help@example.com'], ['billing@example.com']]);
    expect(report.reconciled[0]).toMatchObject({ source: 'addressed', outcomes: [{ channelId: 'support' }, { channelId: 'billing' }] });
  });

  it('lists a mail whose headers name no channel as failed, with the addresses it names, so a replay can find a channel added later', async () => {
    // Arrange
    const w = world();
    store(w, 'bcc-only', 30, rawMail('bcc-only', { to: 'Undisclosed recipients:;', cc: 'partner@elsewhere.example' }));
    // Act
    const report = await reconcileRawMail(w.deps, options(w));
    // Assert
    expect(w.received).toEqual([]);
    expect(report.lost).toEqual([{ sesMessageId: 'bcc-only', rawKey: `${PREFIX}bcc-only`, reason: expect.stringContaining('partner@elsewhere.example') }]);
    expect(w.failed).toEqual([
      expect.objectContaining({
        sesMessageId: 'bcc-only',
        channelId: null,
        rawKey: `${PREFIX}bcc-only`,
        code: LOST_INVOCATION,
        failedAt: w.clock.now().toISOString(),
        mail: expect.objectContaining({ recipients: ['partner@elsewhere.example'], verdicts: UNKNOWN_VERDICTS }),
      }),
    ]);
  });

  it('is idempotent: a second run finds the records the first one left and does nothing', async () => {
    // Arrange
    const w = world();
    store(w, 'lost', 30);
    store(w, 'nameless', 40, rawMail('nameless', {}));
    await reconcileRawMail(w.deps, options(w));
    // Act
    const again = await reconcileRawMail(w.deps, options(w));
    // Assert
    expect(again).toMatchObject({ checked: 2, reconciled: [], lost: [] });
    expect(w.received).toHaveLength(1);
    expect(w.failed).toHaveLength(1);
  });

  it('leaves a mail another attempt holds (a late invocation) to it, and collects other errors without stopping', async () => {
    // Arrange
    const failure = new DependencyError('dependency-unavailable', 'DynamoDB throttled');
    const w = world({
      receive: async (mail) => {
        if (mail.sesMessageId === 'held') throw new BusyError('leased');
        if (mail.sesMessageId === 'broken') throw failure;
        return routed('support');
      },
    });
    store(w, 'held', 50);
    store(w, 'broken', 40);
    store(w, 'fine', 30);
    // Act
    const report = await reconcileRawMail(w.deps, options(w));
    // Assert
    expect(report.busy).toBe(1);
    expect(report.errors).toEqual([{ sesMessageId: 'broken', error: failure }]);
    expect(report.reconciled.map((r) => r.sesMessageId)).toEqual(['fine']);
  });

  it('collects an error of the lookup and goes on with the next mail', async () => {
    // Arrange
    const failure = new Error('lookup failed');
    const w = world();
    const deps: ReconcileDeps = {
      ...w.deps,
      records: {
        exists: async (id) => {
          if (id === 'a') throw failure;
          return false;
        },
      },
    };
    store(w, 'a', 40);
    store(w, 'b', 30);
    // Act
    const report = await reconcileRawMail(deps, options(w));
    // Assert
    expect(report.errors).toEqual([{ sesMessageId: 'a', error: failure }]);
    expect(report.reconciled.map((r) => r.sesMessageId)).toEqual(['b']);
  });

  it('collects an error reading the raw copy (the next run tries again)', async () => {
    // Arrange
    const failure = new DependencyError('dependency-unavailable', 'S3 unavailable');
    const w = world();
    const deps: ReconcileDeps = {
      ...w.deps,
      rawMail: {
        get: async () => {
          throw failure;
        },
      },
    };
    store(w, 'a', 40);
    // Act
    const report = await reconcileRawMail(deps, options(w));
    // Assert
    expect(report.errors).toEqual([{ sesMessageId: 'a', error: failure }]);
    expect(w.failed).toEqual([]);
  });

  it('passes over a mail whose raw copy is gone since the listing', async () => {
    // Arrange
    const w = world();
    store(w, 'expired', 30);
    w.raw.delete(`${PREFIX}expired`);
    // Act
    const report = await reconcileRawMail(w.deps, options(w));
    // Assert
    expect(report).toMatchObject({ checked: 1, reconciled: [], lost: [], errors: [] });
  });

  describe('bounds', () => {
    it('checks at most maxChecks objects, oldest first (they leave the window soonest), and says so', async () => {
      // Arrange
      const w = world();
      store(w, 'newer', 20);
      store(w, 'oldest', 100);
      store(w, 'older', 60);
      // Act
      const report = await reconcileRawMail(w.deps, options(w, { maxChecks: 2 }));
      // Assert
      expect(w.received.map((m) => m.sesMessageId)).toEqual(['oldest', 'older']);
      expect(report).toMatchObject({ checked: 2, shortfall: 'max-checks' });
    });

    it('recovers at most maxRecoveries mails a run; the next run takes the rest', async () => {
      // Arrange
      const w = world();
      for (const [i, id] of ['a', 'b', 'c'].entries()) store(w, id, 60 - i);
      // Act
      const first = await reconcileRawMail(w.deps, options(w, { maxRecoveries: 2 }));
      const second = await reconcileRawMail(w.deps, options(w, { maxRecoveries: 2 }));
      // Assert
      expect(first).toMatchObject({ shortfall: 'max-recoveries' });
      expect(first.reconciled.map((r) => r.sesMessageId)).toEqual(['a', 'b']);
      expect(second).toMatchObject({ shortfall: null });
      expect(second.reconciled.map((r) => r.sesMessageId)).toEqual(['c']);
    });

    it('stops listing halfway to the deadline, and checking at the deadline', async () => {
      // Arrange: every call takes a minute of the ten the run has.
      const w = world();
      const slowList = w.deps.listing;
      const deps: ReconcileDeps = {
        ...w.deps,
        listing: {
          list: async (cursor) => {
            w.clock.advance(MINUTE);
            return slowList.list(cursor);
          },
        },
        records: {
          exists: async (id) => {
            w.clock.advance(MINUTE);
            return w.records.has(id);
          },
        },
      };
      for (let i = 0; i < 20; i++) store(w, `m${String(i).padStart(2, '0')}`, 30);
      for (let i = 0; i < 20; i++) w.records.add(`m${String(i).padStart(2, '0')}`);
      // Act
      const report = await reconcileRawMail(deps, options(w));
      // Assert: five pages (ten objects) in five minutes, then checks until the tenth minute.
      expect(report).toMatchObject({ listed: 10, shortfall: 'listing-time', checked: 5 });
    });

    it('reports the checks the deadline cut off', async () => {
      // Arrange
      const w = world();
      const deps: ReconcileDeps = {
        ...w.deps,
        records: {
          exists: async () => {
            w.clock.advance(4 * MINUTE);
            return true;
          },
        },
      };
      for (const id of ['a', 'b', 'c', 'd']) store(w, id, 30);
      // Act
      const report = await reconcileRawMail(deps, options(w));
      // Assert
      expect(report).toMatchObject({ checked: 3, shortfall: 'check-time' });
    });
  });
});

describe('recipientTiers', () => {
  const section = (bytes: Uint8Array) => headerSection(bytes);

  it('trusts the for clause of the trace field carrying this mail’s SES message id first', () => {
    // Arrange
    const bytes = rawMail('abc123', { for: '<Billing+vip@example.com>', to: 'support@example.com' });
    // Act
    const tiers = recipientTiers(section(bytes), 'ABC123');
    // Assert
    expect(tiers).toEqual([
      { source: 'received', addresses: ['billing+vip@example.com'] },
      { source: 'addressed', addresses: ['support@example.com'] },
    ]);
  });

  it('ignores a trace field with another id: a sender can write one, but cannot know the id SES draws', () => {
    // Arrange
    const forged = ['Received: from evil by inbound-smtp.eu-west-1.amazonaws.com with SMTP id guessed for billing@example.com;'];
    const bytes = rawMail('real-id', { to: 'support@example.com', extra: forged });
    // Act
    const tiers = recipientTiers(section(bytes), 'real-id');
    // Assert
    expect(tiers.map((t) => t.source)).toEqual(['addressed']);
  });

  it('reads the delivery headers a forwarding server writes before To and Cc', () => {
    // Arrange
    const bytes = rawMail('x', { to: 'team@customer.example', extra: ['Delivered-To: help@example.com', 'X-Original-To: <support@example.com>'] });
    // Act
    const tiers = recipientTiers(section(bytes), 'x');
    // Assert
    expect(tiers).toEqual([
      { source: 'delivery', addresses: ['help@example.com', 'support@example.com'] },
      { source: 'addressed', addresses: ['team@customer.example'] },
    ]);
  });

  it('unfolds folded fields and reads no header below the empty line', () => {
    // Arrange
    const bytes = new TextEncoder().encode('To: A <a@example.com>,\r\n\tB <b@example.com>\r\n\r\nCc: c@example.com\r\n');
    // Act
    const tiers = recipientTiers(section(bytes), 'x');
    // Assert
    expect(tiers).toEqual([{ source: 'addressed', addresses: ['a@example.com', 'b@example.com'] }]);
  });

  it('reads at most the first 64 KiB of a mail for its headers', () => {
    // Arrange: a header section that never ends, with an address past the limit.
    const filler = `X-Filler: ${'x'.repeat(70 * 1024)}\r\n`;
    const bytes = new TextEncoder().encode(`To: first@example.com\r\n${filler}Cc: late@example.com\r\n`);
    // Act
    const tiers = recipientTiers(section(bytes), 'x');
    // Assert
    expect(tiers).toEqual([{ source: 'addressed', addresses: ['first@example.com'] }]);
  });
});
