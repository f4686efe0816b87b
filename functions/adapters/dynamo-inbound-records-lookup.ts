import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InboundRecordsLookup } from '../core/inbound/reconcile.ts';
import { itemKeys } from './dynamo-schema.ts';

/**
 * Whether anything is stored under a mail's inbound partition (`INBOUND#<id>`): a processing
 * record of any channel (`CHANNEL#…`) or a failed entry (`FAILED#…`). One query of one item; the
 * channel is unknown, so no GetItem can do it.
 */
export class DynamoInboundRecordsLookup implements InboundRecordsLookup {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async exists(mailId: string): Promise<boolean> {
    const out = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': itemKeys.inbound(mailId, '').pk },
        ProjectionExpression: 'pk',
        Limit: 1,
      }),
    );
    return (out.Items?.length ?? 0) > 0;
  }
}
