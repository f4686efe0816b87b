import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallCounter } from '../../bench/call-counter.ts';
import { countingDeps, delivery, measureThreadCalls, withLocalEnv, type ThreadCalls } from '../../bench/calls.ts';
import { benchChannel } from '../../bench/core-ratio.ts';
import { DynamoChannelDirectory } from '../../functions/adapters/dynamo-channel-directory.ts';
import { SystemClock } from '../../functions/adapters/system-clock.ts';
import { startLocalAws, type LocalAws } from '../../functions/local/local-aws.ts';

const channel = benchChannel();
let aws: LocalAws;
let calls: ThreadCalls;

beforeAll(async () => {
  aws = await startLocalAws({ skills: [channel.defaultSkill] });
  await new DynamoChannelDirectory(aws.db, aws.tableName, { clock: new SystemClock(), cacheMs: 0 }).put(channel);
  calls = await withLocalEnv(aws, () => {
    const counter = new CallCounter();
    return measureThreadCalls(aws, channel, delivery(aws, channel, countingDeps(aws, counter), counter), 2);
  });
});

afterAll(async () => {
  await aws.stop();
});

describe('AWS calls per mail with the production adapters (dynalite, fauxqs)', () => {
  it('answers a reply in 8 calls: the join reads the conversation, the stored message carries the pointer', () => {
    expect(calls.stable).toBe(true);
    expect(calls.reply.sequence).toEqual([
      'DynamoDB PutItem INBOUND',
      'S3 GetObject',
      'DynamoDB BatchGetItem MSGID',
      'DynamoDB UpdateItem CONV',
      'DynamoDB UpdateItem MSGID',
      'DynamoDB PutItem MSG',
      'SQS SendMessage',
      'DynamoDB PutItem INBOUND',
    ]);
    // What each call consumed (BENCHMARKS.md, section 2): 2 read units for the claims, 7 write units.
    expect(calls.reply.units).toEqual([1, 0, 2, 1, 1, 2, 0, 2]);
  });

  it('opens a new conversation in 10 calls, and the first mail in a container reads the channels once more', () => {
    expect(calls.newMail.sequence).toEqual([
      'DynamoDB PutItem INBOUND',
      'S3 GetObject',
      'DynamoDB UpdateItem COUNTER',
      'DynamoDB PutItem CONV',
      'DynamoDB UpdateItem MSGID',
      'DynamoDB BatchWriteItem TICKET+TOKEN',
      'DynamoDB UpdateItem CONV',
      'DynamoDB PutItem MSG',
      'SQS SendMessage',
      'DynamoDB PutItem INBOUND',
    ]);
    expect(calls.firstMail.sequence).toEqual(['DynamoDB Query CHANNEL', ...calls.newMail.sequence]);
  });
});
