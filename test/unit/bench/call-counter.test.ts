import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { CallCounter, itemKindOf } from '../../../bench/call-counter.ts';

/** A request handler that answers every call with `body` and records what it was sent. */
function answering(status: number, body: object, seen: string[] = []) {
  return {
    seen,
    async handle(request: { body?: unknown }) {
      seen.push(String(request.body ?? ''));
      return {
        response: {
          statusCode: status,
          headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'r' },
          body: Buffer.from(JSON.stringify(body)),
        },
      };
    },
  };
}

const common = { region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 };

describe('CallCounter', () => {
  it('counts every command a client sends, by service and operation, in order', async () => {
    // Arrange
    const counter = new CallCounter();
    const sqs = counter.attach(new SQSClient({ ...common, md5: false, requestHandler: answering(200, { MessageId: 'm' }) }), 'SQS');

    // Act
    await sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/q.fifo', MessageBody: 'x' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: 'https://sqs.us-east-1.amazonaws.com/1/q.fifo', MessageBody: 'y' }));

    // Assert
    expect(counter.total()).toBe(2);
    expect(counter.snapshot()).toEqual([{ service: 'SQS', operation: 'SendMessage', calls: 2, readUnits: 0, writeUnits: 0 }]);
    expect(counter.sequence()).toEqual(['SQS SendMessage', 'SQS SendMessage']);
  });

  it('asks DynamoDB for consumed capacity and adds it up; a failed call still counts', async () => {
    // Arrange
    const counter = new CallCounter();
    const ok = answering(200, { ConsumedCapacity: { TableName: 't', CapacityUnits: 2 } });
    const db = counter.attach(new DynamoDBClient({ ...common, requestHandler: ok }), 'DynamoDB');
    const failing = counter.attach(
      new DynamoDBClient({ ...common, requestHandler: answering(400, { __type: 'ConditionalCheckFailedException', message: 'no' }) }),
      'DynamoDB',
    );

    // Act
    await db.send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'INBOUND#1' }, sk: { S: 'CHANNEL#a' } } }));
    await db.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'CONV#1' }, sk: { S: 'CONV' } } }));
    await expect(failing.send(new PutItemCommand({ TableName: 't', Item: { pk: { S: 'MSGID#a#b' }, sk: { S: 'MSGID' } } }))).rejects.toThrow();

    // Assert
    expect(ok.seen[0]).toContain('"ReturnConsumedCapacity":"TOTAL"');
    expect(counter.snapshot()).toEqual([
      { service: 'DynamoDB', operation: 'GetItem', calls: 1, readUnits: 2, writeUnits: 0 },
      { service: 'DynamoDB', operation: 'PutItem', calls: 2, readUnits: 0, writeUnits: 3 },
    ]);
    expect(counter.sequence()).toEqual(['DynamoDB PutItem INBOUND', 'DynamoDB GetItem CONV', 'DynamoDB PutItem MSGID']);
    // Each call's own units, in the same order (the failed write as 1).
    expect(counter.unitSequence()).toEqual([2, 2, 1]);

    // Act: reset
    counter.reset();

    // Assert
    expect(counter.total()).toBe(0);
    expect(counter.sequence()).toEqual([]);
    expect(counter.unitSequence()).toEqual([]);
  });

  it('names the item kind from the key, the sort key for messages, or the query partition', () => {
    expect(itemKindOf({ Item: { pk: 'CONV#1', sk: 'MSG#2026#x' } })).toBe('MSG');
    expect(itemKindOf({ RequestItems: { t: { Keys: [{ pk: 'MSGID#a#b', sk: 'MSGID' }] } } })).toBe('MSGID');
    expect(itemKindOf({ ExpressionAttributeValues: { ':pk': 'CHANNEL' } })).toBe('CHANNEL');
    expect(itemKindOf({ Bucket: 'b', Key: undefined })).toBe('');
  });

  it('names the kinds of a batch write and a query by partition prefix, so sequences do not carry ids', () => {
    const write = {
      RequestItems: {
        t: [
          { PutRequest: { Item: { pk: 'TICKET#support#0000013', sk: 'TICKET' } } },
          { PutRequest: { Item: { pk: 'TOKEN#abc', sk: 'TOKEN' } } },
          { DeleteRequest: { Key: { pk: 'TOKEN#old', sk: 'TOKEN' } } },
        ],
      },
    };

    expect(itemKindOf(write)).toBe('TICKET+TOKEN');
    expect(itemKindOf({ ExpressionAttributeValues: { ':pk': 'CONV#6f0c1e2a' } })).toBe('CONV');
    expect(itemKindOf({ RequestItems: { t: { Keys: [{ pk: { S: 'SUPP#support#a@x' }, sk: { S: 'SUPP' } }] } } })).toBe('SUPP');
  });
});
