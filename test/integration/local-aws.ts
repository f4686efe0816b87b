import { DeleteMessageCommand, ReceiveMessageCommand, type Message } from '@aws-sdk/client-sqs';
import { startLocalAws as startServers, type LocalAws as Servers } from '../../functions/local/local-aws.ts';

/** The sandbox's local AWS servers, plus a test helper that empties a queue. */
export interface LocalAws extends Servers {
  /** Every message currently on a queue, received and deleted (a FIFO group yields its next one only after that). */
  drain(queueUrl: string): Promise<Message[]>;
}

export async function startLocalAws(skills: readonly string[]): Promise<LocalAws> {
  const servers = await startServers({ skills, tableName: 'postroom-test' });
  return {
    ...servers,
    async drain(queueUrl) {
      const messages: Message[] = [];
      for (;;) {
        const out = await servers.sqs.send(new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
        }));
        if (!out.Messages?.length) return messages;
        messages.push(...out.Messages);
        for (const m of out.Messages) await servers.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
    },
  };
}
