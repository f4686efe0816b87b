import { describe, expect, it } from 'vitest';
import { aligned, authenticateSender } from '../../../../functions/core/mail/sender-authentication.ts';
import type { ReceiptVerdicts } from '../../../../functions/core/model/classification.ts';
import type { Header } from '../../../../functions/core/model/message.ts';
import { addr } from '../../../support/factories.ts';

const FROM = addr('Carla <carla@customer.example>');
const NO_DMARC: ReceiptVerdicts = { spfVerdict: 'FAIL', dkimVerdict: 'GRAY', dmarcVerdict: 'GRAY' };
const dkim = (d: string): Header => ({ name: 'dkim-signature', value: `v=1; a=rsa-sha256; c=relaxed/relaxed; d=${d}; s=s1; bh=x; b=y` });

describe('authenticateSender', () => {
  it('takes a DMARC pass as proof, whatever SPF and DKIM said', () => {
    // Act
    const result = authenticateSender({ from: FROM, headers: [], verdicts: { dmarcVerdict: 'PASS', spfVerdict: 'FAIL', dkimVerdict: 'FAIL' } });
    // Assert
    expect(result).toEqual({ authenticated: true, reason: 'dmarc=pass' });
  });

  it('refuses a DMARC failure even with an SPF pass for the same domain', () => {
    // Act
    const result = authenticateSender({
      from: FROM,
      headers: [],
      envelopeSender: 'carla@customer.example',
      verdicts: { dmarcVerdict: 'FAIL', spfVerdict: 'PASS', dmarcPolicy: 'NONE' },
    });
    // Assert
    expect(result).toEqual({ authenticated: false, reason: 'dmarc=fail' });
  });

  it('refuses the seen forgery: spf=FAIL, dmarc=GRAY, nothing signed', () => {
    // Act
    const result = authenticateSender({ from: FROM, headers: [], envelopeSender: 'x@attacker.example', verdicts: NO_DMARC });
    // Assert
    expect(result).toEqual({ authenticated: false, reason: 'dmarc=gray, spf=fail, dkim=gray: no pass aligned with customer.example' });
  });

  it.each([
    ['the From domain itself', 'bounce@customer.example', true],
    ['a subdomain of it (an ESP bounce domain)', 'b-123@bounces.customer.example', true],
    ['a bare top-level name', 'b@example', false],
    ['another domain', 'bounce@customer-example.com', false],
    ['a domain ending in the same letters', 'bounce@evilcustomer.example', false],
    ['the null sender', '', false],
  ])('takes an SPF pass without DMARC record only for an aligned envelope sender: %s', (_label, envelopeSender, expected) => {
    // Act
    const result = authenticateSender({ from: FROM, headers: [], envelopeSender, verdicts: { spfVerdict: 'PASS', dmarcVerdict: 'GRAY' } });
    // Assert
    expect(result.authenticated).toBe(expected);
  });

  it('takes a DKIM pass only when every signature names an aligned domain', () => {
    // Arrange
    const verdicts: ReceiptVerdicts = { spfVerdict: 'FAIL', dkimVerdict: 'PASS', dmarcVerdict: 'GRAY' };
    // Act
    const own = authenticateSender({ from: FROM, headers: [dkim('mail.customer.example')], verdicts });
    // A valid signature of the forger's domain beside a bogus one of the customer's: which one passed is unknown.
    const mixed = authenticateSender({ from: FROM, headers: [dkim('customer.example'), dkim('attacker.example')], verdicts });
    const unsigned = authenticateSender({ from: FROM, headers: [], verdicts });
    const unreadable = authenticateSender({ from: FROM, headers: [{ name: 'dkim-signature', value: 'v=1; s=x' }], verdicts });
    // Assert
    expect(own).toEqual({ authenticated: true, reason: 'dkim=pass aligned (mail.customer.example)' });
    expect(mixed.authenticated).toBe(false);
    expect(unsigned.authenticated).toBe(false);
    expect(unreadable.authenticated).toBe(false);
  });

  it('reads no more than eight signatures, and then counts none', () => {
    // Arrange
    const headers = Array.from({ length: 9 }, () => dkim('customer.example'));
    // Act
    const result = authenticateSender({ from: FROM, headers, verdicts: { dkimVerdict: 'PASS', dmarcVerdict: 'GRAY' } });
    // Assert
    expect(result.authenticated).toBe(false);
  });

  it('proves nothing for a mail without a From domain', () => {
    expect(authenticateSender({ from: null, headers: [], verdicts: { dmarcVerdict: 'PASS' } })).toEqual({ authenticated: false, reason: 'no From domain' });
    expect(authenticateSender({ from: addr('local-only'), headers: [], verdicts: { dmarcVerdict: 'PASS' } }).authenticated).toBe(false);
  });

  it('counts a mail no receiving side judged (a file fed to a tool, a dry run with only a spam verdict) as authenticated', () => {
    const judged = { authenticated: true, reason: 'no authentication verdicts (not judged)' };
    expect(authenticateSender({ from: FROM, headers: [], verdicts: undefined })).toEqual(judged);
    expect(authenticateSender({ from: FROM, headers: [], verdicts: { spamVerdict: 'PASS' } })).toEqual(judged);
  });

  it('counts one authentication verdict reported, the others missing, as no proof', () => {
    expect(authenticateSender({ from: FROM, headers: [], verdicts: { spfVerdict: 'GRAY' } })).toEqual({
      authenticated: false,
      reason: 'dmarc=none, spf=gray, dkim=none: no pass aligned with customer.example',
    });
  });

  it('counts checks SES did not run (DISABLED) as no proof', () => {
    const result = authenticateSender({ from: FROM, headers: [], verdicts: { spfVerdict: 'DISABLED', dkimVerdict: 'DISABLED', dmarcVerdict: 'DISABLED' } });
    expect(result.authenticated).toBe(false);
  });
});

describe('aligned', () => {
  it('aligns a domain with itself and with its subdomains either way, not with look-alikes', () => {
    expect(aligned('customer.example', 'customer.example')).toBe(true);
    expect(aligned('a.customer.example', 'customer.example')).toBe(true);
    expect(aligned('customer.example', 'a.customer.example')).toBe(true);
    expect(aligned('xcustomer.example', 'customer.example')).toBe(false);
    expect(aligned('a.customer.example', 'b.customer.example')).toBe(false);
  });
});
