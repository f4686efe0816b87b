import { describe, expect, it } from 'vitest';
import { isConnectFailure, translateSmtpError } from '../../../../functions/adapters/outbound/smtp-errors.ts';
import { DependencyError, PolicyError, TransportError } from '../../../../functions/core/errors.ts';

const ctx = { host: 'smtp.example.com', forceTls: true, user: 'support@example.com' };
const nm = (fields: Record<string, unknown>): Error => Object.assign(new Error(String(fields.message ?? 'x')), fields);

describe('translateSmtpError', () => {
  it.each([
    [{ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 <ann@example.org>: user unknown', command: 'RCPT TO' }, 'transport-permanent', '550'],
    [{ code: 'EMESSAGE', responseCode: 552, response: '552 5.3.4 Message too big', command: 'DATA' }, 'transport-permanent', '552'],
    [{ code: 'EENVELOPE', responseCode: 451, response: '451 4.7.1 Greylisted', command: 'RCPT TO' }, 'transport-transient', '451'],
    [{ code: 'EMESSAGE', responseCode: 503, response: '503 5.5.1 need RCPT', command: 'DATA' }, 'transport-transient', '503'],
    [{ code: 'ECONNECTION', responseCode: 421, response: '421 4.3.2 shutting down', command: 'CONN' }, 'transport-transient', '421'],
    [{ code: 'ETIMEDOUT', command: 'CONN', message: 'Timeout' }, 'transport-transient', null],
    [{ code: 'ESOCKET', originalCode: 'ECONNRESET', command: 'CONN', message: 'read ECONNRESET' }, 'transport-transient', null],
    [{ code: 'EDNS', command: 'CONN', message: 'queryA ETIMEOUT' }, 'transport-transient', null],
    [{ code: 'EWHATEVER', message: 'something new' }, 'transport-transient', null],
  ])('%j → %s %s', (fields, code, status) => {
    // Act
    const error = translateSmtpError(nm(fields), ctx);
    // Assert
    expect(error).toBeInstanceOf(TransportError);
    expect(error.code).toBe(code);
    expect((error as TransportError).status).toBe(status);
  });

  it('names the STARTTLS refusal under Force TLS', () => {
    const error = translateSmtpError(nm({ code: 'ETLS', command: 'STARTTLS', response: '502 5.5.1 Unrecognized command' }), ctx);
    expect(error).toMatchObject({
      code: 'transport-permanent',
      status: '502',
      message: 'smtp.example.com does not offer STARTTLS and Force TLS is on; nothing was sent',
    });
  });

  it('tells a certificate for another name from one that does not verify', () => {
    const altname = translateSmtpError(
      nm({ code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID', command: 'CONN', message: "Hostname/IP does not match certificate's altnames" }),
      ctx,
    );
    const unknownCa = translateSmtpError(
      nm({ code: 'ETLS', command: 'STARTTLS', message: 'Error initiating TLS - self-signed certificate in certificate chain' }),
      ctx,
    );
    expect(altname.message).toBe('the TLS certificate of smtp.example.com is not valid for this host name; nothing was sent');
    expect(unknownCa).toMatchObject({ code: 'transport-permanent', message: 'the TLS certificate of smtp.example.com does not verify; nothing was sent' });
    expect(isConnectFailure(nm({ code: 'ESOCKET', originalCode: 'ERR_TLS_CERT_ALTNAME_INVALID', command: 'CONN' }))).toBe(false);
    expect(isConnectFailure(nm({ code: 'ESOCKET', originalCode: 'ECONNREFUSED', command: 'CONN' }))).toBe(true);
  });

  it('turns EAUTH into a credentials error and keeps our own errors as they are', () => {
    const auth = translateSmtpError(nm({ code: 'EAUTH', response: '535 5.7.8 Authentication credentials invalid', command: 'AUTH PLAIN' }), ctx);
    const blocked = new PolicyError('blocked-host', 'no');
    expect(auth).toBeInstanceOf(DependencyError);
    expect(auth.message).toBe('smtp.example.com refused the credentials of support@example.com (535 5.7.8 Authentication credentials invalid)');
    expect(translateSmtpError(blocked, ctx)).toBe(blocked);
  });
});
