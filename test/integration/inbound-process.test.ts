import type { Context } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DynamoChannelDirectory } from '../../functions/adapters/dynamo-channel-directory.ts';
import { RoutedMessageSchema } from '../../functions/core/model/routed-message.ts';
import { localHandlerOptions } from '../../functions/local/local-aws.ts';
import { InboundEnvSchema, readEnv } from '../../functions/runtime/env.ts';
import { createInboundHandler, type InboundHandler } from '../../functions/runtime/inbound-handler.ts';
import { customerMail, TestClock } from '../support/inbound-deps.ts';
import { startLocalAws, type LocalAws } from '../support/local-aws.ts';

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/ses/receipt-event.json'), 'utf8')) as {
  Records: { ses: { mail: { messageId: string } } }[];
};
const sesMessageId = fixture.Records[0]?.ses.mail.messageId ?? '';
let aws: LocalAws;
let handler: InboundHandler;

beforeAll(async () => {
  aws = await startLocalAws(['support']);
  await new DynamoChannelDirectory(aws.db, aws.tableName, { clock: new TestClock(), cacheMs: 0 }).put({
    id: 'support',
    address: 'support@example.com',
    defaultSkill: 'support',
  });
  // The inbound function as Lambda builds it (`functions/inbound-process.ts`), on the local servers.
  const env = readEnv(InboundEnvSchema, {
    TABLE_NAME: aws.tableName,
    MAIL_BUCKET: aws.bucket,
    SKILL_QUEUE_URLS: JSON.stringify(aws.queueUrls),
    OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
  });
  handler = createInboundHandler(env, localHandlerOptions(aws, 'SILENT'));
});

afterAll(async () => {
  await aws.stop();
});

it('handles the SES receipt event end to end: raw mail from S3 by message id, pointer on the queue', async () => {
  // Arrange
  await aws.putRaw(`inbound/raw/${sesMessageId}`, customerMail({ messageId: 'fixture-1@customer.example' }));
  // Act
  await handler(fixture, { functionName: 'inbound', awsRequestId: 'req-1' } as Context);
  await handler(fixture, { functionName: 'inbound', awsRequestId: 'req-2' } as Context);
  // Assert
  const messages = await aws.drain(aws.queueUrls.support ?? '');
  expect(messages).toHaveLength(1);
  const routed = RoutedMessageSchema.parse(JSON.parse(messages[0]?.Body ?? ''));
  expect(routed).toMatchObject({ channelId: 'support', internetMessageId: 'fixture-1@customer.example' });
  expect(routed.tags).toContain('dmarc-fail');
});
