import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoAcknowledgementLedger } from '../../../functions/adapters/dynamo-acknowledgement-ledger.ts';
import { DynamoOutboundMessages } from '../../../functions/adapters/dynamo-outbound-messages.ts';
import {
  ACKNOWLEDGEMENT_WRITE_KEY_PREFIXES,
  FEEDBACK_WRITE_KEY_PREFIXES,
  itemKeys,
  MAX_KEYED_ID_BYTES,
  OUTBOUND_LOOKUP_KEY_PREFIXES,
} from '../../../functions/adapters/dynamo-schema.ts';
import { DynamoSuppressionList } from '../../../functions/adapters/dynamo-suppression-list.ts';
import { DynamoWindowCounter } from '../../../functions/adapters/dynamo-window-counter.ts';
import { BusyError } from '../../../functions/core/errors.ts';
import { SES_ID, sentMessage } from '../../support/outbound.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const conditionFailed = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });

beforeEach(() => ddb.reset());

describe('DynamoSuppressionList command shapes', () => {
  it('finds the channel entry and the account entry in one BatchGetItem, preferring the channel', async () => {
    // Arrange
    ddb.on(BatchGetCommand).resolves({
      Responses: {
        t: [
          {
            pk: 'SUPP#*',
            sk: 'a@b.example',
            address: 'a@b.example',
            scope: { kind: 'account' },
            reason: 'complaint',
            detail: null,
            messageId: null,
            since: '2026-12-01T00:00:00.000Z',
          },
          {
            pk: 'SUPP#support',
            sk: 'a@b.example',
            address: 'a@b.example',
            scope: { kind: 'channel', channelId: 'support' },
            reason: 'bounce',
            detail: '5.1.1',
            messageId: 'm',
            since: '2026-12-02T00:00:00.000Z',
          },
        ],
      },
    });
    // Act
    const entry = await new DynamoSuppressionList(client, 't').find('support', ' A@B.example ');
    // Assert
    expect(entry?.reason).toBe('bounce');
    // The hashed entry an erasure leaves rides in the same request.
    const hashed = `sha256:${createHash('sha256').update('a@b.example').digest('hex')}`;
    expect(ddb.commandCalls(BatchGetCommand)[0]?.args[0].input.RequestItems?.t).toEqual({
      Keys: [
        { pk: 'SUPP#support', sk: 'a@b.example' },
        { pk: 'SUPP#*', sk: 'a@b.example' },
        { pk: 'SUPP#*', sk: hashed },
      ],
      ConsistentRead: true,
    });
  });

  it('puts under the scope, deletes with ALL_OLD and lists one partition from a cursor', async () => {
    // Arrange
    ddb.on(PutCommand).resolves({});
    ddb.on(DeleteCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [], LastEvaluatedKey: { pk: 'SUPP#*', sk: 'z@x' } });
    const list = new DynamoSuppressionList(client, 't');
    // Act
    await list.put({
      address: 'Carla@X.example',
      scope: { kind: 'account' },
      reason: 'manual',
      detail: null,
      messageId: null,
      since: '2026-12-01T00:00:00.000Z',
    });
    const removed = await list.remove({ kind: 'channel', channelId: 'support' }, 'carla@x.example');
    const page = await list.list({ kind: 'account' }, { limit: 10, cursor: 'm@x' });
    // Assert
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      pk: 'SUPP#*',
      sk: 'carla@x.example',
      address: 'carla@x.example',
      kind: 'suppression',
    });
    expect(ddb.commandCalls(DeleteCommand)[0]?.args[0].input).toEqual({
      TableName: 't',
      Key: { pk: 'SUPP#support', sk: 'carla@x.example' },
      ReturnValues: 'ALL_OLD',
    });
    expect(removed).toBe(false);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      ExpressionAttributeValues: { ':pk': 'SUPP#*' },
      Limit: 10,
      ExclusiveStartKey: { pk: 'SUPP#*', sk: 'm@x' },
    });
    expect(page.cursor).toBe('z@x');
  });
});

describe('DynamoOutboundMessages command shapes', () => {
  it('writes the message where the message store keeps it, with one lookup per provider id and Message-ID, unconditionally', async () => {
    // Arrange
    ddb.on(BatchWriteCommand).resolves({});
    // Act
    await new DynamoOutboundMessages(client, 't').put(sentMessage());
    // Assert
    const items = (ddb.commandCalls(BatchWriteCommand)[0]?.args[0].input.RequestItems?.t ?? []).map((r) => r.PutRequest?.Item);
    expect(items.map((i) => [i?.pk, i?.sk])).toEqual([
      ['CONV#conv-1', 'MSG#2026-12-01T09:59:59.000Z#out-1'],
      [`OUTMSG#${SES_ID}`, 'OUTMSG'],
      ['OUTMID#support#out-1.agent@example.com', 'OUTMID'],
      [`OUTMID#support#${SES_ID}@email.amazonses.com`, 'OUTMID'],
    ]);
    expect(items[1]).toMatchObject({ targetPk: 'CONV#conv-1', targetSk: 'MSG#2026-12-01T09:59:59.000Z#out-1' });
  });

  it('updates only while updatedAt is what was read, else BusyError', async () => {
    ddb.on(PutCommand).rejects(conditionFailed);
    const act = new DynamoOutboundMessages(client, 't').put(sentMessage(), { expectedUpdatedAt: '2026-12-01T10:00:00.000Z' });
    await expect(act).rejects.toBeInstanceOf(BusyError);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: 'updatedAt = :expected',
      ExpressionAttributeValues: { ':expected': '2026-12-01T10:00:00.000Z' },
    });
  });

  it('follows a lookup to the message with consistent reads, and finds nothing without one', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { Key: { pk: `OUTMSG#${SES_ID}`, sk: 'OUTMSG' } }).resolves({ Item: { targetPk: 'CONV#conv-1', targetSk: 'MSG#x' } });
    ddb.on(GetCommand, { Key: { pk: 'CONV#conv-1', sk: 'MSG#x' } }).resolves({ Item: { pk: 'CONV#conv-1', sk: 'MSG#x', kind: 'message', ...sentMessage() } });
    const messages = new DynamoOutboundMessages(client, 't');
    expect((await messages.findBySesMessageId(SES_ID))?.messageId).toBe('out-1');
    expect(await messages.findByInternetMessageId('support', '<nope@x>')).toBeNull();
    expect(ddb.commandCalls(GetCommand).every((c) => c.args[0].input.ConsistentRead === true)).toBe(true);
  });
});

describe('window counter and acknowledgement ledger command shapes', () => {
  it('puts one event item with a TTL and counts the window with a key-range COUNT query', async () => {
    ddb.on(PutCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Count: 2 });
    const count = await new DynamoWindowCounter(client, 't').hit('soft#support#a@b', { id: 'e1', at: new Date('2026-12-08T00:00:00.000Z') }, 7 * 86_400_000);
    expect(count).toBe(2);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item).toMatchObject({
      pk: 'HITS#soft#support#a@b',
      sk: '2026-12-08T00:00:00.000Z#e1',
      expiresAt: Date.parse('2026-12-08T00:00:00.000Z') / 1000 + 8 * 86_400,
    });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':from': '2026-12-01T00:00:00.001Z', ':to': '2026-12-08T00:00:00.000Z#\uffff' },
      Select: 'COUNT',
    });
  });

  it('claims an acknowledgement with a condition and reports a lost race as false', async () => {
    ddb.on(PutCommand).rejects(conditionFailed);
    const won = await new DynamoAcknowledgementLedger(client, 't').markAcknowledged(
      'support',
      'Anna@X',
      { mailId: 'm2', at: new Date('2026-12-02T00:00:00.000Z') },
      86_400_000,
    );
    expect(won).toBe(false);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      Item: { pk: 'ACK#support#anna@x', sk: 'ACK', mailId: 'm2' },
      ConditionExpression: 'attribute_not_exists(pk) OR #at <= :cutoff OR mailId = :mailId',
      ExpressionAttributeValues: { ':cutoff': '2026-12-01T00:00:00.000Z', ':mailId': 'm2' },
    });
  });
});

describe('item keys of feedback', () => {
  it('keys hostile values by hash past the byte limit and lists the prefixes each writer needs', () => {
    const long = 'x'.repeat(MAX_KEYED_ID_BYTES + 1);
    expect(itemKeys.outboundByMessageId('s', long).pk).toMatch(/^OUTMIDH#s#[0-9a-f]{64}$/);
    expect(itemKeys.feedback(long).pk).toMatch(/^FEEDBACKH#[0-9a-f]{64}$/);
    expect(itemKeys.hit(long, 't', long)).toEqual({ pk: expect.stringMatching(/^HITS#H:[0-9a-f]{64}$/), sk: expect.stringMatching(/^t#H:[0-9a-f]{64}$/) });
    const written = [
      itemKeys.suppression('*', 'a@b'),
      itemKeys.feedback('k'),
      itemKeys.feedback(long),
      itemKeys.hit('k', 't', 'e'),
      itemKeys.message('s', 'c', 't', 'm'),
    ];
    expect(written.filter((k) => !FEEDBACK_WRITE_KEY_PREFIXES.some((p) => k.pk.startsWith(p)))).toEqual([]);
    expect(ACKNOWLEDGEMENT_WRITE_KEY_PREFIXES.some((p) => itemKeys.acknowledgement('s', 'a').pk.startsWith(p))).toBe(true);
    expect(
      [itemKeys.outboundByProviderId('x'), itemKeys.outboundByMessageId('s', long)].every((k) => OUTBOUND_LOOKUP_KEY_PREFIXES.some((p) => k.pk.startsWith(p))),
    ).toBe(true);
  });
});
