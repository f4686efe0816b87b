import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, DeleteMessageCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import type { AddressInfo } from 'node:net';
import { createTableInput } from '../../functions/adapters/dynamo-schema.ts';
import { createDocumentClient, createS3Client, createSqsClient } from '../../functions/runtime/clients.ts';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Local stand-ins for DynamoDB (dynalite), S3 and SQS (fauxqs), on 127.0.0.1 with free ports. */
export interface LocalAws {
  readonly db: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly tableName: string;
  readonly bucket: string;
  /** Skill name → FIFO queue URL. */
  readonly queueUrls: Record<string, string>;
  putRaw(key: string, raw: string | Uint8Array): Promise<void>;
  /** Every message currently on a queue, received and deleted (a FIFO group yields its next one only after that). */
  drain(queueUrl: string): Promise<Message[]>;
  stop(): Promise<void>;
}

/** Starts both servers in-process and creates the table, the bucket and one FIFO queue per skill. */
export async function startLocalAws(skills: readonly string[]): Promise<LocalAws> {
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => dynamo.listen(0, '127.0.0.1', resolve));
  const dynamoPort = (dynamo.address() as AddressInfo).port;
  const fauxqs = buildApp({ logger: false });
  await fauxqs.listen({ host: '127.0.0.1', port: 0 });
  const fauxqsPort = (fauxqs.server.address() as AddressInfo).port;

  const common = { region: REGION, credentials: CREDENTIALS };
  const db = createDocumentClient({ ...common, endpoint: `http://127.0.0.1:${dynamoPort}` });
  const s3 = createS3Client({ ...common, endpoint: `http://127.0.0.1:${fauxqsPort}` });
  const sqs = createSqsClient({ ...common, endpoint: `http://127.0.0.1:${fauxqsPort}` });

  const tableName = 'postroom-test';
  const bucket = 'postroom-mail';
  await db.send(new CreateTableCommand(createTableInput(tableName)));
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const queueUrls: Record<string, string> = {};
  for (const skill of skills) {
    const out = await sqs.send(new CreateQueueCommand({
      QueueName: `${skill}.fifo`,
      Attributes: { FifoQueue: 'true', ContentBasedDeduplication: 'false' },
    }));
    queueUrls[skill] = out.QueueUrl ?? '';
  }

  return {
    db, s3, sqs, tableName, bucket, queueUrls,
    async putRaw(key, raw) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: raw }));
    },
    async drain(queueUrl) {
      const messages: Message[] = [];
      for (;;) {
        const out = await sqs.send(new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: 10,
          WaitTimeSeconds: 0,
          MessageSystemAttributeNames: ['MessageGroupId', 'MessageDeduplicationId'],
        }));
        if (!out.Messages?.length) return messages;
        messages.push(...out.Messages);
        for (const m of out.Messages) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
      }
    },
    async stop() {
      db.destroy();
      s3.destroy();
      sqs.destroy();
      await fauxqs.close();
      await new Promise<void>((resolve, reject) => dynamo.close((e) => (e ? reject(e) : resolve())));
    },
  };
}
