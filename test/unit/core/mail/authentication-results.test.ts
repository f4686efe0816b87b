import { describe, expect, it } from 'vitest';
import { mailboxVerdicts } from '../../../../functions/core/mail/authentication-results.ts';
import type { Header } from '../../../../functions/core/model/message.ts';

const header = (value: string): Header => ({ name: 'authentication-results', value });

describe('verdicts of mailbox mail from the provider’s Authentication-Results', () => {
  it('believes no header unless the source names whose it is: a server that writes none leaves the sender’s on top', () => {
    const forged = [header('mx.provider.example; spf=pass smtp.mailfrom=customer.example; dmarc=pass header.from=customer.example')];
    const gray = { spfVerdict: 'GRAY', dkimVerdict: 'GRAY', dmarcVerdict: 'GRAY' };

    expect(mailboxVerdicts(forged, null).verdicts).toEqual(gray);
    expect(mailboxVerdicts(forged, 'mx.google.com').verdicts).toEqual(gray);
    expect(mailboxVerdicts(forged, 'MX.Provider.example').verdicts).toMatchObject({ spfVerdict: 'PASS', dmarcVerdict: 'PASS' });
    // Microsoft 365's header starts with a result, not an id: only `*` believes it.
    expect(mailboxVerdicts([header('spf=pass smtp.mailfrom=customer.example; dmarc=pass header.from=customer.example')], 'mx.google.com').verdicts).toEqual(
      gray,
    );
  });

  it('reads Microsoft 365’s header, with the envelope sender SPF checked', () => {
    const out = mailboxVerdicts(
      [
        header(
          'spf=pass (sender IP is 203.0.113.9) smtp.mailfrom=customer.example; dkim=pass (signature was verified) header.d=customer.example;dmarc=pass action=none header.from=customer.example;compauth=pass reason=100',
        ),
      ],
      '*',
    );
    expect(out).toEqual({ verdicts: { spfVerdict: 'PASS', dkimVerdict: 'PASS', dmarcVerdict: 'PASS' }, envelopeSender: 'postmaster@customer.example' });
  });

  it('reads Gmail’s header after its authserv-id', () => {
    const out = mailboxVerdicts(
      [
        header(
          'mx.google.com; dkim=pass header.i=@customer.example header.s=s1 header.b=abc; spf=softfail (google.com: domain of transitioning bounce@customer.example does not designate 198.51.100.7 as permitted sender) smtp.mailfrom=bounce@customer.example; dmarc=fail (p=REJECT sp=REJECT dis=QUARANTINE) header.from=customer.example',
        ),
      ],
      'mx.google.com',
    );
    expect(out).toEqual({ verdicts: { spfVerdict: 'FAIL', dkimVerdict: 'PASS', dmarcVerdict: 'FAIL' }, envelopeSender: 'bounce@customer.example' });
  });

  it('believes only the topmost header: one the sender wrote sits below the provider’s', () => {
    const out = mailboxVerdicts(
      [
        header('mx.provider.example; spf=fail smtp.mailfrom=forger.example; dkim=none; dmarc=fail'),
        header('mx.provider.example; spf=pass; dkim=pass; dmarc=pass'),
      ],
      'mx.provider.example',
    );
    expect(out.verdicts).toEqual({ spfVerdict: 'FAIL', dkimVerdict: 'GRAY', dmarcVerdict: 'FAIL' });
  });

  it('does not let a comment fake a result, and counts nothing as proven without a header', () => {
    expect(mailboxVerdicts([header('mx.provider.example; spf=none (dmarc=pass) smtp.mailfrom=x.example')], '*').verdicts).toEqual({
      spfVerdict: 'GRAY',
      dkimVerdict: 'GRAY',
      dmarcVerdict: 'GRAY',
    });
    expect(mailboxVerdicts([], '*').verdicts).toEqual({ spfVerdict: 'GRAY', dkimVerdict: 'GRAY', dmarcVerdict: 'GRAY' });
  });

  it('takes any DKIM pass as a pass and reports temporary errors as processing failures', () => {
    const out = mailboxVerdicts(
      [header('mx.example; dkim=fail header.d=a.example; dkim=pass header.d=customer.example; spf=temperror; dmarc=permerror')],
      'mx.example',
    );
    expect(out.verdicts).toEqual({ spfVerdict: 'PROCESSING_FAILED', dkimVerdict: 'PASS', dmarcVerdict: 'PROCESSING_FAILED' });
  });
});
