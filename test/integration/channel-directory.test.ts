import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoChannelDirectory } from '../../functions/adapters/dynamo-channel-directory.ts';
import { TestClock } from '../support/clock.ts';
import { startSeededLocalAws, type LocalAws } from '../support/local-aws.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startSeededLocalAws();
});

afterAll(async () => {
  await aws.stop();
});

describe('DynamoChannelDirectory', () => {
  it('finds a channel created after its cache was filled, without waiting for the cache to expire', async () => {
    // Arrange: a container that cached the channels a minute long
    const clock = new TestClock();
    const reader = new DynamoChannelDirectory(aws.db, aws.tableName, { clock, cacheMs: 60_000 });
    const writer = new DynamoChannelDirectory(aws.db, aws.tableName, { clock, cacheMs: 0 });
    await reader.findByRecipients(['support@example.com']);
    await writer.put({ id: 'late', address: 'late@example.com', defaultSkill: 'support' });
    // Act
    const withinASecond = await reader.findByRecipients(['late@example.com']);
    clock.advance(1_500);
    const later = await reader.findByRecipients(['late@example.com']);
    const unknown = await reader.findByRecipients(['nobody@example.com']);
    // Assert
    expect(withinASecond).toBeNull();
    expect(later?.id).toBe('late');
    expect(unknown).toBeNull();
  });
});
