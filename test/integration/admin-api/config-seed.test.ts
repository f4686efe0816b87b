import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { channelSeedItem, seedItems, unseedItem } from '../../../functions/adapters/dynamo-config-seed.ts';
import { DynamoChannelDirectory } from '../../../functions/adapters/dynamo-channel-directory.ts';
import { itemKeys } from '../../../functions/adapters/dynamo-schema.ts';
import { ChannelSettingsSchema } from '../../../functions/core/model/channel.ts';
import { EXAMPLE_CONFIG } from '../../support/local-aws.ts';
import { startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';

let h: AdminHarness;
beforeAll(async () => {
  h = await startAdminHarness();
});
afterAll(async () => h.stop());

const [support, billing] = EXAMPLE_CONFIG.channels;

describe('deploy config and API together', () => {
  it('lets a redeploy change what the API never touched, and never what the API changed', async () => {
    // Arrange: the admin renames the support channel through the API
    await h.call('PATCH', '/channels/support', { body: { name: 'Renamed by admin' }, headers: { 'if-match': '"1"' } });
    const redeployed = [
      ChannelSettingsSchema.parse({ ...support, name: 'Renamed in config' }),
      ChannelSettingsSchema.parse({ ...billing, name: 'Billing (config v2)' }),
    ];
    // Act
    const kept = await seedItems(h.aws.db, h.aws.tableName, redeployed.map(channelSeedItem), '2026-11-23T00:00:00.000Z');
    const directory = new DynamoChannelDirectory(h.aws.db, h.aws.tableName, { clock: { now: () => new Date() }, cacheMs: 0 });
    const channels = await directory.all();
    const billingRead = await (await h.call('GET', '/channels/billing')).json();
    // Assert
    expect(kept).toEqual([itemKeys.channel('support')]);
    expect(channels.find((c) => c.id === 'support')?.name).toBe('Renamed by admin');
    expect(channels.find((c) => c.id === 'billing')?.name).toBe('Billing (config v2)');
    expect(billingRead).toMatchObject({ managedBy: 'config', version: 2 });
  });

  it('deletes a channel that left the config only while the API has not taken it over', async () => {
    // Act
    const apiOwned = await unseedItem(h.aws.db, h.aws.tableName, itemKeys.channel('support'));
    const configOwned = await unseedItem(h.aws.db, h.aws.tableName, itemKeys.channel('billing'));
    // Assert
    expect(apiOwned).toBe(false);
    expect(configOwned).toBe(true);
    expect((await h.call('GET', '/channels/support')).status).toBe(200);
    expect((await h.call('GET', '/channels/billing')).status).toBe(404);
  });
});
