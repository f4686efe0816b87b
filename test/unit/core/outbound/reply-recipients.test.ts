import { describe, expect, it } from 'vitest';
import { HeaderInjectionError, ValidationError } from '../../../../functions/core/errors.ts';
import { MAX_RECIPIENTS, replyRecipients } from '../../../../functions/core/outbound/compose/reply-recipients.ts';
import { addr } from '../../../support/factories.ts';

const OWN = ['support@example.com', 'help@example.com'];
const answered = (o: { from?: string | null; replyTo?: string[]; sender?: string | null }) => ({
  from: o.from ? addr(o.from) : null,
  replyTo: (o.replyTo ?? []).map(addr),
  sender: o.sender ? addr(o.sender) : null,
});

describe('replyRecipients', () => {
  it('answers the Reply-To when there is one', () => {
    // Arrange
    const input = { answered: answered({ from: 'Jane <jane@customer.example>', replyTo: ['Team <team@customer.example>'] }), own: OWN };

    // Act
    const r = replyRecipients(input);

    // Assert
    expect(r.to).toEqual([{ address: 'team@customer.example', name: 'Team' }]);
    expect(r.source).toBe('reply-to');
  });

  it('answers From, not a Reply-To flagged reply-to-differs, unless the agent adds it', () => {
    // Arrange: a follow-up whose Reply-To the conversation never knew
    const flagged = { ...answered({ from: 'Jane <jane@customer.example>', replyTo: ['x@attacker.example'] }), tags: ['reply-to-differs'] };

    // Act
    const byDefault = replyRecipients({ answered: flagged, own: OWN });
    const chosen = replyRecipients({ answered: flagged, to: [{ address: 'x@attacker.example', name: '' }], own: OWN });

    // Assert
    expect(byDefault).toMatchObject({ source: 'from', to: [{ address: 'jane@customer.example', name: 'Jane' }] });
    expect(chosen.to.map((a) => a.address)).toEqual(['jane@customer.example', 'x@attacker.example']);
  });

  it('answers From without Reply-To, and Sender without a usable From', () => {
    expect(replyRecipients({ answered: answered({ from: 'jane@customer.example' }), own: OWN }).source).toBe('from');
    const r = replyRecipients({ answered: answered({ from: 'not an address', sender: 'Sec <sec@customer.example>' }), own: OWN });
    expect(r).toMatchObject({ source: 'sender', to: [{ address: 'sec@customer.example', name: 'Sec' }] });
    expect(r.dropped).toContain('unusable: "not an address"');
  });

  it('falls back to From when Reply-To names only us, and never writes to our own addresses', () => {
    const r = replyRecipients({
      answered: answered({ from: 'jane@customer.example', replyTo: ['support+abc@example.com'] }),
      cc: [
        { address: 'HELP@example.com', name: '' },
        { address: 'boss@customer.example', name: '' },
      ],
      own: OWN,
    });
    expect(r.to.map((a) => a.address)).toEqual(['jane@customer.example']);
    expect(r.cc.map((a) => a.address)).toEqual(['boss@customer.example']);
    expect(r.dropped).toContain('ours: help@example.com');
  });

  it('removes duplicates across To, Cc and Bcc case-insensitively, To first', () => {
    const r = replyRecipients({
      answered: answered({ from: 'Jane@Customer.example' }),
      cc: [
        { address: 'jane@customer.example', name: '' },
        { address: 'b@x.example', name: '' },
      ],
      bcc: [
        { address: 'B@x.example', name: '' },
        { address: 'c@x.example', name: '' },
      ],
      own: OWN,
    });
    expect([r.to, r.cc, r.bcc].map((l) => l.map((a) => a.address))).toEqual([['jane@customer.example'], ['b@x.example'], ['c@x.example']]);
  });

  it('drops a customer display name that poses as an address but keeps the address', () => {
    const r = replyRecipients({
      answered: { from: { address: 'jane@customer.example', name: 'ceo@bank.example <ceo@bank.example>' }, replyTo: [], sender: null },
      own: OWN,
    });
    expect(r.to).toEqual([{ address: 'jane@customer.example', name: '' }]);
  });

  it('refuses an unsafe Cc from the agent, naming the field', () => {
    // Act
    const error = (() => {
      try {
        replyRecipients({
          answered: answered({ from: 'jane@customer.example' }),
          cc: [{ address: 'x@y.example', name: 'A\r\nBcc: evil@attacker.example' }],
          own: OWN,
        });
      } catch (e) {
        return e;
      }
      return null;
    })();

    // Assert
    expect(error).toBeInstanceOf(HeaderInjectionError);
    expect((error as HeaderInjectionError).field).toBe('cc[0].name');
  });

  it('refuses more than 50 recipients and a mail with nobody to write to', () => {
    const many = Array.from({ length: MAX_RECIPIENTS }, (_, i) => ({ address: `p${i}@x.example`, name: '' }));
    expect(() => replyRecipients({ answered: answered({ from: 'jane@customer.example' }), bcc: many, own: OWN })).toThrow(
      /51 recipients; SES sends to at most 50/,
    );
    expect(() => replyRecipients({ answered: answered({ from: 'jane@customer.example' }), bcc: many.slice(1), own: OWN })).not.toThrow();
    expect(() => replyRecipients({ answered: answered({ from: 'support@example.com' }), own: OWN })).toThrow(ValidationError);
  });
});
