import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostGuard } from '../../functions/adapters/outbound/host-guard.ts';
import { SmtpMailTransport } from '../../functions/adapters/outbound/smtp-mail-transport.ts';
import { type AppError, DependencyError, PolicyError, TransportError } from '../../functions/core/errors.ts';
import { SmtpTransportSettingsSchema, type SmtpTransportSettingsInput } from '../../functions/core/model/transport-settings.ts';
import { retryDecision } from '../../functions/core/outbound/send/retry-policy.ts';
import { SMTP_PASSWORD, SMTP_USER, TEST_TLS, startSmtp, type TestSmtp } from './outbound-peers.ts';

const RAW =
  'From: Support <support@example.com>\r\nTo: ann@example.org\r\nSubject: Your ticket [#1000001]\r\nMessage-ID: <m-1@postroom.example.com>\r\n\r\nHello Ann\r\n';
const ENVELOPE = { from: 'support@example.com', to: ['ann@example.org'] };
const SANDBOX = new HostGuard({ allow: { loopback: true } });

function transport(
  input: Partial<SmtpTransportSettingsInput> & { port: number },
  options: { guard?: HostGuard; password?: string; ca?: string | null } = {},
): SmtpMailTransport {
  const settings = SmtpTransportSettingsSchema.parse({
    host: 'localhost',
    security: 'starttls',
    auth: { type: 'password', user: SMTP_USER },
    timeouts: { connectMs: 2000, greetingMs: 2000, socketMs: 5000 },
    ...input,
  });
  return new SmtpMailTransport({
    channelId: 'support',
    settings,
    guard: options.guard ?? SANDBOX,
    credentials: { type: 'password', password: async () => options.password ?? SMTP_PASSWORD },
    ca: options.ca === null ? undefined : (options.ca ?? TEST_TLS.ca),
  });
}

const send = (t: SmtpMailTransport) => t.send(new TextEncoder().encode(RAW), ENVELOPE, { messageId: '<m-1@postroom.example.com>' });
const failure = (t: SmtpMailTransport) =>
  send(t).then(
    () => null,
    (e: unknown) => e as AppError,
  );

function expectNoSecret(error: unknown): void {
  const text = `${(error as Error).message} ${JSON.stringify(error)} ${String((error as Error).cause ?? '')}`;
  expect(text).not.toContain(SMTP_PASSWORD);
  expect(text).not.toContain(Buffer.from(SMTP_PASSWORD).toString('base64'));
  expect(text).not.toContain('Hello Ann');
}

describe('SmtpMailTransport over STARTTLS and implicit TLS', () => {
  let starttls: TestSmtp;
  let plainOnly: TestSmtp;
  let loginOnly: TestSmtp;
  let implicit: TestSmtp;
  beforeAll(async () => {
    [starttls, plainOnly, loginOnly, implicit] = await Promise.all([
      startSmtp({ security: 'starttls' }),
      startSmtp({ security: 'starttls', authMethods: ['PLAIN'] }),
      startSmtp({ security: 'starttls', authMethods: ['LOGIN'] }),
      startSmtp({ security: 'tls' }),
    ]);
  });
  afterAll(() => Promise.all([starttls, plainOnly, loginOnly, implicit].map((s) => s.close())));

  it('delivers the raw MIME with the envelope over STARTTLS, logged in with AUTH PLAIN', async () => {
    // Act
    const sent = await send(transport({ port: plainOnly.port }));
    // Assert
    expect(plainOnly.received).toEqual([{ from: 'support@example.com', to: ['ann@example.org'], raw: RAW, user: SMTP_USER, secure: true }]);
    expect(plainOnly.authMethodsSeen).toEqual(['PLAIN']);
    expect(sent).toEqual({
      messageIds: ['<m-1@postroom.example.com>'],
      providerMessageId: expect.stringMatching(/^Q1X[0-9A-F]{6}$/),
      response: expect.stringMatching(/^250 2\.0\.0 Ok: queued as Q1X/),
    });
  });

  it('logs in with AUTH LOGIN when that is what the server offers', async () => {
    await send(transport({ port: loginOnly.port }));
    expect(loginOnly.authMethodsSeen).toEqual(['LOGIN']);
    expect(loginOnly.received[0]?.secure).toBe(true);
  });

  it('delivers over implicit TLS, checking the certificate against the configured name', async () => {
    // Act
    await send(transport({ port: implicit.port, security: 'tls' }));
    await send(transport({ port: implicit.port, security: 'tls', host: '127.0.0.1' }));
    // Assert
    expect(implicit.received.map((m) => m.secure)).toEqual([true, true]);
  });

  it('refuses a certificate that does not verify, permanently, and sends nothing', async () => {
    // Act: the system CAs do not know the test CA.
    const error = await failure(transport({ port: starttls.port }, { ca: null }));
    // Assert
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code: 'transport-permanent', message: 'the TLS certificate of localhost does not verify; nothing was sent' });
    expect(starttls.received).toHaveLength(0);
  });

  it('connects to the address the guard vetted and checks the certificate against the configured name, not the IP', async () => {
    // Arrange: a name only our resolver knows; nodemailer resolving it itself would fail with ENOTFOUND.
    const pinned = new HostGuard({ allow: { loopback: true }, resolve: async () => [{ address: '127.0.0.1', family: 4 }] });
    // Act
    const error = await failure(transport({ port: starttls.port, host: 'smtp.customer.example' }, { guard: pinned }));
    // Assert: the test certificate is for localhost and 127.0.0.1, not for smtp.customer.example.
    expect(error).toMatchObject({
      code: 'transport-permanent',
      message: 'the TLS certificate of smtp.customer.example is not valid for this host name; nothing was sent',
    });
    expect(starttls.received).toHaveLength(0);
  });

  it('reports refused credentials as a credentials error without the password', async () => {
    // Act
    const error = await failure(transport({ port: starttls.port }, { password: 'wrong-password' }));
    // Assert
    expect(error).toBeInstanceOf(DependencyError);
    expect(error).toMatchObject({ code: 'credentials', retryable: false });
    expect(error?.message).toMatch(/^localhost refused the credentials of support@example\.com \(535/);
    expectNoSecret(error);
  });

  it('tests the connection for an admin without sending mail', async () => {
    // Act
    const check = await transport({ port: starttls.port }).verify();
    // Assert
    expect(check).toEqual({ host: 'localhost', address: '127.0.0.1', port: starttls.port });
    expect(starttls.received).toHaveLength(0);
  });
});

describe('Force TLS', () => {
  let noTls: TestSmtp;
  beforeAll(async () => {
    noTls = await startSmtp({ security: 'none' });
  });
  afterAll(() => noTls.close());

  it('fails against a server without STARTTLS with a clear, permanent error; nothing is sent', async () => {
    // Act
    const error = await failure(transport({ port: noTls.port }));
    // Assert
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({
      code: 'transport-permanent',
      status: '500',
      message: 'localhost does not offer STARTTLS and Force TLS is on; nothing was sent',
    });
    expect(retryDecision(error, 1, () => 0).retry).toBe(false);
    expect(noTls.received).toHaveLength(0);
    expect(noTls.authMethodsSeen).toHaveLength(0);
  });

  it('sends in clear only when Force TLS is off', async () => {
    await send(transport({ port: noTls.port, forceTls: false }));
    expect(noTls.received.map((m) => m.secure)).toEqual([false]);
  });

  it('fails when implicit TLS meets a plain server', async () => {
    const error = await failure(transport({ port: noTls.port, security: 'tls' }));
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({
      code: 'transport-permanent',
      message: 'localhost does not speak TLS 1.2 or later (or no TLS on this port); nothing was sent',
    });
  });
});

describe('permanent and transient refusals', () => {
  let rejecting: TestSmtp;
  let greylisting: TestSmtp;
  let closedPort: number;
  beforeAll(async () => {
    [rejecting, greylisting] = await Promise.all([
      startSmtp({ security: 'starttls', dataError: { code: 550, message: '5.7.1 Message rejected as spam' } }),
      startSmtp({ security: 'starttls', dataError: { code: 451, message: '4.7.1 Greylisted, try again in 5 minutes' } }),
    ]);
    const probe = createServer();
    await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
    closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((done) => probe.close(() => done()));
  });
  afterAll(() => Promise.all([rejecting.close(), greylisting.close()]));

  it('does not retry a 550 and records the status and the reply', async () => {
    // Act
    const error = await failure(transport({ port: rejecting.port }));
    // Assert
    expect(error).toMatchObject({ code: 'transport-permanent', status: '550', retryable: false });
    expect(error?.message).toBe('localhost answered to DATA: 550 5.7.1 Message rejected as spam');
    expect(retryDecision(error, 1, () => 0)).toEqual({ retry: false, reason: `transport-permanent: ${error?.message}` });
  });

  it('retries a 451 with backoff', async () => {
    // Act
    const error = await failure(transport({ port: greylisting.port }));
    // Assert
    expect(error).toMatchObject({ code: 'transport-transient', status: '451', retryable: true });
    expect(retryDecision(error, 1, () => 0)).toMatchObject({ retry: true, delayMs: 30_000 });
  });

  it('retries when the server cannot be reached', async () => {
    const error = await failure(transport({ port: closedPort }));
    expect(error).toMatchObject({ code: 'transport-transient', retryable: true });
    expect(error?.message).toMatch(/^cannot reach localhost \((ECONNECTION|ESOCKET)\/ECONNREFUSED\)$/);
  });
});

describe('SSRF guard on the SMTP host', () => {
  let server: TestSmtp;
  beforeAll(async () => {
    server = await startSmtp({ security: 'starttls' });
  });
  afterAll(() => server.close());

  it.each(['localhost', '127.0.0.1', '[::1]', '10.0.0.1', '169.254.169.254', 'fc00::1'])(
    'refuses %s without the loopback allowance and connects nowhere',
    async (host) => {
      // Act
      const error = await failure(transport({ port: server.port, host }, { guard: new HostGuard() }));
      // Assert
      expect(error).toBeInstanceOf(PolicyError);
      expect(error?.code).toBe('blocked-host');
      expect(server.received).toHaveLength(0);
      expect(server.authMethodsSeen).toHaveLength(0);
    },
  );
});
