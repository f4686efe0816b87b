import { DeleteItemCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoConversationStore } from '../../functions/adapters/dynamo-conversation-store.ts';
import { receiveMail } from '../../functions/core/inbound/receive-mail.ts';
import { localHandlerOptions } from '../../functions/local/local-aws.ts';
import { readEnv } from '../../functions/runtime/env.ts';
import { RetentionExpiryEnvSchema } from '../../functions/runtime/retention-env.ts';
import { createRetentionHandler } from '../../functions/runtime/retention-handler.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../support/inbound-deps.ts';
import { startSeededLocalAws, type LocalAws } from '../support/local-aws.ts';

let aws: LocalAws;

beforeAll(async () => {
  aws = await startSeededLocalAws();
});
afterAll(async () => {
  await aws.stop();
});

/** What DynamoDB's TTL does: deletes the item, and the stream carries its old image, by the service principal. */
async function ttlDeletes(key: { pk: string; sk: string }): Promise<DynamoDBRecord> {
  const Key = { pk: { S: key.pk }, sk: { S: key.sk } };
  const old = await aws.db.send(new GetItemCommand({ TableName: aws.tableName, Key, ConsistentRead: true }));
  await aws.db.send(new DeleteItemCommand({ TableName: aws.tableName, Key }));
  return {
    eventID: '1',
    eventName: 'REMOVE',
    eventSource: 'aws:dynamodb',
    userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' },
    dynamodb: { Keys: Key, OldImage: old.Item, SequenceNumber: '100', StreamViewType: 'OLD_IMAGE' },
  } as DynamoDBRecord;
}

describe('the expiry function behind the stream', () => {
  it('deletes what an expired conversation leaves behind, and reports a record it could not finish for a retry', async () => {
    // Arrange: a conversation the inbound path wrote, then TTL's delete of its item
    await aws.putRaw(inboundMail('stream-1').rawKey, customerMail({ messageId: 'stream-1@customer.example' }));
    const deps = inboundDeps(aws, new TestClock(), { conversations: new DynamoConversationStore(aws.db, aws.tableName, { retention: { mailDays: 30 } }) });
    const opened = await receiveMail(deps, inboundMail('stream-1'));
    if (opened.status === 'failed' || !opened.conversationId) throw new Error('not opened');
    const record = await ttlDeletes({ pk: `CONV#${opened.conversationId}`, sk: 'CONV' });
    const env = readEnv(RetentionExpiryEnvSchema, { TABLE_NAME: aws.tableName, MAIL_BUCKET: aws.bucket });
    const handler = createRetentionHandler(env, localHandlerOptions(aws, 'SILENT'));
    const broken = createRetentionHandler({ ...env, TABLE_NAME: 'no-such-table' }, localHandlerOptions(aws, 'SILENT'));
    const context = { functionName: 'retention', awsRequestId: 'r1', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
    // Act
    const windowEvent = {
      ...record,
      dynamodb: { SequenceNumber: '99', OldImage: { pk: { S: 'HITS#x' }, sk: { S: '1#e' }, expiresAt: { N: '1' } } },
    } as DynamoDBRecord;
    const failed = await broken({ Records: [windowEvent, record] } as DynamoDBStreamEvent, context);
    const allFailed = await broken({ Records: [record] } as DynamoDBStreamEvent, context).catch((e: unknown) => e);
    const done = await handler({ Records: [{ ...record, eventName: 'MODIFY' }, record] } as DynamoDBStreamEvent, context);
    // Assert
    // Only the record that failed comes back; a batch that failed whole is thrown, and the stream retries it.
    expect(failed.batchItemFailures).toEqual([{ itemIdentifier: '100' }]);
    expect(String(allFailed)).toMatch(/All records failed processing/);
    expect(done.batchItemFailures).toEqual([]);
    const left = await aws.db.send(
      new QueryCommand({ TableName: aws.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': `CONV#${opened.conversationId}` } }),
    );
    expect(left.Items).toEqual([]);
    expect(
      await aws.s3.send(new (await import('@aws-sdk/client-s3')).HeadObjectCommand({ Bucket: aws.bucket, Key: inboundMail('stream-1').rawKey })).then(
        () => true,
        () => false,
      ),
    ).toBe(false);
    await aws.drain(aws.queueUrls.support ?? '');
  });
});
