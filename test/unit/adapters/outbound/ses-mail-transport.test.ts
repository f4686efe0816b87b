import { SESv2Client, SESv2ServiceException, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { rewriteMessageIdHeader } from '../../../../functions/adapters/outbound/rewrite-message-id.ts';
import { SesMailTransport, sesMessageIdDomain } from '../../../../functions/adapters/outbound/ses-mail-transport.ts';
import { DependencyError, TransportError } from '../../../../functions/core/errors.ts';

const ses = mockClient(SESv2Client);
const raw = new TextEncoder().encode('From: a@example.com\r\nMessage-ID: <our-1@example.com>\r\nSubject: x\r\n\r\nbody\r\n');
const envelope = { from: 'support@example.com', to: ['jane@customer.example', 'hidden@customer.example'] };

function sesError(name: string, status: number, fault: 'client' | 'server' = status >= 500 ? 'server' : 'client'): SESv2ServiceException {
  return new SESv2ServiceException({ name, $fault: fault, message: 'the service said no', $metadata: { httpStatusCode: status } });
}

beforeEach(() => ses.reset());

describe('SesMailTransport', () => {
  it('sends raw content to every envelope recipient with the channel configuration set', async () => {
    // Arrange
    ses.on(SendEmailCommand).resolves({ MessageId: '0102abc-000000' });
    const transport = new SesMailTransport(new SESv2Client({ region: 'eu-west-1' }), { configurationSet: 'postroom-support' });

    // Act
    const sent = await transport.send(raw, envelope, { messageId: 'our-1@example.com' });

    // Assert
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input).toEqual({
      FromEmailAddress: 'support@example.com',
      Destination: { ToAddresses: ['jane@customer.example', 'hidden@customer.example'] },
      Content: { Raw: { Data: raw } },
      ConfigurationSetName: 'postroom-support',
    });
    expect(sent).toEqual({
      providerMessageId: '0102abc-000000',
      messageIds: ['<our-1@example.com>', '<0102abc-000000@eu-west-1.amazonses.com>'],
      response: 'accepted as 0102abc-000000',
    });
  });

  it('qualifies the SES id with email.amazonses.com in us-east-1, and reports only ours without the rewrite', async () => {
    ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
    const east = await new SesMailTransport(new SESv2Client({ region: 'us-east-1' })).send(raw, envelope, { messageId: '<our-1@example.com>' });
    const kept = await new SesMailTransport(new SESv2Client({ region: 'eu-west-1' }), { rewriteMessageId: false }).send(raw, envelope, {
      messageId: 'our-1@example.com',
    });
    expect(east.messageIds).toEqual(['<our-1@example.com>', '<m-1@email.amazonses.com>']);
    expect(kept.messageIds).toEqual(['<our-1@example.com>']);
    expect(ses.commandCalls(SendEmailCommand)[0]?.args[0].input.ConfigurationSetName).toBeUndefined();
    expect(sesMessageIdDomain('ap-southeast-2')).toBe('ap-southeast-2.amazonses.com');
  });

  it.each([
    ['TooManyRequestsException', 429, false],
    ['ThrottlingException', 400, false],
    ['LimitExceededException', 400, false],
    ['InternalFailure', 500, false],
    ['ServiceUnavailable', 503, false],
    ['MessageRejected', 400, true],
    ['MailFromDomainNotVerifiedException', 400, true],
    ['AccountSuspendedException', 400, true],
    ['SendingPausedException', 400, true],
    ['NotFoundException', 404, true],
    ['BadRequestException', 400, true],
    ['SomethingNewException', 400, true],
  ])('translates %s (%i) into a TransportError, permanent: %s', async (name, status, permanent) => {
    // Arrange
    ses.on(SendEmailCommand).rejects(sesError(name, status));
    const transport = new SesMailTransport(new SESv2Client({ region: 'eu-west-1' }));

    // Act
    const error = await transport.send(raw, envelope, { messageId: 'x@y' }).catch((e: unknown) => e);

    // Assert
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe(permanent ? 'transport-permanent' : 'transport-transient');
    expect((error as TransportError).retryable).toBe(!permanent);
    expect((error as TransportError).status).toBe(String(status));
    expect((error as TransportError).name).toBe('TransportError');
    expect((error as TransportError).message).toMatch(/: the service said no$/);
    expect((error as TransportError).cause).toBeInstanceOf(SESv2ServiceException);
  });

  it('treats a network failure as transient and refused credentials as a credentials error', async () => {
    ses.on(SendEmailCommand).rejects(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'Error' }));
    const network = await new SesMailTransport(new SESv2Client({ region: 'eu-west-1' })).send(raw, envelope, { messageId: 'x@y' }).catch((e: unknown) => e);
    expect(network).toMatchObject({ code: 'transport-transient', status: null });
    ses.on(SendEmailCommand).rejects(sesError('AccessDeniedException', 403));
    const denied = await new SesMailTransport(new SESv2Client({ region: 'eu-west-1' })).send(raw, envelope, { messageId: 'x@y' }).catch((e: unknown) => e);
    expect(denied).toBeInstanceOf(DependencyError);
    expect(denied).toMatchObject({ code: 'credentials', retryable: false });
  });
});

describe('rewriteMessageIdHeader', () => {
  it('replaces the Message-ID, folded lines included, and keeps every other byte', () => {
    // Arrange
    const folded = Buffer.concat([
      Buffer.from('From: a@example.com\r\nMessage-Id:\r\n <our-1@example.com>\r\nSubject: x\r\n\r\nMessage-ID: <in-body@x>\r\n'),
      Buffer.from([0xe9, 0xff]),
    ]);

    // Act
    const out = Buffer.from(rewriteMessageIdHeader(folded, 'ses-1@eu-west-1.amazonses.com'));

    // Assert
    expect(out.toString('latin1')).toBe(
      `From: a@example.com\r\nMessage-ID: <ses-1@eu-west-1.amazonses.com>\r\nSubject: x\r\n\r\nMessage-ID: <in-body@x>\r\n${Buffer.from([0xe9, 0xff]).toString('latin1')}`,
    );
  });

  it('adds a Message-ID to a message without one', () => {
    const out = Buffer.from(rewriteMessageIdHeader(new TextEncoder().encode('Subject: x\n\nbody'), '<n@x>')).toString();
    expect(out).toBe('Message-ID: <n@x>\nSubject: x\n\nbody');
  });
});
