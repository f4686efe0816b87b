import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { DynamoSuppressionList, hashedSuppressionAddress } from '../../../functions/adapters/dynamo-suppression-list.ts';
import { MemorySuppressionList } from '../../../functions/adapters/memory/memory-suppression-list.ts';
import { checkNotSuppressed } from '../../../functions/core/outbound/send/suppression-check.ts';

const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } }));
const ddb = mockClient(client);
beforeEach(() => ddb.reset());

const hash = createHash('sha256').update('alice@customer.example').digest('hex');
const erased = {
  address: `sha256:${hash}`,
  scope: { kind: 'account' as const },
  reason: 'erasure' as const,
  detail: 'erased on request (job j1)',
  messageId: null,
  since: '2026-12-08T00:00:00.000Z',
  hashed: true,
};

describe('the hashed suppression of an erased address', () => {
  it('is keyed by the SHA-256 of the lowercase address, which has no @ and so never meets an address', () => {
    expect(hashedSuppressionAddress(' Alice@Customer.EXAMPLE ')).toBe(`sha256:${hash}`);
  });

  it('is found in the one BatchGetItem of a send, and names the address the send was for', async () => {
    // Arrange
    ddb.on(BatchGetCommand).resolves({ Responses: { t: [{ pk: 'SUPP#*', sk: `sha256:${hash}`, ...erased }] } });
    // Act
    const entry = await new DynamoSuppressionList(client, 't').find('support', 'ALICE@customer.example');
    // Assert
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(1);
    expect(entry).toMatchObject({ address: 'alice@customer.example', reason: 'erasure', hashed: true });
  });

  it('refuses a send to the address with a reason that says it was erased, in memory as in DynamoDB', async () => {
    // Arrange
    const list = new MemorySuppressionList();
    await list.put(erased);
    // Act
    const refused = checkNotSuppressed(list, 'support', ['bob@customer.example', 'Alice@customer.example']);
    // Assert
    await expect(refused).rejects.toMatchObject({
      code: 'suppressed',
      message: expect.stringContaining('alice@customer.example is suppressed since 2026-12-08 (its data was erased on request'),
    });
    await expect(checkNotSuppressed(list, 'support', ['bob@customer.example'])).resolves.toBeUndefined();
  });
});
