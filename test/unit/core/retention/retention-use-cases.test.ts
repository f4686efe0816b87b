import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../../functions/core/errors.ts';
import type { AuditEntry } from '../../../../functions/core/model/admin-resources.ts';
import type { LegalHold } from '../../../../functions/core/model/retention.ts';
import type { ConversationSummary } from '../../../../functions/core/ports/admin.ts';
import { expireRecord } from '../../../../functions/core/retention/expire-record.ts';
import { epochSeconds } from '../../../../functions/core/retention/expiry.ts';
import { placeLegalHold, releaseLegalHold, type LegalHoldDeps } from '../../../../functions/core/retention/legal-hold.ts';
import type {
  ExpiredRecord,
  ExpiringItems,
  ExpiringMessage,
  ExpiryCandidate,
  RetentionObjects,
  RetentionRecords,
} from '../../../../functions/core/retention/ports.ts';
import { sweepExpired } from '../../../../functions/core/retention/sweep-expired.ts';
import { TestClock } from '../../../support/clock.ts';

const message = (id: string, extra: Partial<ExpiringMessage> = {}): ExpiringMessage => ({
  messageId: id,
  channelId: 'support',
  conversationId: 'c1',
  direction: 'inbound',
  at: '2027-01-01T00:00:00.000Z',
  sesMessageId: `ses-${id}`,
  rawKey: `inbound/raw/ses-${id}`,
  attachmentCount: 1,
  messageIds: [`${id}@customer.example`],
  providerMessageId: null,
  ...extra,
});

/** Records every call, in order; a mail's raw copy is shared while another record of it remains. */
class Recorder implements RetentionRecords, RetentionObjects {
  readonly calls: string[] = [];
  constructor(
    readonly messages: Map<string, ExpiringMessage[]> = new Map(),
    readonly sharedMail = new Set<string>(),
  ) {}
  async messagesOf(id: string) {
    return this.messages.get(id) ?? [];
  }
  async forgetMessage(m: ExpiringMessage) {
    this.calls.push(`forget ${m.messageId}`);
    return { rawUnused: !this.sharedMail.has(m.sesMessageId ?? '') };
  }
  async deleteMessage(m: ExpiringMessage) {
    this.calls.push(`delete ${m.messageId}`);
  }
  async deleteConversation(c: { id: string }) {
    this.calls.push(`delete conversation ${c.id}`);
  }
  async forgetFailedMail(ses: string) {
    this.calls.push(`forget failed ${ses}`);
    return { rawUnused: !this.sharedMail.has(ses) };
  }
  async deleteMessageObjects(m: ExpiringMessage, options: { raw: boolean }) {
    this.calls.push(`objects ${m.messageId}${options.raw ? ' +raw' : ''}`);
    return m.attachmentCount + (options.raw ? 1 : 0);
  }
  async deleteRaw(key: string) {
    this.calls.push(`raw ${key}`);
    return 1;
  }
}

describe('expireRecord', () => {
  it("takes a conversation's messages along, each with its traces and objects before the message item, then the rest of it", async () => {
    // Arrange
    const r = new Recorder(new Map([['c1', [message('m1'), message('m2', { direction: 'outbound', sesMessageId: null, rawKey: null, attachmentCount: 0 })]]]));
    // Act
    const outcome = await expireRecord(
      { records: r, objects: r },
      { kind: 'conversation', conversation: { id: 'c1', channelId: 'support', ticketNumber: '0000017', replyToken: 'tok' } },
    );
    // Assert
    expect(r.calls).toEqual(['forget m1', 'objects m1 +raw', 'delete m1', 'forget m2', 'objects m2 +raw', 'delete m2', 'delete conversation c1']);
    expect(outcome).toEqual({ kind: 'conversation', conversation: { id: 'c1', ticketNumber: '0000017', channelId: 'support' }, messages: 2, objects: 3 });
  });

  it("keeps a raw copy another channel's record of the mail still uses", async () => {
    const r = new Recorder(new Map(), new Set(['ses-m1']));
    await expireRecord({ records: r, objects: r }, { kind: 'message', message: message('m1', { conversationId: null }) });
    expect(r.calls).toEqual(['forget m1', 'objects m1', 'delete m1']);
  });

  it("deletes failed mail's raw copy only when nothing else of the mail remains", async () => {
    // Arrange
    const alone = new Recorder();
    const shared = new Recorder(new Map(), new Set(['ses-2']));
    const failed = (ses: string): ExpiredRecord => ({ kind: 'failed-mail', sesMessageId: ses, channelId: 'support', rawKey: `inbound/raw/${ses}` });
    // Act
    const a = await expireRecord({ records: alone, objects: alone }, failed('ses-1'));
    const b = await expireRecord({ records: shared, objects: shared }, failed('ses-2'));
    // Assert
    expect(alone.calls).toEqual(['forget failed ses-1', 'raw inbound/raw/ses-1']);
    expect(a.objects).toBe(1);
    expect(shared.calls).toEqual(['forget failed ses-2']);
    expect(b.objects).toBe(0);
  });

  it('does nothing more for items that were all there was', async () => {
    const r = new Recorder();
    expect(await expireRecord({ records: r, objects: r }, { kind: 'other' })).toEqual({ kind: 'other', conversation: null, messages: 0, objects: 0 });
    expect(r.calls).toEqual([]);
  });
});

/** A table in memory that scans and takes as the Dynamo adapter does. */
class MemoryItems implements ExpiringItems {
  constructor(readonly items: Map<string, { expiresAt?: number; legalHold?: LegalHold; record: ExpiredRecord }>) {}
  async scan(before: Date, cursor: string | null) {
    const due = [...this.items.entries()].filter(([, i]) => typeof i.expiresAt === 'number' && i.expiresAt < epochSeconds(before));
    // Two pages, to follow the cursor.
    const page = cursor === null ? due.slice(0, 1) : due.slice(1);
    return {
      items: page.map(([ref, i]) => ({ expiresAt: i.expiresAt, legalHold: i.legalHold, record: i.record, ref })),
      cursor: cursor === null && due.length > 1 ? 'next' : null,
    };
  }
  async take(c: ExpiryCandidate, now: Date) {
    const item = this.items.get(String(c.ref));
    if (!item || item.legalHold || (item.expiresAt ?? Number.POSITIVE_INFINITY) >= epochSeconds(now)) return false;
    return this.items.delete(String(c.ref));
  }
}

describe('sweepExpired', () => {
  it('takes what is due, reacts to each as the stream would, and leaves what is held or not due', async () => {
    // Arrange
    const now = new Date('2029-06-01T00:00:00.000Z');
    const past = epochSeconds(now) - 10;
    const conversation = (id: string): ExpiredRecord => ({
      kind: 'conversation',
      conversation: { id, channelId: 'support', ticketNumber: id, replyToken: null },
    });
    const table = new MemoryItems(
      new Map([
        ['due', { expiresAt: past, record: conversation('due') }],
        ['later', { expiresAt: past + 86_400, record: conversation('later') }],
        ['held', { record: conversation('held'), legalHold: { since: '2029-01-01', by: 'admin', reason: 'case' } }],
      ]),
    );
    const audit = new MemoryItems(new Map([['entry', { expiresAt: past - 5, record: { kind: 'other' } as ExpiredRecord }]]));
    const r = new Recorder();
    const aged: [string, Date][] = [];
    // Act
    const report = await sweepExpired(
      {
        records: r,
        objects: r,
        tables: [table, audit],
        settings: { uploadDays: 30 },
        aged: {
          expireOlderThan: async (prefix, before) => {
            aged.push([prefix, before]);
            return 2;
          },
        },
      },
      now,
    );
    // Assert
    expect(report.expired.map((e) => e.kind)).toEqual(['conversation', 'other']);
    expect(report.expired[0]?.conversation?.id).toBe('due');
    expect([...table.items.keys()]).toEqual(['later', 'held']);
    expect(audit.items.size).toBe(0);
    expect(report).toMatchObject({ now: now.toISOString(), kept: 0, aged: 2 });
    expect(aged).toEqual([['outbound/uploads/', new Date('2029-05-02T00:00:00.000Z')]]);
  });

  it('counts as kept an item the rule finds not due after all (held since the scan), and never reacts to it', async () => {
    // Arrange
    const now = new Date('2029-06-01T00:00:00.000Z');
    const hold = { since: '2029-05-31', by: 'admin', reason: 'case' };
    const table = new MemoryItems(new Map([['c', { expiresAt: epochSeconds(now) - 1, legalHold: hold, record: { kind: 'other' } as ExpiredRecord }]]));
    const r = new Recorder();
    // Act
    const report = await sweepExpired({ records: r, objects: r, tables: [table], settings: { uploadDays: 30 }, aged: { expireOlderThan: async () => 0 } }, now);
    // Assert
    expect(report).toMatchObject({ expired: [], kept: 1 });
    expect(table.items.has('c')).toBe(true);
  });
});

describe('legal holds', () => {
  const summary = (extra: Partial<ConversationSummary> = {}): ConversationSummary => ({
    id: 'c1',
    channelId: 'support',
    ticketNumber: '0000017',
    participants: ['carla@customer.example'],
    status: 'open',
    lastAgent: null,
    replyToken: null,
    createdAt: '2027-01-01T00:00:00.000Z',
    updatedAt: '2027-02-01T00:00:00.000Z',
    lastSkill: null,
    legalHold: null,
    expiresAt: null,
    ...extra,
  });
  const request = {
    actor: { kind: 'token' as const, id: 'admin', agentId: 'admin', role: 'admin' as const },
    requestId: 'req-1',
    caller: { agentId: 'admin', role: 'admin' as const, displayName: 'Ada Admin', channels: [], skills: [] },
  };

  function world(stored: ConversationSummary | null, channelDays?: number) {
    const audit: AuditEntry[] = [];
    const placed: LegalHold[] = [];
    const released: { expiresAt: number; retentionDays: number }[] = [];
    const deps: LegalHoldDeps = {
      clock: new TestClock(new Date('2027-03-01T00:00:00.000Z')),
      ids: { next: () => `id-${audit.length}` },
      audit: { append: async (e) => void audit.push(e), list: async () => ({ items: audit, cursor: null }) },
      conversations: {
        get: async (id) => (stored && stored.id === id ? stored : null),
        messages: async () =>
          [
            { direction: 'inbound', receivedAt: '2027-01-05T00:00:00.000Z' },
            { direction: 'outbound', createdAt: '2027-01-20T10:00:00.000Z' },
          ] as never,
      },
      channels: { get: async (id) => (id === 'support' && channelDays ? ({ value: { retention: { mailDays: channelDays } } } as never) : null) },
      retention: { mailDays: 730 },
      holds: {
        place: async (_id, hold) => {
          placed.push(hold);
          return summary({ legalHold: hold });
        },
        release: async (_id, expiry) => {
          released.push(expiry);
          return summary({ expiresAt: new Date(expiry.expiresAt * 1000).toISOString() });
        },
      },
    };
    return { deps, audit, placed, released };
  }

  it('places a hold by the caller with the reason, audited without the reason', async () => {
    // Arrange
    const w = world(summary());
    // Act
    const held = await placeLegalHold(w.deps, request, 'c1', { reason: 'case 2027-14' });
    // Assert
    expect(w.placed).toEqual([{ since: '2027-03-01T00:00:00.000Z', by: 'admin', reason: 'case 2027-14' }]);
    expect(held.legalHold?.reason).toBe('case 2027-14');
    expect(w.audit).toEqual([
      expect.objectContaining({ action: 'conversation.legal-hold.place', resource: { type: 'conversation', id: 'c1' }, fields: ['legalHold'] }),
    ]);
    expect(JSON.stringify(w.audit)).not.toContain('2027-14');
  });

  it('keeps when a hold was first placed when it is placed again', async () => {
    const w = world(summary({ legalHold: { since: '2027-02-10T00:00:00.000Z', by: 'someone', reason: 'old' } }));
    await placeLegalHold(w.deps, request, 'c1', { reason: 'new matter' });
    expect(w.placed[0]).toEqual({ since: '2027-02-10T00:00:00.000Z', by: 'admin', reason: 'new matter' });
  });

  it("releases with the expiry from the channel's setting (else the account's), counted from the last message", async () => {
    // Arrange
    const held = summary({ legalHold: { since: '2027-02-10T00:00:00.000Z', by: 'admin', reason: 'case' } });
    const own = world(held, 90);
    const account = world(held);
    // Act
    await releaseLegalHold(own.deps, request, 'c1');
    await releaseLegalHold(account.deps, request, 'c1');
    // Assert
    const last = epochSeconds('2027-01-20T10:00:00.000Z');
    expect(own.released).toEqual([{ expiresAt: last + 90 * 86_400, retentionDays: 90 }]);
    expect(account.released).toEqual([{ expiresAt: last + 730 * 86_400, retentionDays: 730 }]);
    expect(own.audit[0]).toMatchObject({ action: 'conversation.legal-hold.release', fields: ['expiresAt', 'legalHold'] });
  });

  it('answers not found for an unknown conversation, and for a release without a hold, writing nothing', async () => {
    const none = world(null);
    await expect(placeLegalHold(none.deps, request, 'c1', { reason: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    const unheld = world(summary());
    await expect(releaseLegalHold(unheld.deps, request, 'c1')).rejects.toThrow(/has no legal hold/);
    expect([...none.audit, ...unheld.audit, ...unheld.released]).toEqual([]);
  });
});
