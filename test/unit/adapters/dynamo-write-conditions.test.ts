import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoConversationStore } from '../../../functions/adapters/dynamo-conversation-store.ts';
import { DynamoProcessingLedger, INBOUND_RECORDS } from '../../../functions/adapters/dynamo-processing-ledger.ts';
import { DynamoTicketSequence } from '../../../functions/adapters/dynamo-ticket-sequence.ts';
import { BusyError } from '../../../functions/core/errors.ts';
import type { InboundRecord } from '../../../functions/core/model/inbound-record.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({}));
const conditionFailed = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });

beforeEach(() => ddb.reset());

describe('DynamoConversationStore.claim', () => {
  it('writes the claim only if no conversation holds it (the item may exist with only its owner)', async () => {
    // Arrange
    ddb.on(UpdateCommand).resolves({});
    // Act
    const owner = await new DynamoConversationStore(client, 't').claim('support', 'a@b', 'c-1');
    // Assert
    expect(owner).toBe('c-1');
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: 'MSGID#support#a@b', sk: 'MSGID' },
      ConditionExpression: 'attribute_not_exists(conversationId)',
      ExpressionAttributeValues: { ':conversation': 'c-1', ':id': 'a@b' },
    });
  });

  it('returns the first writer when the claim is taken', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed);
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

describe('DynamoConversationStore own ids and creation', () => {
  it('records the owner and claims the id in one write, only while no other message owns it', async () => {
    // Arrange: a reply claimed the id as a reference before; nobody owns it yet
    ddb.on(UpdateCommand).resolves({ Attributes: { conversationId: 'c-child', ownerMessageId: 'm-parent' } });
    // Act
    const claim = await new DynamoConversationStore(client, 't').claimOwn('support', 'p@b', 'm-parent', 'c-new');
    // Assert
    expect(claim).toEqual({ conversationId: 'c-child', owner: 'm-parent' });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: 'MSGID#support#p@b', sk: 'MSGID' },
      UpdateExpression: 'SET channelId = :channel, messageId = :id, ownerMessageId = :owner, conversationId = if_not_exists(conversationId, :conversation)',
      ConditionExpression: 'attribute_not_exists(ownerMessageId) OR ownerMessageId = :owner',
      ReturnValues: 'ALL_NEW',
    });
    expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  });

  it('writes nothing for a second copy and returns the claim as the first owner left it', async () => {
    // Arrange: an unattached first copy owns the id, in no conversation
    ddb.on(UpdateCommand).rejects(conditionFailed);
    ddb.on(GetCommand).resolves({ Item: { ownerMessageId: 'm-first' } });
    // Act
    const claim = await new DynamoConversationStore(client, 't').claimOwn('support', 'a@b', 'm-copy', 'c-copy');
    // Assert
    expect(claim).toEqual({ conversationId: null, owner: 'm-first' });
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input).toMatchObject({ Key: { pk: 'MSGID#support#a@b', sk: 'MSGID' }, ConsistentRead: true });
  });

  it('records only the owner when there is no conversation to claim for', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { ownerMessageId: 'm-first' } });
    const claim = await new DynamoConversationStore(client, 't').claimOwn('support', 'a@b', 'm-first', null);
    expect(claim).toEqual({ conversationId: null, owner: 'm-first' });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input.UpdateExpression).not.toContain('conversationId');
  });

  it('returns the stored conversation when an earlier attempt created it, keeping its ticket number', async () => {
    ddb.on(PutCommand).rejects(conditionFailed);
    ddb.on(GetCommand).resolves({
      Item: { id: 'c-1', channelId: 'support', ticketNumber: '0000007', replyToken: 'tok', createdAt: '2026-11-22T09:00:00.000Z', visibility: 'pending' },
    });
    const stored = await new DynamoConversationStore(client, 't').create({
      id: 'c-1',
      channelId: 'support',
      ticketNumber: '0000009',
      replyToken: 'tok',
      createdAt: '2026-11-22T10:00:00.000Z',
    });
    expect(stored).toMatchObject({ id: 'c-1', ticketNumber: '0000007' });
  });

  it('publishes and joins the first message in one write, never reviving a merged candidate', async () => {
    // Arrange
    ddb.on(BatchWriteCommand).resolves({});
    ddb.on(UpdateCommand).resolves({
      Attributes: { id: 'c-1', channelId: 'support', ticketNumber: '0000007', status: 'open', visibility: 'published', participants: new Set(['a@b']) },
    });
    // Act
    const ref = await new DynamoConversationStore(client, 't').publish(
      { id: 'c-1', channelId: 'support', ticketNumber: '0000007', replyToken: 'tok', createdAt: '2026-11-22T10:00:00.000Z' },
      ['a@b'],
      '2026-11-22T10:00:00.000Z',
      { reopen: true },
    );
    // Assert: the ticket and token indexes first, in one batch, then one update
    expect(ref).toMatchObject({ id: 'c-1', participants: ['a@b'] });
    const batches = ddb.commandCalls(BatchWriteCommand);
    expect(batches).toHaveLength(1);
    expect(batches[0]?.args[0].input.RequestItems?.t?.map((r) => r.PutRequest?.Item?.pk)).toEqual(['TICKET#support#0000007', 'TOKEN#support#tok']);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    const updates = ddb.commandCalls(UpdateCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0]?.args[0].input).toMatchObject({
      // The conversation's TTL moves in the same write (retention): no call of its own.
      UpdateExpression:
        'SET #visibility = :published, updatedAt = :at, expiresAt = :atSeconds + if_not_exists(retentionSeconds, :fallbackSeconds), #status = :open ADD participants :p',
      ConditionExpression: '#visibility <> :merged AND attribute_not_exists(legalHold)',
      ReturnValues: 'ALL_NEW',
    });
  });
});

describe('DynamoConversationStore merges and joins', () => {
  it('keys a Message-ID longer than 250 bytes by its SHA-256, under its own prefix', async () => {
    ddb.on(UpdateCommand).resolves({});
    const long = `${'é'.repeat(130)}@x.example`;
    await new DynamoConversationStore(client, 't').claim('support', long, 'c-1');
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input?.Key?.pk).toMatch(/^MSGIDH#support#[0-9a-f]{64}$/);
    expect(input?.ExpressionAttributeValues?.[':id']).toBe(long);
  });

  it('marks only a pending candidate merged, into the conversation its winner ended in', async () => {
    // Arrange: the winner c-w was itself merged into c-root
    ddb.on(GetCommand, { Key: { pk: 'CONV#c-w', sk: 'CONV' } }).resolves({ Item: { id: 'c-w', visibility: 'merged', mergedInto: 'c-root' } });
    ddb.on(GetCommand, { Key: { pk: 'CONV#c-root', sk: 'CONV' } }).resolves({ Item: { id: 'c-root', visibility: 'published' } });
    ddb.on(UpdateCommand).resolves({});
    // Act
    const into = await new DynamoConversationStore(client, 't').markMerged('c-loser', 'c-w', '2026-11-22T10:00:00.000Z');
    // Assert
    expect(into).toBe('c-root');
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: '#visibility = :pending',
      ExpressionAttributeValues: { ':visibility': 'merged', ':mergedInto': 'c-root', ':pending': 'pending' },
    });
  });

  it('does not merge a candidate into one that already ends in it', async () => {
    ddb.on(GetCommand, { Key: { pk: 'CONV#c-w', sk: 'CONV' } }).resolves({ Item: { id: 'c-w', visibility: 'merged', mergedInto: 'c-me' } });
    ddb.on(GetCommand, { Key: { pk: 'CONV#c-me', sk: 'CONV' } }).resolves({ Item: { id: 'c-me', visibility: 'pending' } });
    expect(await new DynamoConversationStore(client, 't').markMerged('c-me', 'c-w', '2026-11-22T10:00:00.000Z')).toBe('c-me');
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('stops following merge pointers that loop instead of hanging', async () => {
    ddb.on(GetCommand, { Key: { pk: 'CONV#c-a', sk: 'CONV' } }).resolves({ Item: { id: 'c-a', visibility: 'merged', mergedInto: 'c-b' } });
    ddb.on(GetCommand, { Key: { pk: 'CONV#c-b', sk: 'CONV' } }).resolves({ Item: { id: 'c-b', visibility: 'merged', mergedInto: 'c-a' } });
    const error = await new DynamoConversationStore(client, 't').markMerged('c-x', 'c-a', '2026-11-22T10:00:00.000Z').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'merge-loop', retryable: false });
  });

  it('joins only a published conversation and leaves status alone when told not to reopen', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { id: 'c-1', channelId: 'support', ticketNumber: '1', status: 'closed', visibility: 'published' } });
    const ref = await new DynamoConversationStore(client, 't').join('c-1', [], '2026-11-22T10:00:00.000Z', { reopen: false });
    expect(ref.status).toBe('closed');
    const input = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(input).toMatchObject({
      ConditionExpression: '#visibility = :published AND attribute_not_exists(legalHold)',
      UpdateExpression: 'SET updatedAt = :at, expiresAt = :atSeconds + if_not_exists(retentionSeconds, :fallbackSeconds)',
    });
  });

  it('refuses to join a pending candidate with a retryable BusyError', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed);
    ddb.on(GetCommand).resolves({ Item: { id: 'c-p', visibility: 'pending' } });
    const error = await new DynamoConversationStore(client, 't').join('c-p', ['a@b'], '2026-11-22T10:00:00.000Z', { reopen: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BusyError);
  });
});

describe('DynamoTicketSequence', () => {
  it('counts every channel with one atomic ADD on the deployment counter', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { value: 42 } });
    expect(await new DynamoTicketSequence(client, 't').next('support')).toBe(42);
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      Key: { pk: 'COUNTER#*', sk: 'TICKET' },
      UpdateExpression: 'ADD #value :one',
      ConditionExpression: 'attribute_exists(pk)',
    });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});

describe('DynamoInboundLedger', () => {
  const record: InboundRecord = {
    sesMessageId: 'ses-1',
    channelId: 'support',
    messageId: 'm-1',
    mail: { sesMessageId: 'ses-1', rawKey: 'inbound/raw/ses-1', recipients: ['support@example.com'], verdicts: {}, receivedAt: '2026-11-22T10:00:00.000Z' },
    state: 'received',
    leaseUntil: null,
    attempts: 0,
    candidate: null,
    conversationId: null,
    disposition: null,
    lane: null,
    tags: [],
    routed: null,
    acknowledgement: null,
    error: null,
    updatedAt: '2026-11-22T10:00:00.000Z',
  };

  it('creates the record with a lease only if it does not exist', async () => {
    ddb.on(PutCommand).resolves({});
    const entry = await new DynamoProcessingLedger(client, 't', INBOUND_RECORDS).acquire(record, {
      now: new Date('2026-11-22T10:00:00.000Z'),
      leaseMs: 60_000,
      replay: false,
    });
    expect(entry).toMatchObject({ kind: 'acquired', record: { leaseUntil: '2026-11-22T10:01:00.000Z' } });
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input.ConditionExpression).toBe('attribute_not_exists(pk)');
  });

  it('counts the attempt with the lease when it takes over a stale record, and restarts the count on a replay', async () => {
    // Arrange
    ddb.on(PutCommand).rejects(conditionFailed);
    ddb.on(UpdateCommand).resolves({});
    const stale = { ...record, leaseUntil: '2026-11-22T09:00:00.000Z', attempts: 2 };
    ddb
      .on(GetCommand)
      .resolvesOnce({ Item: stale })
      .resolvesOnce({ Item: { ...stale, state: 'failed' } });
    const ledger = new DynamoProcessingLedger(client, 't', INBOUND_RECORDS);
    // Act
    const taken = await ledger.acquire(record, { now: new Date('2026-11-22T10:00:00.000Z'), leaseMs: 70_000, replay: false });
    const replayed = await ledger.acquire(record, { now: new Date('2026-11-22T10:00:00.000Z'), leaseMs: 70_000, replay: true });
    // Assert
    expect(taken).toMatchObject({ kind: 'acquired', record: { attempts: 3 } });
    expect(replayed).toMatchObject({ kind: 'acquired', record: { attempts: 1, state: 'received' } });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      UpdateExpression: 'SET leaseUntil = :lease, #state = :state, attempts = :attempts',
      ExpressionAttributeValues: { ':attempts': 3, ':old': '2026-11-22T09:00:00.000Z' },
    });
  });

  it('releases only its own lease', async () => {
    ddb.on(UpdateCommand).rejects(conditionFailed);
    await new DynamoProcessingLedger(client, 't', INBOUND_RECORDS).release({ ...record, leaseUntil: '2026-11-22T10:01:00.000Z' });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      UpdateExpression: 'SET leaseUntil = :null',
      ConditionExpression: 'leaseUntil = :lease',
      ExpressionAttributeValues: { ':null': null, ':lease': '2026-11-22T10:01:00.000Z' },
    });
  });

  it('saves only while the caller still holds the lease, else a retryable BusyError', async () => {
    ddb.on(PutCommand).rejects(conditionFailed);
    const error = await new DynamoProcessingLedger(client, 't', INBOUND_RECORDS)
      .save({ ...record, leaseUntil: '2026-11-22T10:01:00.000Z' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BusyError);
    expect(ddb.commandCalls(PutCommand)[0]?.args[0].input).toMatchObject({
      ConditionExpression: 'leaseUntil = :lease',
      ExpressionAttributeValues: { ':lease': '2026-11-22T10:01:00.000Z' },
    });
  });
});
