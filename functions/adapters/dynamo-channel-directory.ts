import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryAll } from './dynamo-util.ts';
import { ChannelSettingsSchema, type ChannelSettings, type ChannelSettingsInput } from '../core/model/channel.ts';
import { isOwnAddress } from '../core/mail/participants.ts';
import type { ChannelDirectory } from '../core/ports/inbound.ts';
import type { ChannelLookup } from '../core/ports/outbound-store.ts';
import { NotFoundError } from '../core/errors.ts';
import type { Clock } from '../core/ports/clock.ts';
import { CHANNEL_PARTITION, itemKeys } from './dynamo-schema.ts';

/**
 * Channel settings from the Postroom table: one item per channel under one partition, the
 * settings as a JSON string (`settings`) so the deploy-time seed and the admin API write the same
 * shape. Read with one query and cached per container for `cacheMs`.
 */
export class DynamoChannelDirectory implements ChannelDirectory, ChannelLookup {
  private cache: { at: number; channels: ChannelSettings[] } | null = null;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: { readonly clock: Clock; readonly cacheMs: number },
  ) {}

  async findByRecipients(recipients: readonly string[]): Promise<ChannelSettings | null> {
    const match = (channels: readonly ChannelSettings[]) => {
      for (const recipient of recipients) {
        const channel = channels.find((c) => isOwnAddress(c, recipient));
        if (channel) return channel;
      }
      return null;
    };
    // A channel created through the admin API since the cache was filled receives at once: a
    // miss reads the table again (at most once a second) before the mail is failed.
    return match(await this.all()) ?? (this.refreshed() ? match(await this.all()) : null);
  }

  /** Drops a cache older than a second; true when it did. */
  private refreshed(): boolean {
    if (!this.cache || this.options.clock.now().getTime() - this.cache.at < 1000) return false;
    this.cache = null;
    return true;
  }

  /** The channel with this id; `NotFoundError` when there is none. */
  async getChannel(channelId: string): Promise<ChannelSettings> {
    const find = async () => (await this.all()).find((c) => c.id === channelId);
    const channel = (await find()) ?? (this.refreshed() ? await find() : undefined);
    if (!channel) throw new NotFoundError(`channel ${channelId} does not exist`);
    return channel;
  }

  /** Every channel, validated with the same schema the admin API writes with. */
  async all(): Promise<ChannelSettings[]> {
    const now = this.options.clock.now().getTime();
    if (this.cache && now - this.cache.at < this.options.cacheMs) return this.cache.channels;
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': CHANNEL_PARTITION },
      ConsistentRead: true,
    });
    const channels = items.map((i) => ChannelSettingsSchema.parse(JSON.parse(String(i.settings))));
    this.cache = { at: now, channels };
    return channels;
  }

  /** Writes one channel's settings (seed, tests, later the admin API). */
  async put(input: ChannelSettingsInput): Promise<ChannelSettings> {
    const settings = ChannelSettingsSchema.parse(input);
    await this.client.send(new PutCommand({ TableName: this.tableName, Item: channelItem(settings) }));
    this.cache = null;
    return settings;
  }
}

/** The table item of a channel, as plain values (the CDK seed marshals the same shape). */
export function channelItem(settings: ChannelSettings): Record<string, string> {
  return { ...itemKeys.channel(settings.id), settings: JSON.stringify(settings) };
}
