import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { inboundMailsOf, RAW_MAIL_PREFIX } from '../../../functions/runtime/ses-event.ts';

const event: unknown = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/ses/receipt-event.json'), 'utf8'));

it('maps the SES receipt event to the raw key, lowercase recipients and verdicts', () => {
  expect(inboundMailsOf(event, RAW_MAIL_PREFIX)).toEqual([
    {
      sesMessageId: 'o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1',
      rawKey: 'inbound/raw/o3vrnil0e2ic28trm7dfhrc2v0clambda4nbp0g1',
      recipients: ['support@example.com'],
      verdicts: { spamVerdict: 'PASS', virusVerdict: 'PASS', spfVerdict: 'PASS', dkimVerdict: 'GRAY', dmarcVerdict: 'FAIL', dmarcPolicy: 'REJECT' },
      receivedAt: '2026-11-22T09:59:58.120Z',
      envelopeSender: 'carla@customer.example',
    },
  ]);
});

it('rejects an event that is not an SES receipt', () => {
  expect(() => inboundMailsOf({ Records: [{ s3: {} }] }, RAW_MAIL_PREFIX)).toThrow();
});
