import type { Context } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DynamoChannelDirectory } from '../../functions/adapters/dynamo-channel-directory.ts';
import { RoutedMessageSchema } from '../../functions/core/model/routed-message.ts';
import { customerMail, TestClock } from '../support/inbound-deps.ts';
import { startLocalAws, type LocalAws } from '../support/local-aws.ts';

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/ses/receipt-event.json'), 'utf8')) as {
  Records: { ses: { mail: { messageId: string } } }[];
};
const sesMessageId = fixture.Records[0]?.ses.mail.messageId ?? '';
let aws: LocalAws;
const saved = { ...process.env };

beforeAll(async () => {
  aws = await startLocalAws(['support']);
  await new DynamoChannelDirectory(aws.db, aws.tableName, { clock: new TestClock(), cacheMs: 0 }).put({
    id: 'support', address: 'support@example.com', defaultSkill: 'support',
  });
  const endpoint = await aws.s3.config.endpoint?.();
  const url = `http://${endpoint?.hostname}:${endpoint?.port}`;
  const dbEndpoint = await aws.db.config.endpoint?.();
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_S3: url, AWS_ENDPOINT_URL_SQS: url, AWS_ENDPOINT_URL_DYNAMODB: `http://${dbEndpoint?.hostname}:${dbEndpoint?.port}`,
    TABLE_NAME: aws.tableName, RAW_MAIL_BUCKET: aws.bucket, SKILL_QUEUE_URLS: JSON.stringify(aws.queueUrls), OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
    POWERTOOLS_TRACE_ENABLED: 'false', POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true',
  });
});

afterAll(async () => {
  process.env = saved;
  await aws.stop();
});

it('handles the SES receipt event end to end: raw mail from S3 by message id, pointer on the queue', async () => {
  // Arrange
  await aws.putRaw(`inbound/raw/${sesMessageId}`, customerMail({ messageId: 'fixture-1@customer.example' }));
  const { handler } = await import('../../functions/inbound-process.ts');
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
