import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { SendMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../../functions/local/local-aws.ts';

/** The stand-ins in a child process, as the soak runs them: the same servers, outside this process. */
describe('startLocalAws({ separateProcess: true })', () => {
  let aws: LocalAws;
  beforeAll(async () => {
    aws = await startLocalAws({ skills: ['support'], separateProcess: true });
  }, 60_000);
  afterAll(async () => {
    await aws?.stop();
  });

  it('runs dynalite and fauxqs in another process', () => {
    expect(aws.serverPids).toHaveLength(1);
    expect(aws.serverPids[0]).not.toBe(process.pid);
    expect(() => process.kill(aws.serverPids[0] ?? 0, 0)).not.toThrow();
  });

  it('serves the table, the bucket and the queues it created', async () => {
    await aws.db.send(new PutCommand({ TableName: aws.tableName, Item: { pk: 'T#1', sk: 'T', value: 7 } }));
    expect((await aws.db.send(new GetCommand({ TableName: aws.tableName, Key: { pk: 'T#1', sk: 'T' } }))).Item?.value).toBe(7);
    await aws.s3.send(new PutObjectCommand({ Bucket: aws.bucket, Key: 'k', Body: 'raw mail' }));
    expect(await (await aws.s3.send(new GetObjectCommand({ Bucket: aws.bucket, Key: 'k' }))).Body?.transformToString()).toBe('raw mail');
    const url = aws.queueUrls.support ?? '';
    await aws.sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'p', MessageGroupId: 'g', MessageDeduplicationId: 'd' }));
    expect((await aws.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, WaitTimeSeconds: 1 }))).Messages?.[0]?.Body).toBe('p');
  });

  it('ends the child when stopped', async () => {
    const other = await startLocalAws({ skills: [], separateProcess: true });
    const [pid] = other.serverPids;
    await other.stop();
    expect(() => process.kill(pid ?? 0, 0)).toThrow();
  }, 60_000);
});
