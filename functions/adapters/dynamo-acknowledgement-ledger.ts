import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AcknowledgementLedger } from '../core/ports/acknowledgement.ts';
import { itemKeys, TTL_ATTRIBUTE } from './dynamo-schema.ts';
import { DynamoWindowCounter } from './dynamo-window-counter.ts';
import { isConditionFailed, key } from './dynamo-util.ts';

const normal = (address: string): string => address.trim().toLowerCase();

/**
 * Acknowledgement state in the Postroom table: the sender's recent mails as window events
 * (`HITS#ack#<channel>#<sender>`), and one claim item per sender (`ACK#<channel>#<sender>`)
 * written with a condition, so of two racing mails only one sends the acknowledgement. Both
 * expire by TTL once they no longer matter.
 */
export class DynamoAcknowledgementLedger implements AcknowledgementLedger {
  private readonly mails: DynamoWindowCounter;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {
    this.mails = new DynamoWindowCounter(client, tableName);
  }

  recordMail(channelId: string, sender: string, mail: { readonly id: string; readonly at: Date }, windowMs: number): Promise<number> {
    return this.mails.hit(`ack#${channelId}#${normal(sender)}`, mail, windowMs);
  }

  async lastAcknowledged(channelId: string, sender: string): Promise<{ at: string; mailId: string } | null> {
    const out = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key(itemKeys.acknowledgement(channelId, normal(sender))), ConsistentRead: true }),
    );
    const { at, mailId } = out.Item ?? {};
    return typeof at === 'string' && typeof mailId === 'string' ? { at, mailId } : null;
  }

  async markAcknowledged(channelId: string, sender: string, claim: { readonly mailId: string; readonly at: Date }, windowMs: number): Promise<boolean> {
    const at = claim.at.toISOString();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...itemKeys.acknowledgement(channelId, normal(sender)),
            kind: 'acknowledgement',
            mailId: claim.mailId,
            at,
            [TTL_ATTRIBUTE]: Math.ceil((claim.at.getTime() + windowMs) / 1000),
          },
          // Free when never claimed, when the last claim left the window, or when it is this mail's own (a retry).
          ConditionExpression: 'attribute_not_exists(pk) OR #at <= :cutoff OR mailId = :mailId',
          ExpressionAttributeNames: { '#at': 'at' },
          ExpressionAttributeValues: { ':cutoff': new Date(claim.at.getTime() - windowMs).toISOString(), ':mailId': claim.mailId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailed(error)) return false;
      throw error;
    }
  }
}
