import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../../functions/core/errors.ts';
import { bareAddress, isoTime, readSesPayload } from '../../../../functions/core/outbound/feedback/ses-event-normalize.ts';
import { policyAction, readSesFeedback, type SesFeedbackRead } from '../../../../functions/core/outbound/feedback/ses-event.ts';
import { classifySesBounce } from '../../../../functions/core/outbound/feedback/suppression-policy.ts';

const DIR = join(import.meta.dirname, '../../../fixtures/ses-events/real');

/** The SQS body a fixture stands for (the body of the first record for an SQS event). */
function body(name: string): string {
  const text = readFileSync(join(DIR, name), 'utf8');
  return text.trimStart().startsWith('{"Records"') || /^\{\s*"Records"/.test(text) ? (JSON.parse(text).Records[0].body as string) : text;
}

function feedbackOf(name: string) {
  const read = readSesFeedback(body(name));
  if (read.kind !== 'feedback') throw new Error(`${name}: ${read.kind}`);
  return read.feedback;
}

/** kind, SES message id, and per recipient `address status action` as `feedback inspect` prints them. */
function summary(read: SesFeedbackRead): [string, string | null, string[]] {
  const line = (u: { address: string | null; smtpStatus: string | null }, action: string) => `${u.address} ${u.smtpStatus ?? '-'} ${action}`;
  switch (read.kind) {
    case 'feedback':
      return [
        read.feedback.kind,
        read.feedback.target.kind === 'ses' ? read.feedback.target.sesMessageId : null,
        read.feedback.updates.map((u) => line(u, policyAction(u))),
      ];
    case 'unaddressed':
      return [read.feedbackKind, null, read.updates.map((u) => line(u, policyAction(u)))];
    case 'ignored':
      return ['ignored', read.sesMessageId, []];
    case 'control':
      return ['ignored', null, []];
  }
}

const JUHASEV_BOUNCE_ID = '010101713ca0294f-c9ce9ef4-42c3-4b55-967b-7aed95804512-000000';
const JUHASEV_COMPLAINT_ID = '010101713ca12600-91dcfd5a-f653-4c07-ae79-793021aed4b4-000000';
const JUHASEV_DELIVERY_ID = '010101713c57681e-2f1bd797-f111-42b1-839c-a9119dcc7144-000000';
const DJANGO_SES_ID = '000001378603177f-7a5433e7-8edb-42ae-af10-f0181f34d6ee-000000';
const EXAMPLE_ID = 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000';

/** What each collected payload is, as the feedback function reads it (see SOURCES.md for each one's origin). */
const EXPECTED: readonly (readonly [string, string, string | null, readonly string[]] | readonly [string, RegExp])[] = [
  [
    'anymail-bounce-multiple-no-status.json',
    'bounce',
    '00000137860315fd-34208509-5b74-41f3-95c5-22c1edc3c924-000000',
    ['jane@example.com - count', 'richard@example.com - count'],
  ],
  ['anymail-bounce.json', 'bounce', '00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000', ['jane@example.com 5.1.1 suppress']],
  ['anymail-complaint-minimal.json', 'complaint', DJANGO_SES_ID, ['richard@example.com - suppress']],
  ['anymail-delivery.json', 'delivery', '0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000', ['jane@example.com - none']],
  ['anymail-inbound-received-on-tracking-topic.json', /an SES receipt notification \('Received'\), not delivery feedback/],
  ['anymail-rendering-failure.json', 'rendering-failure', 'c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000', ['recipient@example.com - none']],
  ['anymail-send.json', 'ignored', '7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000', []],
  ['anymail-setup-validated.json', 'ignored', null, []],
  ['anymail-subscription-confirmation.json', 'ignored', null, []],
  ['anymail-unsubscribe-confirmation.json', 'ignored', null, []],
  ['constructed-empty-message-id.json', 'delivery', null, ['success@simulator.amazonses.com 2.6.0 none']],
  ['constructed-eventbridge-bounce.json', 'bounce', JUHASEV_BOUNCE_ID, ['bounce@simulator.amazonses.com 5.1.1 suppress']],
  ['constructed-eventbridge-delivery-delay.json', 'delay', JUHASEV_DELIVERY_ID, ['recipient@sampleninja.example 4.4.1 none']],
  ['constructed-eventbridge-subscription.json', 'ignored', JUHASEV_DELIVERY_ID, []],
  ['constructed-lowercase-types.json', 'bounce', JUHASEV_BOUNCE_ID, ['bounce@simulator.amazonses.com 5.1.1 suppress']],
  ['constructed-message-as-object.json', 'ignored', null, []],
  ['constructed-pascalcase-record.json', 'complaint', JUHASEV_COMPLAINT_ID, ['complaint@simulator.amazonses.com - suppress']],
  ['constructed-raw-setup-notice.json', 'ignored', null, []],
  ['constructed-sqs-event-delivery.json', 'delivery', JUHASEV_DELIVERY_ID, ['recipient@sampleninja.example 2.0.0 none']],
  ['constructed-transient-5xx-pretty-message.json', 'bounce', 'ref-soft-5xx', ['bounce@simulator.amazonses.com 5.1.1 count']],
  ['django-ses-bounce-offsets-mixed-status.json', 'bounce', DJANGO_SES_ID, ['recipient1@example.com 5.0.0 count', 'recipient2@example.com 4.0.0 count']],
  ['django-ses-bounce-transient-no-status.json', 'bounce', DJANGO_SES_ID, ['recipient1@example.com - count', 'recipient2@example.com - count']],
  ['django-ses-complaint-offset.json', 'complaint', DJANGO_SES_ID, ['recipient1@example.com - suppress']],
  ['janis-bounce-empty-diagnostic.json', 'bounce', '0100017011f39143-e945cb8f-0b46-41cb-9aa2-fe5247dc7a09-000000', ['joe.doe@example.com 5.1.1 suppress']],
  ['juhasev-laravel-ses-bounce.json', 'bounce', JUHASEV_BOUNCE_ID, ['bounce@simulator.amazonses.com 5.1.1 suppress']],
  ['juhasev-laravel-ses-complaint.json', 'complaint', JUHASEV_COMPLAINT_ID, ['complaint@simulator.amazonses.com - suppress']],
  ['juhasev-laravel-ses-delivery.json', 'delivery', JUHASEV_DELIVERY_ID, ['recipient@sampleninja.example 2.0.0 none']],
  ['lambda-local-delivery.json', 'delivery', '0101015d1457bd85-2ff839b3-c119-4311-b90c-5ce39eff3026-000000', ['jeff@recipient.example - none']],
  [
    'laravel-ses-bounce-eu-west-1.json',
    'bounce',
    '0102015e16073ec2-e6c0fd6b-17fb-4f8d-a1ce-82c68fe2a943-000000',
    ['bounce@simulator.amazonses.com 5.1.1 suppress'],
  ],
  ['laravel-ses-bounce-pretty.json', 'bounce', '00000138111222aa-33322211-cccc-cccc-cccc-ddddaaaa0680-000000', ['jane@example.com 5.1.1 suppress']],
  ['laravel-ses-click-pretty.json', 'ignored', EXAMPLE_ID, []],
  ['laravel-ses-complaint-account-suppression-list.json', 'complaint', EXAMPLE_ID, ['recipient@example.com - suppress']],
  ['laravel-ses-complaint-pretty.json', 'complaint', EXAMPLE_ID, ['recipient@example.com - suppress']],
  ['laravel-ses-delivery-pretty.json', 'delivery', EXAMPLE_ID, ['recipient@example.com 2.6.0 none']],
  ['laravel-ses-identity-subscription-succeeded.json', 'ignored', null, []],
  ['laravel-ses-open-leading-space.json', 'ignored', EXAMPLE_ID, []],
  ['laravel-ses-reject-pretty.json', 'reject', EXAMPLE_ID, ['sender@example.com - none']],
  ['laravel-ses-setup-validated.json', 'ignored', null, []],
  ['laravel-ses-subscription-confirmation.json', 'ignored', null, []],
  ['listmonk-issue-1463-transient-5xx-no-mail.json', 'bounce', null, ['eg@gmail.ocm 5.4.4 count']],
  ['notify-complaint-account-suppression-list-no-recipients.json', 'complaint', 'ref1', []],
  ['notify-complaint-no-message-id.json', 'complaint', null, ['recipient1@example.com - suppress']],
  ['notify-soft-bounce-transient-5xx.json', 'bounce', 'ref-soft-5xx', ['bounce@simulator.amazonses.com 5.1.1 count']],
  ['otel-sns-test-message.json', 'ignored', null, []],
  ['recoil-bounce-undetermined.json', 'bounce', 'ID', ['example@example.com - count']],
  ['sisimai-amazonses-01.json', 'bounce', '01010157e48f9b9b-891e9a0e-9c9d-4773-9bfe-608f2ef4756d-000000', ['bounce@simulator.amazonses.com 5.1.1 suppress']],
  ['sisimai-amazonses-02.json', 'bounce', '01010157e6083857-2c73eed0-71f8-47d1-ab77-c4646f9d776d-000000', ['bounce@simulator.amazonses.com 5.1.1 suppress']],
  ['sisimai-amazonses-03.json', 'complaint', '01010158992bd11e-d46429af-0ec9-4aaf-8503-6f7ca5832ca2-000000', ['complaint@simulator.amazonses.com - suppress']],
  ['sisimai-amazonses-04.json', 'delivery', '01010158910f768a-98f33ad0-6366-4b78-86e7-1048b5d7d519-000000', ['success@simulator.amazonses.com 2.6.0 none']],
  ['sisimai-amazonses-05.json', 'delivery', '01010158992bd11e-d46429af-0ec9-4aaf-8503-6f7ca5832ca2-000000', ['complaint@simulator.amazonses.com 2.6.0 none']],
  ['sisimai-amazonses-06.json', 'bounce', 'xxxxxxx', ['bounce@simulator.amazonses.com 5.1.1 suppress']],
];

describe('SES events as they really come: every collected payload', () => {
  it('has an expectation for each fixture, and each fixture has its origin and licence in SOURCES.md', () => {
    const files = readdirSync(DIR)
      .filter((f) => f.endsWith('.json'))
      .sort();
    const sources = readFileSync(join(DIR, 'SOURCES.md'), 'utf8');
    expect(EXPECTED.map((e) => e[0]).sort()).toEqual(files);
    expect(files.filter((f) => !sources.includes(`\`${f}\``))).toEqual([]);
    expect(files.length).toBeGreaterThanOrEqual(25);
  });

  it.each(EXPECTED)('%s', (name, ...expected) => {
    if (expected[0] instanceof RegExp) {
      expect(() => readSesFeedback(body(name))).toThrow(ValidationError);
      expect(() => readSesFeedback(body(name))).toThrow(expected[0]);
      return;
    }
    expect(summary(readSesFeedback(body(name)))).toEqual(expected);
  });
});

describe('one record, however it is wrapped and spelled, is one report', () => {
  it('reads the SNS envelope, the EventBridge event and the lower-case re-publication of a bounce to the same feedback', () => {
    // Act
    const sns = feedbackOf('juhasev-laravel-ses-bounce.json');
    const eventBridge = feedbackOf('constructed-eventbridge-bounce.json');
    const lowerCase = feedbackOf('constructed-lowercase-types.json');

    // Assert: the same key, so the ledger applies it once whichever copy comes first
    expect(eventBridge).toEqual(sns);
    expect(lowerCase).toEqual(sns);
    expect(sns.key).toBe(`ses:${JUHASEV_BOUNCE_ID}:bounce:010101713ca02f00-5c74250f-5438-4f24-a827-0c8f83dfde97-000000`);
    expect(sns.updates[0]?.signal).toEqual({ kind: 'bounce', permanent: true, subType: 'General' });
  });

  it('reads a whole record in PascalCase like the camelCase one', () => {
    expect(feedbackOf('constructed-pascalcase-record.json')).toEqual(feedbackOf('juhasev-laravel-ses-complaint.json'));
  });

  it('reads a pretty-printed Message, one with a leading space and one with a trailing newline', () => {
    // A pretty-printed bounce and the compact one of the same record in the sources
    const pretty = readSesPayload(body('laravel-ses-bounce-pretty.json'));
    const compact = readSesPayload(body('anymail-bounce.json'));
    expect(pretty).toMatchObject({ kind: 'record', via: 'sns', record: { type: 'Bounce', bounce: { bounceType: 'Permanent' } } });
    expect(compact).toMatchObject({ kind: 'record', via: 'sns' });
    expect(readSesPayload(body('laravel-ses-open-leading-space.json'))).toMatchObject({ kind: 'record', record: { type: 'Open' } });
    expect(feedbackOf('constructed-transient-5xx-pretty-message.json').updates).toEqual(feedbackOf('notify-soft-bounce-transient-5xx.json').updates);
  });

  it('reads a Message that is an object or a JSON string encoded twice', () => {
    const record = readFileSync(join(DIR, 'sisimai-amazonses-04.json'), 'utf8');
    const twice = JSON.stringify({ Type: 'Notification', TopicArn: 'arn:aws:sns:us-west-2:123456789012:t', Message: JSON.stringify(record) });
    const asObject = JSON.stringify({ Type: 'Notification', TopicArn: 'arn:aws:sns:us-west-2:123456789012:t', Message: JSON.parse(record) });
    const direct = readSesFeedback(record);
    expect(readSesFeedback(twice)).toEqual(direct);
    expect(readSesFeedback(asObject)).toEqual(direct);
  });
});

describe('times: offsets, missing ones, and what stands in for them', () => {
  it('turns timestamps with offsets into UTC, so the latest report wins by real time', () => {
    // Arrange: mail timestamp 2012-05-25T14:59:38.623-07:00, complaint 2012-05-25T14:59:38.623Z
    const complaint = feedbackOf('django-ses-complaint-offset.json');
    const bounce = feedbackOf('django-ses-bounce-offsets-mixed-status.json');

    // Assert
    expect(complaint.sentAt).toBe('2012-05-25T21:59:38.623Z');
    expect(complaint.at).toBe('2012-05-25T14:59:38.623Z');
    expect(bounce.at).toBe('2012-05-25T21:59:38.605Z');
    expect(bounce.updates.map((u) => u.at)).toEqual(['2012-05-25T21:59:38.605Z', '2012-05-25T21:59:38.605Z']);
  });

  it('takes the envelope time for an event without its own, then the mail time, then when the queue got it', () => {
    // A bounce with no bounce timestamp and no mail timestamp: the SNS Timestamp
    expect(feedbackOf('anymail-bounce-multiple-no-status.json').at).toBe('2018-03-26T17:58:59.675Z');
    // A rendering failure without a mail timestamp: the SNS Timestamp too
    expect(feedbackOf('anymail-rendering-failure.json').at).toBe('2018-03-26T17:58:59.675Z');
    // A bare record with no time at all: when SQS took the message
    const bare = JSON.stringify({
      eventType: 'Bounce',
      bounce: { bounceType: 'Transient', bouncedRecipients: [{ emailAddress: 'a@b.example' }] },
      mail: { messageId: 'm-1' },
    });
    const read = readSesFeedback(bare, { receivedAt: '2026-12-01T10:00:00.000Z' });
    expect(read).toMatchObject({
      kind: 'feedback',
      feedback: { at: '2026-12-01T10:00:00.000Z', sentAt: null, key: 'ses:m-1:bounce:2026-12-01T10:00:00.000Z' },
    });
  });

  it.each([
    ['2012-05-25T14:59:38.623-07:00', '2012-05-25T21:59:38.623Z'],
    ['2012-05-25T14:59:38+0200', '2012-05-25T12:59:38.000Z'],
    ['2016-06-28 00:40:34.558', '2016-06-28T00:40:34.558Z'],
    ['2020-04-02T20:41:03Z', '2020-04-02T20:41:03.000Z'],
    [1610000000, '2021-01-07T06:13:20.000Z'],
    [1610000000123, '2021-01-07T06:13:20.123Z'],
    ['1610000000', '2021-01-07T06:13:20.000Z'],
    ['yesterday', null],
    ['2012-13-45T99:99:99Z', null],
    ['', null],
    [null, null],
  ])('isoTime(%j) is %j', (input, expected) => {
    expect(isoTime(input)).toBe(expected);
  });
});

describe('a Transient bounce is a soft failure whatever its code', () => {
  it('counts, never suppresses, a Transient bounce carrying 5.x.x, from both sources and the constructed envelope', () => {
    for (const name of ['notify-soft-bounce-transient-5xx.json', 'constructed-transient-5xx-pretty-message.json']) {
      const update = feedbackOf(name).updates[0];
      expect(update).toMatchObject({ status: 'bounced', smtpStatus: '5.1.1', signal: { kind: 'bounce', permanent: false, subType: 'General' } });
      expect(update && policyAction(update)).toBe('count');
    }
    const listmonk = readSesFeedback(body('listmonk-issue-1463-transient-5xx-no-mail.json'));
    expect(listmonk.kind === 'unaddressed' && listmonk.updates.map(policyAction)).toEqual(['count']);
  });

  it('counts a Transient or Undetermined bounce even with a suppressing code or an SES sub-type that suppresses when permanent', () => {
    const transient = { permanent: false } as const;
    expect(classifySesBounce('General', { ...transient, status: '5.1.1', diagnostic: 'smtp; 550 5.1.1 user unknown' }).action).toBe('count');
    expect(classifySesBounce('Suppressed', { ...transient, status: '5.1.1', diagnostic: null }).action).toBe('count');
    expect(classifySesBounce('NoEmail', { ...transient, status: null, diagnostic: 'smtp; 551 user not local' }).action).toBe('count');
    expect(classifySesBounce('General', { ...transient, status: '5.7.18', diagnostic: null }).action).toBe('count');
    // The same codes on a Permanent bounce do suppress: only the bounce type decides permanence
    expect(classifySesBounce('General', { status: '5.1.1', permanent: true, diagnostic: null }).action).toBe('suppress');
  });

  it('treats a bounce type it does not know (upper case, `Undefined`) as not permanent, and PERMANENT as permanent', () => {
    const bounce = (bounceType: string) =>
      JSON.stringify({
        notificationType: 'Bounce',
        bounce: { bounceType, bouncedRecipients: [{ emailAddress: 'x@y.example', status: '5.1.1' }], timestamp: '2020-01-01T00:00:00Z' },
        mail: { messageId: 'm', timestamp: '2020-01-01T00:00:00Z' },
      });
    const action = (bounceType: string) => {
      const update = (readSesFeedback(bounce(bounceType)) as Extract<SesFeedbackRead, { kind: 'feedback' }>).feedback.updates[0];
      return update ? policyAction(update) : null;
    };
    expect(action('PERMANENT')).toBe('suppress');
    expect(action('Undefined')).toBe('count');
    expect(action('unknown-bounce')).toBe('count');
    expect(action('transient')).toBe('count');
  });
});

describe('control messages and reports that name no message', () => {
  it.each([
    ['anymail-subscription-confirmation.json', /SNS subscription confirmation for arn:aws:sns:us-west-2:123456789012:SES_Notifications/],
    ['anymail-unsubscribe-confirmation.json', /SNS unsubscribe confirmation/],
    ['anymail-setup-validated.json', /no SES event: "Successfully validated SNS topic for Amazon SES event publishing\."/],
    ['constructed-raw-setup-notice.json', /SES setup notice/],
    ['otel-sns-test-message.json', /no SES event: "Hello from SNS!"/],
    ['laravel-ses-identity-subscription-succeeded.json', /AmazonSnsSubscriptionSucceeded.*to receive Bounce notifications/],
    ['constructed-message-as-object.json', /AmazonSnsSubscriptionSucceeded/],
  ])('%s is a control message: %s', (name, reason) => {
    const read = readSesFeedback(body(name));
    expect(read.kind).toBe('control');
    expect(read.kind === 'control' && read.reason).toMatch(reason);
  });

  it('reads feedback without a mail object or with an empty message id as unaddressed, with its recipients', () => {
    expect(readSesFeedback(body('listmonk-issue-1463-transient-5xx-no-mail.json'))).toMatchObject({
      kind: 'unaddressed',
      feedbackKind: 'bounce',
      reason: expect.stringContaining('names no SES message'),
    });
    expect(readSesFeedback(body('constructed-empty-message-id.json'))).toMatchObject({
      kind: 'unaddressed',
      feedbackKind: 'delivery',
      updates: [{ address: 'success@simulator.amazonses.com' }],
    });
    expect(readSesFeedback(body('notify-complaint-no-message-id.json'))).toMatchObject({ kind: 'unaddressed', feedbackKind: 'complaint' });
  });

  it('keeps a complaint without complainedRecipients about the only destination, and about nobody when there are several', () => {
    const complaint = (destination: string[]) =>
      JSON.stringify({
        notificationType: 'Complaint',
        complaint: { complaintSubType: 'OnAccountSuppressionList', timestamp: '2020-01-01T00:00:00Z' },
        mail: { messageId: 'm', destination },
      });
    expect(summary(readSesFeedback(complaint(['only@x.example'])))).toEqual(['complaint', 'm', ['only@x.example - suppress']]);
    expect(summary(readSesFeedback(complaint(['a@x.example', 'b@x.example'])))).toEqual(['complaint', 'm', []]);
  });
});

describe('what is no SES event stays an error', () => {
  it.each([
    ['not json', /not JSON/],
    ['[1, 2]', /not a JSON object/],
    ['{"eventType": "Teleport", "mail": {"messageId": "m"}}', /unknown event type 'Teleport'/],
    ['{"Type": "Notification", "TopicArn": "t", "Message": "{\\"hello\\": 1}"}', /no eventType or notificationType/],
    ['{"Type": "Notification", "TopicArn": "t", "Message": "{broken"}', /the SNS message is not JSON/],
    ['{"Type": "Notification", "TopicArn": "t", "Message": 42}', /not a JSON object/],
    ['{"Type": "Notice", "TopicArn": "t", "Message": "x"}', /an SNS message of type 'Notice'/],
    ['{"eventType": "Complaint", "mail": {"messageId": "m"}}', /a Complaint without its complaint object/],
    ['{"eventType": "DeliveryDelay", "mail": {"messageId": "m"}}', /a DeliveryDelay without its deliveryDelay object/],
    ['{"source": "aws.ses", "detail-type": "Email Teleported", "detail": {}}', /unknown SES EventBridge detail-type/],
    ['{"source": "aws.ses", "detail-type": "toString", "detail": {}}', /unknown SES EventBridge detail-type 'toString'/],
    ['{"eventType": "constructor", "mail": {"messageId": "m"}}', /unknown event type 'constructor'/],
    ['{"__proto__": {"eventType": "Bounce", "bounce": {"bounceType": "Permanent"}}, "mail": {"messageId": "m"}}', /no eventType or notificationType/],
  ])('%s', (input, error) => {
    expect(() => readSesFeedback(input)).toThrow(error);
  });

  it('reads hostile payloads in linear time and bounded depth', () => {
    // Arrange: deep nesting, a huge key, a huge timestamp and diagnostic, all under the size limit
    const deep = `${'{"a":'.repeat(40_000)}1${'}'.repeat(40_000)}`;
    const hugeKey = JSON.stringify({
      eventType: 'Bounce',
      [`${'Event_Type'.repeat(20_000)}`]: 1,
      mail: { messageId: 'm' },
      bounce: { bounceType: 'Permanent', bouncedRecipients: [] },
    });
    const hugeFields = JSON.stringify({
      eventType: 'Bounce',
      mail: { messageId: 'm', timestamp: `2020-01-01T00:00:00${'0'.repeat(100_000)}` },
      bounce: {
        bounceType: 'Transient',
        timestamp: '2'.repeat(50_000),
        bouncedRecipients: [{ emailAddress: `${'<'.repeat(20_000)}a@b.example`, diagnosticCode: '5.'.repeat(30_000) }],
      },
    });

    // Act
    const started = performance.now();
    expect(() => readSesFeedback(deep)).toThrow(/no eventType/);
    expect(readSesFeedback(hugeKey).kind).toBe('feedback');
    const read = readSesFeedback(hugeFields, { receivedAt: '2026-01-01T00:00:00.000Z' });
    const elapsed = performance.now() - started;

    // Assert
    expect(read).toMatchObject({ kind: 'feedback', feedback: { sentAt: null, at: '2026-01-01T00:00:00.000Z' } });
    expect(elapsed).toBeLessThan(1000);
    expect(() => readSesFeedback(`"${'x'.repeat(300_000)}"`)).toThrow(/larger than/);
  });

  it('takes the bare address out of a display form, and nothing out of a string without @', () => {
    expect(bareAddress('"Jane Doe" <Jane@Example.com>')).toBe('jane@example.com');
    expect(bareAddress(' JOE@x.example ')).toBe('joe@x.example');
    expect(bareAddress('no address')).toBeNull();
    expect(bareAddress(42)).toBeNull();
  });
});
