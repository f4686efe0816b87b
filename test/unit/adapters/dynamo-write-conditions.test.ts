import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoConversationStore } from '../../../functions/adapters/dynamo-conversation-store.ts';
import { DynamoInboundLedger } from '../../../functions/adapters/dynamo-inbound-ledger.ts';
import { DynamoTicketSequence } from '../../../functions/adapters/dynamo-ticket-sequence.ts';
import { ConflictError } from '../../../functions/core/errors.ts';
import type { InboundRecord } from '../../../functions/core/model/inbound-record.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const conditionFailed = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });

beforeEach(() => ddb.reset());

describe('DynamoConversationStore.claim', () => {
  it('puts the claim only if no one holds it', async () => {
    // Arrange
    ddb.on(PutCommand).resolves({});
    // Act
    const owner = await new DynamoConversationStore(client, 't').claim('support', 'a@b', 'c-1');
    // Assert
    expect(owner).toBe('c-1');
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      Item: { pk: 'MSGID#support#a@b', sk: 'MSGID', conversationId: 'c-1' },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('returns the first writer when the claim is taken', async () => {
    ddb.on(PutCommand).rejects(conditionFailed);
    ddb.on(GetCommand).resolves({ Item: { conversationId: 'c-winner' } });
    const owner = await new DynamoConversationStore(client, 't').claim('support', 'a@b', 'c-1');
    expect(owner).toBe('c-winner');
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input.ConsistentRead).toBe(true);
  });

  it('moves a claim only while it still points at the loser', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed);
    await new DynamoConversationStore(client, 't').moveClaim('support', 'a@b', 'c-loser', 'c-winner');
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: 'conversationId = :from',
      ExpressionAttributeValues: { ':from': 'c-loser', ':to': 'c-winner' },
    });
  });
});

describe('DynamoTicketSequence', () => {
  it('counts with an atomic ADD', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { value: 42 } });
    expect(await new DynamoTicketSequence(client, 't').next('support')).toBe(42);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: 'COUNTER#support', sk: 'TICKET' },
      UpdateExpression: 'ADD #value :one',
    });
  });
});

describe('DynamoInboundLedger', () => {
  const record: InboundRecord = {
    sesMessageId: 'ses-1', channelId: 'support', messageId: 'm-1',
    mail: { sesMessageId: 'ses-1', rawKey: 'inbound/raw/ses-1', recipients: ['support@example.com'], verdicts: {}, receivedAt: '2026-11-22T10:00:00.000Z' },
    state: 'received', leaseUntil: null, attempts: 0, candidate: null, conversationId: null, disposition: null, lane: null, tags: [],
    routed: null, error: null, updatedAt: '2026-11-22T10:00:00.000Z',
  };

  it('creates the record with a lease only if it does not exist', async () => {
    ddb.on(PutCommand).resolves({});
    const entry = await new DynamoInboundLedger(client, 't').acquire(record, { now: new Date('2026-11-22T10:00:00.000Z'), leaseMs: 60_000, replay: false });
    expect(entry).toMatchObject({ kind: 'acquired', record: { leaseUntil: '2026-11-22T10:01:00.000Z' } });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.ConditionExpression).toBe('attribute_not_exists(pk)');
  });

  it('saves only while the caller still holds the lease, else a retryable ConflictError', async () => {
    ddb.on(PutCommand).rejects(conditionFailed);
    const error = await new DynamoInboundLedger(client, 't').save({ ...record, leaseUntil: '2026-11-22T10:01:00.000Z' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: 'leaseUntil = :lease',
      ExpressionAttributeValues: { ':lease': '2026-11-22T10:01:00.000Z' },
    });
  });
});
