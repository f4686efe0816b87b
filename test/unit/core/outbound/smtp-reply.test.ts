import { describe, expect, it } from 'vitest';
import { classifySmtpReply, queueIdFromReply } from '../../../../functions/core/outbound/send/smtp-reply.ts';

describe('classifySmtpReply', () => {
  it.each([
    [550, '5.1.1 <a@b>: Recipient address rejected: User unknown', true, '5.1.1'],
    [552, 'Message size exceeds fixed limit', true, '5.3.4'],
    [554, '4.4.7 Message expired', true, '5.4.7'], // the reply code wins the class
    [451, '4.7.1 Greylisted, try again later', false, '4.7.1'],
    [421, 'Service not available, closing channel', false, '4.0.0'],
    [452, '4.3.1 Insufficient system storage', false, '4.3.1'],
    [503, '5.5.1 Error: need RCPT command', false, '5.5.1'], // echoes an earlier failure
  ])('%i %s → permanent %s, status %s', (code, text, permanent, status) => {
    expect(classifySmtpReply(code, text)).toEqual({ permanent, status });
  });
});

describe('queueIdFromReply', () => {
  it.each([
    ['250 2.0.0 Ok: queued as 4F2B81C0A2', '4F2B81C0A2'],
    ['250 2.6.0 <abc@EX.prod.outlook.com> [InternalId=1, Hostname=X] Queued mail for delivery', 'abc@EX.prod.outlook.com'],
    ['250 Ok 0102018c1a2b3c4d-1a2b3c4d-5e6f-4a5b-8c9d-0e1f2a3b4c5d-000000', '0102018c1a2b3c4d-1a2b3c4d-5e6f-4a5b-8c9d-0e1f2a3b4c5d-000000'],
    ['250 2.0.0 OK  1700000000 a1-20020a170902e80100b001c9b - gsmtp', 'a1-20020a170902e80100b001c9b'],
    ['250 OK id=1qXyZa-0001Ab-2C', '1qXyZa-0001Ab-2C'],
  ])('reads the id in %s', (reply, id) => {
    expect(queueIdFromReply(reply)).toBe(id);
  });

  it('returns null when the reply names no id', () => {
    expect(queueIdFromReply('250 OK: message queued')).toBeNull();
    expect(queueIdFromReply(null)).toBeNull();
  });
});
