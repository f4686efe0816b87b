import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCredentialStore } from '../../functions/adapters/dynamo-credential-store.ts';
import { startLocalAws, type LocalAws } from '../support/local-aws.ts';

let aws: LocalAws;
let store: DynamoCredentialStore;
const at = (minutes: number) => new Date(Date.UTC(2026, 10, 22, 10, minutes)).toISOString();

beforeAll(async () => {
  aws = await startLocalAws(['support']);
  store = new DynamoCredentialStore(aws.db, aws.tableName);
});
afterAll(() => aws.stop());

describe('DynamoCredentialStore on dynalite', () => {
  it('clears every secret and records the health, returning what was set; nothing for a channel without an item', async () => {
    // Arrange
    await store.putSecret('support', 'smtpPassword', 'c1', at(0));
    await store.putSecret('support', 'oauthClientSecret', 'c2', at(0));
    await store.putOAuthState('support', 'state-aaaaaaaa', at(15), at(0));
    const health = { status: 'unset', checkedAt: at(1), detail: 'cleared: smtp.host changed; set the credentials again' } as const;
    // Act
    const cleared = await store.clear('support', health);
    const none = await store.clear('nobody', health);
    // Assert
    expect(cleared).toEqual(['smtpPassword', 'oauthClientSecret']);
    expect(none).toEqual([]);
    expect(await store.get('support')).toEqual({ ciphertexts: {}, setAt: {}, health });
    expect(await store.get('nobody')).toBeNull();
    expect(await store.takeOAuthState('support', 'state-aaaaaaaa', at(1))).toBe(false);
  });

  it('takes a recorded state once and only before it expires, and forgets expired ones on the next consent', async () => {
    // Arrange
    await store.putOAuthState('billing', 'state-one-0001', at(15), at(0));
    await store.putOAuthState('billing', 'state-two-0002', at(20), at(5));
    // Act
    const early = await store.takeOAuthState('billing', 'state-one-0001', at(14));
    const again = await store.takeOAuthState('billing', 'state-one-0001', at(14));
    const late = await store.takeOAuthState('billing', 'state-two-0002', at(20));
    await store.putOAuthState('billing', 'state-three-03', at(40), at(25));
    const item = await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: { pk: 'CREDENTIAL#billing', sk: 'SMTP' } }));
    // Assert
    expect([early, again, late]).toEqual([true, false, false]);
    expect(item.Item?.oauthStates).toEqual({ 'state-three-03': at(40) });
    expect(await store.takeOAuthState('unknown-channel', 'state-one-0001', at(0))).toBe(false);
  });

  it('keeps at most ten pending states, dropping the oldest', async () => {
    // Arrange
    for (let i = 0; i < 12; i++) await store.putOAuthState('sales', `state-${String(i).padStart(8, '0')}`, at(15 + i), at(i));
    // Act
    const oldest = await store.takeOAuthState('sales', 'state-00000000', at(12));
    const newest = await store.takeOAuthState('sales', 'state-00000011', at(12));
    const item = await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: { pk: 'CREDENTIAL#sales', sk: 'SMTP' } }));
    // Assert
    expect([oldest, newest]).toEqual([false, true]);
    expect(Object.keys(item.Item?.oauthStates ?? {})).toHaveLength(9);
  });
});
