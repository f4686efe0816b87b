import { describe, expect, it } from 'vitest';
import { ChannelSettingsSchema } from '../../../../functions/core/model/channel.ts';
import { PostroomConfigSchema } from '../../../../functions/core/model/postroom-config.ts';
import { ChannelRetentionSchema, LegalHoldInputSchema, RETENTION_DEFAULTS } from '../../../../functions/core/model/retention.ts';
import { conversationExpiry, epochSeconds, expiryAfter, isExpired, mailRetentionDays } from '../../../../functions/core/retention/expiry.ts';

const DAY = 86_400;
const HOLD = { since: '2027-01-01T00:00:00.000Z', by: 'admin', reason: 'case 2027-14' };

describe('the expiry rule', () => {
  it('keeps a conversation of a channel without its own setting the account-wide days after its last message', () => {
    // Arrange
    const days = mailRetentionDays({}, { mailDays: 730 });
    // Act
    const expiry = conversationExpiry({ lastActivity: '2027-03-01T12:00:00.000Z', retentionDays: days, legalHold: null });
    // Assert
    expect(days).toBe(730);
    expect(expiry).toBe(epochSeconds('2027-03-01T12:00:00.000Z') + 730 * DAY);
  });

  it("uses the channel's own days over the account's", () => {
    expect(mailRetentionDays({ retention: { mailDays: 90 } }, { mailDays: 730 })).toBe(90);
    expect(mailRetentionDays({ retention: undefined }, { mailDays: 730 })).toBe(730);
  });

  it('moves the expiry forward with each new message: it counts from the last one', () => {
    // Act
    const first = conversationExpiry({ lastActivity: '2027-03-01T12:00:00.000Z', retentionDays: 30, legalHold: null });
    const reply = conversationExpiry({ lastActivity: '2027-03-20T08:30:00.000Z', retentionDays: 30, legalHold: null });
    // Assert
    expect(reply).toBe((first ?? 0) + (epochSeconds('2027-03-20T08:30:00.000Z') - epochSeconds('2027-03-01T12:00:00.000Z')));
    expect(reply).toBeGreaterThan(first ?? Number.POSITIVE_INFINITY);
  });

  it('gives a held conversation no expiry at all', () => {
    expect(conversationExpiry({ lastActivity: '2027-03-01T12:00:00.000Z', retentionDays: 30, legalHold: HOLD })).toBeNull();
  });

  it('calls an item expired as TTL does: a numeric expiry earlier than now, and no hold', () => {
    // Arrange
    const now = new Date('2027-06-01T00:00:00.000Z');
    const past = epochSeconds(now) - 1;
    // Assert
    expect(isExpired({ expiresAt: past }, now)).toBe(true);
    expect(isExpired({ expiresAt: epochSeconds(now) }, now)).toBe(false);
    expect(isExpired({ expiresAt: past + 3600 }, now)).toBe(false);
    expect(isExpired({ expiresAt: past, legalHold: HOLD }, now)).toBe(false);
    expect(isExpired({}, now)).toBe(false);
    // DynamoDB ignores a TTL attribute that is no number.
    expect(isExpired({ expiresAt: String(past) }, now)).toBe(false);
    expect(isExpired({ expiresAt: Number.NaN }, now)).toBe(false);
  });

  it('counts whole days in epoch seconds and refuses what is no time', () => {
    expect(expiryAfter('1970-01-01T00:00:00Z', 2)).toBe(2 * DAY);
    expect(expiryAfter(new Date(1500), 1)).toBe(DAY + 1);
    expect(() => epochSeconds('soon')).toThrow(/not a time/);
  });
});

describe('the settings', () => {
  it('documents defaults a contact center expects: two years of mail, three months of failures, seven years of audit', () => {
    // Act
    const config = PostroomConfigSchema.parse({
      domains: ['example.com'],
      skills: ['support'],
      channels: [{ id: 'support', address: 'support@example.com', defaultSkill: 'support' }],
    });
    // Assert
    expect(config.retention).toEqual({ mailDays: 730, failedMailDays: 90, uploadDays: 30, auditDays: 2557, logDays: 90 });
    expect(RETENTION_DEFAULTS.auditDays).toBe(7 * 365 + 2);
  });

  it('reads the old rawMailDays as mailDays, and mailDays over it', () => {
    const base = { domains: ['example.com'], skills: ['support'], channels: [{ id: 'support', address: 'support@example.com', defaultSkill: 'support' }] };
    expect(PostroomConfigSchema.parse({ ...base, retention: { rawMailDays: 365 } }).retention.mailDays).toBe(365);
    expect(PostroomConfigSchema.parse({ ...base, retention: { rawMailDays: 365, mailDays: 400 } }).retention.mailDays).toBe(400);
  });

  it('refuses fractions, too short and too long periods with a clear problem', () => {
    const problems = (value: unknown) => ChannelRetentionSchema.safeParse({ mailDays: value }).error?.issues.map((i) => i.message) ?? [];
    expect(problems(30.5)).toEqual([expect.stringContaining('whole days')]);
    expect(problems(1)).toEqual(['at least 7 days']);
    expect(problems(4000)).toEqual(['at most 3650 days']);
    expect(problems('30')).toEqual([expect.stringContaining('whole days between 7 and 3650')]);
    expect(problems(30)).toEqual([]);
    expect(ChannelRetentionSchema.safeParse({ mailDays: 30, auditDays: 400 }).success).toBe(false);
  });

  it("takes a channel's retention as an optional field of its settings", () => {
    const channel = { id: 'support', address: 'support@example.com', defaultSkill: 'support' };
    expect(ChannelSettingsSchema.parse(channel).retention).toBeUndefined();
    expect(ChannelSettingsSchema.parse({ ...channel, retention: { mailDays: 365 } }).retention).toEqual({ mailDays: 365 });
  });

  it("wants a hold's reason on one line of text", () => {
    expect(LegalHoldInputSchema.parse({ reason: '  case 2027-14 ' })).toEqual({ reason: 'case 2027-14' });
    expect(LegalHoldInputSchema.safeParse({ reason: '' }).success).toBe(false);
    expect(LegalHoldInputSchema.safeParse({ reason: 'a\nb' }).success).toBe(false);
    expect(LegalHoldInputSchema.safeParse({ reason: 'x'.repeat(501) }).success).toBe(false);
    expect(LegalHoldInputSchema.safeParse({}).success).toBe(false);
  });
});
