import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { createHash } from 'node:crypto';

/**
 * SES's mailbox simulator, for the sandbox: aws-ses-v2-local publishes no events, so a send to a
 * simulator address gets the events SES would publish, wrapped as SNS delivers them into SQS,
 * ready for the real `feedback-process` handler.
 * https://docs.aws.amazon.com/ses/latest/dg/send-an-email-from-console.html#send-email-simulator
 * - `success@` → Delivery.
 * - `bounce@` → a permanent Bounce, `550 5.1.1 user unknown`.
 * - `ooto@` → Delivery; the recipient's server then answers with an out-of-the-office reply to the
 *   sender, returned here as raw mail for the sandbox's SMTP ingress.
 * - `complaint@` → Delivery, then a Complaint (feedback type `abuse`).
 * - `suppressionlist@` → a permanent Bounce, sub-type `OnAccountSuppressionList` (SES does not try).
 * A `+label` is allowed (`bounce+x@simulator.amazonses.com`); other addresses get no events.
 */
export const SIMULATOR_DOMAIN = 'simulator.amazonses.com';

export interface SimulatedSend {
  readonly sesMessageId: string;
  /** The From (and MAIL FROM) of the send, `Name <address>` or a bare address. */
  readonly source: string;
  /** Every envelope recipient (To, Cc, Bcc). */
  readonly destinations: readonly string[];
  /** Our Message-ID, with or without angle brackets. */
  readonly messageId: string;
  readonly subject: string;
  readonly sentAt: Date;
}

export interface SimulatorOptions {
  readonly region?: string;
  readonly accountId?: string;
  readonly configurationSet?: string;
  /** A new unique id (SNS and SQS message ids, feedback ids). */
  readonly newId: () => string;
}

export interface SimulatedFeedback {
  /** The SQS event the feedback queue would hand to the function: one record per SES event. */
  readonly event: SQSEvent;
  /** Mail the recipient's server sends back (the `ooto@` vacation reply), as raw RFC 5322 text. */
  readonly autoReplies: readonly { readonly from: string; readonly to: string; readonly raw: string }[];
}

type Behaviour = 'success' | 'bounce' | 'ooto' | 'complaint' | 'suppressionlist';
const BEHAVIOURS = new Set<string>(['success', 'bounce', 'ooto', 'complaint', 'suppressionlist']);

/** The simulator behaviour of an address, or null for an address outside the simulator. */
export function simulatorBehaviour(address: string): Behaviour | null {
  const [local = '', domain = ''] = address.trim().toLowerCase().split('@');
  const base = local.split('+')[0] ?? '';
  return domain === SIMULATOR_DOMAIN && BEHAVIOURS.has(base) ? (base as Behaviour) : null;
}

/** The SES events (as SNS-in-SQS records) and auto replies a send to simulator addresses produces. */
export function simulateSesFeedback(send: SimulatedSend, options: SimulatorOptions): SimulatedFeedback {
  const region = options.region ?? 'us-east-1';
  const account = options.accountId ?? '000000000000';
  const mail = mailObject(send, region, account, options.configurationSet ?? 'postroom');
  const at = (ms: number) => new Date(send.sentAt.getTime() + ms).toISOString();
  const records: Record<string, unknown>[] = [];
  const autoReplies: { from: string; to: string; raw: string }[] = [];
  for (const recipient of send.destinations) {
    const address = recipient.trim().toLowerCase();
    const behaviour = simulatorBehaviour(address);
    if (behaviour === null) continue;
    const delivery = {
      eventType: 'Delivery',
      mail,
      delivery: {
        timestamp: at(1000),
        processingTimeMillis: 1000,
        recipients: [address],
        smtpResponse: '250 2.6.0 Message received',
        reportingMTA: `a1-1.smtp-out.${region}.amazonses.com`,
      },
    };
    if (behaviour === 'bounce' || behaviour === 'suppressionlist') {
      const suppressed = behaviour === 'suppressionlist';
      const diagnosticCode = suppressed
        ? 'Amazon SES did not send the message to this address because it is on the suppression list for your account.'
        : 'smtp; 550 5.1.1 user unknown';
      records.push({
        eventType: 'Bounce',
        mail,
        bounce: {
          bounceType: 'Permanent',
          bounceSubType: suppressed ? 'OnAccountSuppressionList' : 'General',
          bouncedRecipients: [{ emailAddress: address, action: 'failed', status: '5.1.1', diagnosticCode }],
          timestamp: at(2000),
          feedbackId: `${send.sesMessageId}-bounce-${options.newId()}`,
          reportingMTA: suppressed ? 'dns; amazonses.com' : `dsn; ${SIMULATOR_DOMAIN}`,
        },
      });
      continue;
    }
    records.push(delivery);
    if (behaviour === 'complaint') {
      records.push({
        eventType: 'Complaint',
        mail,
        complaint: {
          feedbackId: `${send.sesMessageId}-complaint-${options.newId()}`,
          complaintSubType: null,
          complainedRecipients: [{ emailAddress: address }],
          timestamp: at(60_000),
          userAgent: 'Amazon SES Mailbox Simulator',
          complaintFeedbackType: 'abuse',
          arrivalDate: at(59_000),
        },
      });
    }
    if (behaviour === 'ooto') autoReplies.push(outOfOffice(send, address, at(2000), options.newId()));
  }
  return { event: { Records: records.map((r) => sqsRecord(r, region, account, options.newId, at(3000))) }, autoReplies };
}

function mailObject(send: SimulatedSend, region: string, account: string, configurationSet: string): Record<string, unknown> {
  const messageId = `<${send.messageId.replace(/^<|>$/g, '')}>`;
  const fromAddress = /<([^>]+)>/.exec(send.source)?.[1] ?? send.source;
  return {
    timestamp: send.sentAt.toISOString(),
    source: send.source,
    sourceArn: `arn:aws:ses:${region}:${account}:identity/${fromAddress.split('@')[1] ?? fromAddress}`,
    sendingAccountId: account,
    messageId: send.sesMessageId,
    destination: [...send.destinations],
    headersTruncated: false,
    headers: [
      { name: 'From', value: send.source },
      { name: 'To', value: send.destinations.join(', ') },
      { name: 'Subject', value: send.subject },
      { name: 'Message-ID', value: messageId },
    ],
    commonHeaders: { from: [send.source], to: [...send.destinations], messageId, subject: send.subject },
    tags: { 'ses:configuration-set': [configurationSet], 'ses:from-domain': [fromAddress.split('@')[1] ?? ''] },
  };
}

function sqsRecord(sesRecord: Record<string, unknown>, region: string, account: string, newId: () => string, at: string): SQSRecord {
  const envelope = {
    Type: 'Notification',
    MessageId: newId(),
    TopicArn: `arn:aws:sns:${region}:${account}:postroom-ses-events`,
    Message: JSON.stringify(sesRecord),
    Timestamp: at,
    SignatureVersion: '1',
    Signature: 'SANDBOX',
    SigningCertURL: `https://sns.${region}.amazonaws.com/SimpleNotificationService-sandbox.pem`,
    UnsubscribeURL: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe`,
  };
  const body = JSON.stringify(envelope);
  const sent = String(Date.parse(at));
  return {
    messageId: newId(),
    receiptHandle: `sandbox-${newId()}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: sent, SenderId: 'AIDASANDBOX', ApproximateFirstReceiveTimestamp: sent },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${region}:${account}:postroom-feedback`,
    awsRegion: region,
  };
}

function outOfOffice(send: SimulatedSend, from: string, date: string, id: string): { from: string; to: string; raw: string } {
  const to = /<([^>]+)>/.exec(send.source)?.[1] ?? send.source;
  const original = `<${send.messageId.replace(/^<|>$/g, '')}>`;
  const subject = `Out of the office: ${send.subject}`.replace(/[\r\n]+/g, ' ');
  const raw = [
    `From: ${from}`,
    `To: ${to}`,
    `Subject: ${subject}`,
    `Date: ${new Date(date).toUTCString()}`,
    `Message-ID: <ooto-${id}@${SIMULATOR_DOMAIN}>`,
    `In-Reply-To: ${original}`,
    `References: ${original}`,
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'I am out of the office and will read your message when I return.',
    '',
  ].join('\r\n');
  return { from, to, raw };
}
