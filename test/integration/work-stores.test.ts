import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoPresence } from '../../functions/adapters/dynamo-presence.ts';
import { itemKeys } from '../../functions/adapters/dynamo-schema.ts';
import { DynamoWorkLeases } from '../../functions/adapters/dynamo-work-leases.ts';
import type { WorkLease } from '../../functions/core/work/work-item.ts';
import { startLocalAws, type LocalAws } from '../support/local-aws.ts';

/** The lease and presence stores on dynalite: the items, their TTL, and what reads find. */
let aws: LocalAws;
beforeAll(async () => {
  aws = await startLocalAws([]);
});
afterAll(async () => aws.stop());

const lease = (id: string, conversationId: string | null, agentId = 'agent-1'): WorkLease => ({
  id,
  skill: 'support',
  agentId,
  queueUrl: 'q',
  receiptHandle: `handle-${id}`,
  conversationId,
  messageId: `m-${id}`,
  pointer: { subject: 'Where is my parcel?' },
  visibilitySeconds: 600,
  takenAt: new Date().toISOString(),
  expiresAt: new Date(Date.now() + 600_000).toISOString(),
});

describe('DynamoWorkLeases', () => {
  it("stores a lease with the table's TTL, finds it by id and by conversation, replaces it only while it exists", async () => {
    // Arrange
    const store = new DynamoWorkLeases(aws.db, aws.tableName);
    const taken = lease('l-1', 'c-1');
    const loose = lease('l-3', null);
    // Act
    await store.put(taken);
    await store.put(lease('l-2', 'c-1', 'agent-2'));
    await store.put(loose);
    const item = await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: itemKeys.lease('l-1') }));
    const longer = { ...taken, expiresAt: new Date(Date.now() + 900_000).toISOString() };
    const replaced = await store.replace(longer);
    const onConversation = await store.onConversation('c-1');
    await store.remove(taken);
    const afterRemove = await store.replace(longer);
    // Assert
    expect(item.Item?.expiresAt).toBe(Math.ceil(Date.parse(taken.expiresAt) / 1000));
    expect(await store.get('l-3')).toEqual(loose);
    expect(replaced).toBe(true);
    expect(onConversation.map((l) => [l.id, l.agentId, l.expiresAt]).sort()).toEqual([
      ['l-1', 'agent-1', longer.expiresAt],
      ['l-2', 'agent-2', expect.any(String)],
    ]);
    expect(await store.get('l-1')).toBeNull();
    expect(afterRemove).toBe(false);
    expect((await store.onConversation('c-1')).map((l) => l.id)).toEqual(['l-2']);
  });

  it('refuses a second lease under one id, and drops a conversation entry whose lease is long gone, not a young one', async () => {
    // Arrange
    const store = new DynamoWorkLeases(aws.db, aws.tableName);
    await store.put(lease('l-4', 'c-2'));
    const entry = (id: string, takenAt: string) => ({ ...itemKeys.conversationLease('c-2', id), kind: 'conversation-lease', agentId: 'agent-1', takenAt });
    await aws.db.send(new PutCommand({ TableName: aws.tableName, Item: entry('old-orphan', new Date(Date.now() - 120_000).toISOString()) }));
    await aws.db.send(new PutCommand({ TableName: aws.tableName, Item: entry('young-orphan', new Date().toISOString()) }));
    // Act
    const twice = await store.put(lease('l-4', 'c-2')).catch((e: Error) => e);
    const found = await store.onConversation('c-2');
    const old = await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: itemKeys.conversationLease('c-2', 'old-orphan') }));
    const young = await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: itemKeys.conversationLease('c-2', 'young-orphan') }));
    // Assert
    expect(twice).toBeInstanceOf(Error);
    expect(found.map((l) => l.id)).toEqual(['l-4']);
    expect(old.Item).toBeUndefined();
    expect(young.Item).toBeDefined();
  });
});

describe('DynamoPresence', () => {
  it("keeps one entry per agent and conversation with the table's TTL, lists a conversation's, removes one", async () => {
    // Arrange
    const store = new DynamoPresence(aws.db, aws.tableName);
    const until = new Date(Date.now() + 60_000).toISOString();
    const entry = { conversationId: 'c-9', agentId: 'agent-1', displayName: 'Alex Agent', state: 'viewing' as const, since: new Date().toISOString(), until };
    // Act
    await store.put(entry);
    await store.put({ ...entry, state: 'answering' });
    await store.put({ ...entry, agentId: 'agent-2', displayName: 'Blair Agent' });
    await store.put({ ...entry, conversationId: 'c-10' });
    const listed = await store.list('c-9');
    const item = await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: itemKeys.presence('c-9', 'agent-1') }));
    await store.remove('c-9', 'agent-2');
    // Assert
    expect(listed.map((p) => [p.agentId, p.state])).toEqual([
      ['agent-1', 'answering'],
      ['agent-2', 'viewing'],
    ]);
    expect(item.Item?.expiresAt).toBe(Math.ceil(Date.parse(until) / 1000));
    expect(await store.get('c-9', 'agent-1')).toMatchObject({ state: 'answering', displayName: 'Alex Agent' });
    expect((await store.list('c-9')).map((p) => p.agentId)).toEqual(['agent-1']);
  });
});
