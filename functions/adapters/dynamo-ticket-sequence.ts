import { UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TicketSequence } from '../core/ports/conversation-store.ts';
import { itemKeys } from './dynamo-schema.ts';
import { key } from './dynamo-util.ts';

/** A channel's ticket counter: one atomic `ADD`, so concurrent calls never get the same value. */
export class DynamoTicketSequence implements TicketSequence {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async next(channelId: string): Promise<number> {
    const out = await this.client.send(new UpdateCommand({
      TableName: this.tableName,
      Key: key(itemKeys.counter(channelId)),
      UpdateExpression: 'ADD #value :one',
      ExpressionAttributeNames: { '#value': 'value' },
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }));
    return Number(out.Attributes?.value);
  }
}
