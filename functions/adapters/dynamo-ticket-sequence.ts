import { PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TicketSequence } from '../core/ports/conversation-store.ts';
import { CHANNEL_PARTITION, itemKeys } from './dynamo-schema.ts';
import { batchGet, isConditionFailed, key, queryAll } from './dynamo-util.ts';

/**
 * The deployment's ticket counter: one atomic `ADD` on one item, so no two conversations of any
 * channels get the same number.
 *
 * Before ticket numbers were unique across channels every channel counted from 1 in a counter of
 * its own. The first draw after that finds no deployment counter and seeds it with the highest of
 * those counters (of the channels listed now and the one drawing), so every number drawn from then
 * on is above every number handed out before. Seeding is a conditional put: of racing first draws
 * one seeds and all go on counting. Numbers of before may repeat across channels; lookups by
 * number report such a repeat (`findByTicket`).
 */
export class DynamoTicketSequence implements TicketSequence {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async next(channelId: string): Promise<number> {
    const drawn = await this.add({ seeded: true });
    if (drawn !== null) return drawn;
    await this.seed(channelId);
    return Number(await this.add({ seeded: false }));
  }

  /** Adds one; with `seeded`, only to a counter that exists (null when it does not). */
  private async add(options: { readonly seeded: boolean }): Promise<number | null> {
    try {
      const out = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: key(itemKeys.deploymentCounter()),
          UpdateExpression: 'ADD #value :one',
          ...(options.seeded ? { ConditionExpression: 'attribute_exists(pk)' } : {}),
          ExpressionAttributeNames: { '#value': 'value' },
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(out.Attributes?.value);
    } catch (error) {
      if (options.seeded && isConditionFailed(error)) return null;
      throw error;
    }
  }

  private async seed(channelId: string): Promise<void> {
    const channels = new Set([channelId, ...(await this.channelIds())]);
    const counters = await batchGet(
      this.client,
      this.tableName,
      [...channels].map((id) => itemKeys.counter(id)),
    );
    const start = Math.max(0, ...counters.map((item) => Number(item.value) || 0));
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...itemKeys.deploymentCounter(), value: start },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionFailed(error)) throw error; // another first draw seeded it
    }
  }

  private async channelIds(): Promise<string[]> {
    const items = await queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': CHANNEL_PARTITION },
      ProjectionExpression: 'sk',
    });
    return items.map((item) => String(item.sk));
  }
}
