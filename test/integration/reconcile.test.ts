import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoFailedMailAdmin } from '../../functions/adapters/dynamo-failed-mail-admin.ts';
import { DynamoFailedMailStore } from '../../functions/adapters/dynamo-failed-mail-store.ts';
import { DynamoInboundRecordsLookup } from '../../functions/adapters/dynamo-inbound-records-lookup.ts';
import { S3RawMailListing } from '../../functions/adapters/s3-raw-mail-listing.ts';
import { RoutedMessageSchema } from '../../functions/core/model/routed-message.ts';
import { localHandlerOptions } from '../../functions/local/local-aws.ts';
import { InboundEnvSchema, readEnv } from '../../functions/runtime/env.ts';
import { createInboundHandler } from '../../functions/runtime/inbound-handler.ts';
import { ReconcileEnvSchema } from '../../functions/runtime/reconcile-env.ts';
import type { MetricsSink } from '../../functions/runtime/observability.ts';
import { createReconcileHandler, type ReconcileHandler, recordReconciliation } from '../../functions/runtime/reconcile-handler.ts';
import { RAW_MAIL_PREFIX, type SesReceiptEvent } from '../../functions/runtime/ses-event.ts';
import { customerMail, inboundMail } from '../support/inbound-deps.ts';
import { type LocalAws, startSeededLocalAws } from '../support/local-aws.ts';

let aws: LocalAws;
let reconcile: ReconcileHandler;
const context = (id: string) => ({ functionName: 'reconcile', awsRequestId: id, getRemainingTimeInMillis: () => 600_000 }) as Context;

/** A receipt event as SES would have sent it for the mail, had the invocation not been lost. */
function receiptEvent(messageId: string): SesReceiptEvent {
  const at = new Date().toISOString();
  const pass = { status: 'PASS' };
  return {
    Records: [
      {
        ses: {
          mail: { messageId, timestamp: at, source: 'carla@customer.example' },
          receipt: {
            timestamp: at,
            recipients: ['support@example.com'],
            spamVerdict: pass,
            virusVerdict: pass,
            spfVerdict: pass,
            dkimVerdict: pass,
            dmarcVerdict: pass,
          },
        },
      },
    ],
  };
}

/** SES's trace field on top of a customer mail, as the S3 action stores it. */
function asStoredBySes(sesMessageId: string, mail: string, recipient: string): string {
  return `Received: from mail.customer.example by inbound-smtp.eu-west-1.amazonaws.com with SMTP id ${sesMessageId}\r\n for ${recipient};\r\n Sun, 22 Nov 2026 09:59:58 +0000 (UTC)\r\n${mail}`;
}

beforeAll(async () => {
  aws = await startSeededLocalAws();
  // The reconciliation as Lambda builds it (`functions/reconcile.ts`), on the local servers; no
  // grace, since the objects are stored by the test a moment before.
  const env = readEnv(ReconcileEnvSchema, {
    TABLE_NAME: aws.tableName,
    MAIL_BUCKET: aws.bucket,
    SKILL_QUEUE_URLS: JSON.stringify(aws.queueUrls),
    OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
    RECONCILE_GRACE_MINUTES: '0',
  });
  reconcile = createReconcileHandler(env, localHandlerOptions(aws, 'SILENT'));
});

afterAll(async () => {
  await aws.stop();
});

describe('the reconciliation function', () => {
  it('runs mail SES stored without an invocation through the inbound path, lists one with no channel as failed, and does it once', async () => {
    // Arrange
    const inbound = createInboundHandler(
      readEnv(InboundEnvSchema, {
        TABLE_NAME: aws.tableName,
        MAIL_BUCKET: aws.bucket,
        SKILL_QUEUE_URLS: JSON.stringify(aws.queueUrls),
        OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
      }),
      localHandlerOptions(aws, 'SILENT'),
    );
    await aws.putRaw(`${RAW_MAIL_PREFIX}invoked`, customerMail({ messageId: 'invoked@customer.example' }));
    await inbound(receiptEvent('invoked'), context('inbound-1'));
    await aws.drain(aws.queueUrls.support ?? '');
    await aws.putRaw(
      `${RAW_MAIL_PREFIX}lost`,
      asStoredBySes('lost', customerMail({ messageId: 'lost@customer.example', to: 'Team <team@customer.example>' }), 'support@example.com'),
    );
    await aws.putRaw(`${RAW_MAIL_PREFIX}nameless`, customerMail({ messageId: 'nameless@customer.example', to: 'Undisclosed recipients:;' }));
    await aws.putRaw(`${RAW_MAIL_PREFIX}AMAZON_SES_SETUP_NOTIFICATION`, 'Amazon SES setup notification');
    // Act
    const report = await reconcile({ 'detail-type': 'Scheduled Event', source: 'aws.events' }, context('run-1'));
    const again = await reconcile({}, context('run-2'));
    // Assert
    expect(report).toMatchObject({ due: 3, checked: 3, busy: 0, errors: [], shortfall: null });
    expect(report.reconciled).toEqual([
      { sesMessageId: 'lost', source: 'received', outcomes: [expect.objectContaining({ status: 'routed', channelId: 'support', duplicate: false })] },
    ]);
    expect(report.lost.map((m) => m.sesMessageId)).toEqual(['nameless']);
    const routed = (await aws.drain(aws.queueUrls.support ?? '')).map((m) => RoutedMessageSchema.parse(JSON.parse(m.Body ?? '')));
    expect(routed.map((r) => r.internetMessageId)).toEqual(['lost@customer.example']);
    // SES's verdicts are gone: unknown, so the sender proves nothing.
    expect(routed[0]?.tags).toEqual(expect.arrayContaining(['verdict-processing-failed', 'virus-processing-failed', 'unauthenticated-sender']));
    const failed = await new DynamoFailedMailAdmin(aws.db, aws.tableName).get('nameless', null);
    expect(failed).toMatchObject({ code: 'lost-invocation', rawKey: `${RAW_MAIL_PREFIX}nameless`, mail: { recipients: [] } });
    expect(again).toMatchObject({ checked: 3, reconciled: [], lost: [], errors: [] });
  });

  it('leaves a late SES invocation of a reconciled mail nothing to do', async () => {
    // Arrange
    const inbound = createInboundHandler(
      readEnv(InboundEnvSchema, {
        TABLE_NAME: aws.tableName,
        MAIL_BUCKET: aws.bucket,
        SKILL_QUEUE_URLS: JSON.stringify(aws.queueUrls),
        OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
      }),
      localHandlerOptions(aws, 'SILENT'),
    );
    await aws.putRaw(`${RAW_MAIL_PREFIX}late`, asStoredBySes('late', customerMail({ messageId: 'late@customer.example' }), 'support@example.com'));
    await reconcile({}, context('run-3'));
    await aws.drain(aws.queueUrls.support ?? '');
    // Act
    await inbound(receiptEvent('late'), context('inbound-late'));
    // Assert
    expect(await aws.drain(aws.queueUrls.support ?? '')).toEqual([]);
  });

  it('refuses a manual window it cannot take', async () => {
    await expect(reconcile({ windowMinutes: 0 }, context('bad'))).rejects.toThrow();
  });
});

describe('metrics', () => {
  it('publishes one value of each count per run, zeros included, under the names the alarms watch', () => {
    // Arrange
    const published: [string, number][] = [];
    const sink: MetricsSink = {
      addMetric: (name, _unit, value) => {
        published.push([name, value]);
      },
      singleMetric: () => sink,
      addDimension: () => undefined,
      publishStoredMetrics: () => undefined,
    };
    const lost = { sesMessageId: 'x', rawKey: 'inbound/raw/x', reason: 'no channel' };
    // Act
    recordReconciliation(sink, { listed: 9, due: 4, checked: 4, reconciled: [], lost: [lost, lost], busy: 0, errors: [], shortfall: 'max-checks' });
    // Assert
    expect(published).toEqual([
      ['CheckedMails', 4],
      ['ReconciledMails', 0],
      ['LostMails', 2],
      ['ReconciliationIncomplete', 1],
    ]);
  });
});

describe('adapters', () => {
  it('lists raw objects page by page under the prefix only, with the time S3 stored each', async () => {
    // Arrange
    const before = Date.now() - 1000;
    for (const id of ['a', 'b', 'c']) await aws.putRaw(`listing/raw/${id}`, 'x');
    await aws.putRaw('listing/other', 'x');
    const listing = new S3RawMailListing(aws.s3, aws.bucket, 'listing/raw/', 2);
    // Act
    const first = await listing.list(null);
    const second = await listing.list(first.cursor);
    // Assert
    expect(first.objects.map((o) => o.key)).toEqual(['listing/raw/a', 'listing/raw/b']);
    expect(first.cursor).not.toBeNull();
    expect(second).toEqual({ objects: [expect.objectContaining({ key: 'listing/raw/c' })], cursor: null });
    expect(Date.parse(second.objects[0]?.lastModified ?? '')).toBeGreaterThanOrEqual(before);
  });

  it('finds a processing record of any channel, or a failed entry, under the mail’s partition', async () => {
    // Arrange
    const lookup = new DynamoInboundRecordsLookup(aws.db, aws.tableName);
    await new DynamoFailedMailStore(aws.db, aws.tableName).put({
      sesMessageId: 'only-failed',
      channelId: null,
      rawKey: `${RAW_MAIL_PREFIX}only-failed`,
      code: 'unknown-recipient',
      reason: 'no channel',
      failedAt: new Date().toISOString(),
      mail: inboundMail('only-failed', ['nobody@example.com']),
    });
    // Act
    const found = await Promise.all(['invoked', 'only-failed', 'never-seen'].map((id) => lookup.exists(id)));
    // Assert
    expect(found).toEqual([true, true, false]);
  });
});
