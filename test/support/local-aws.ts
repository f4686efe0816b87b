import { DeleteMessageCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoChannelDirectory } from '../../functions/adapters/dynamo-channel-directory.ts';
import { PostroomConfigSchema, type PostroomConfig } from '../../functions/core/model/postroom-config.ts';
import { startLocalAws as startServers, type LocalAws as Servers } from '../../functions/local/local-aws.ts';

/** The documented example deploy config, which the integration tests run against. */
export const EXAMPLE_CONFIG: PostroomConfig = PostroomConfigSchema.parse(
  JSON.parse(readFileSync(join(import.meta.dirname, '../../postroom.config.json'), 'utf8')),
);

/** The sandbox's local AWS servers, plus a test helper that empties a queue. */
export interface LocalAws extends Servers {
  /** Every message currently on a queue, received and deleted (a FIFO group yields its next one only after that). */
  drain(queueUrl: string): Promise<Message[]>;
}

export async function startLocalAws(skills: readonly string[]): Promise<LocalAws> {
  return withDrain(await startServers({ skills, tableName: 'postroom-test' }));
}

/** Local servers with `drain`, a test's way to empty a queue. */
export function withDrain(servers: Servers): LocalAws {
  return Object.assign(servers, {
    async drain(queueUrl: string) {
      const messages: Message[] = [];
      for (;;) {
        const out = await servers.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: 0,
            MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
          }),
        );
        if (!out.Messages?.length) return messages;
        messages.push(...out.Messages);
        for (const m of out.Messages) await servers.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
    },
  });
}

/** Local servers with a queue per skill of `config` and its channels written as a deployment seeds them. */
export async function startSeededLocalAws(config: PostroomConfig = EXAMPLE_CONFIG): Promise<LocalAws> {
  const aws = await startLocalAws(config.skills.map((s) => s.name));
  const directory = new DynamoChannelDirectory(aws.db, aws.tableName, { clock: { now: () => new Date() }, cacheMs: 0 });
  for (const channel of config.channels) await directory.put(channel);
  return aws;
}
