import { describe, expect, it } from 'vitest';
import { HeaderInjectionError, PolicyError, ValidationError } from '../../../../functions/core/errors.ts';
import { formatTicketNumber } from '../../../../functions/core/mail/ticket-number.ts';
import { OutboundMailSchema, mailEnvelope } from '../../../../functions/core/model/outbound-mail.ts';
import { OutboundSettingsSchema, type OutboundSettingsInput } from '../../../../functions/core/model/outbound-settings.ts';
import { planReply, type PlanReplyInput } from '../../../../functions/core/outbound/compose/plan-reply.ts';
import { DEFAULT_TEMPLATE } from '../../../../functions/core/outbound/compose/render-template.ts';
import { agentReply } from '../../../support/agent-reply.ts';
import { addr, channelSettings, parsedMessage } from '../../../support/factories.ts';

const ticket = formatTicketNumber(1, channelSettings().ticket);

function counter() {
  let n = 0;
  return { next: () => `id-${++n}` };
}

function input(overrides: Partial<PlanReplyInput> = {}, outbound: OutboundSettingsInput = {}): PlanReplyInput {
  return {
    channel: channelSettings({ name: 'ACME Support', aliases: ['help@example.com'] }),
    outbound: OutboundSettingsSchema.parse({ allowedFrom: [{ address: 'billing@example.com', name: 'ACME Billing' }], ...outbound }),
    conversation: { id: 'conv-1', ticketNumber: ticket, replyToken: 'tok123' },
    answered: parsedMessage({ subject: 'AW: Printer broken', messageId: 'c2@customer.example', references: ['c1@customer.example'] }),
    reply: agentReply({ agentId: 'agent-7', agentName: 'Max', text: 'We are on it.', cc: [{ address: 'boss@customer.example', name: '' }] }),
    ...overrides,
  };
}

function error(e: unknown): unknown {
  expect(e).toBeInstanceOf(ValidationError);
  return (e as ValidationError).issues;
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return null;
}

describe('planReply', () => {
  it('plans a threaded, ticketed reply from the channel address with a reply-token Reply-To', () => {
    // Act
    const { mail, recipientsFrom } = planReply({ ids: counter() }, input());

    // Assert
    expect(OutboundMailSchema.parse(mail)).toEqual(mail);
    expect(mail).toMatchObject({
      kind: 'reply',
      channelId: 'support',
      conversationId: 'conv-1',
      agentId: 'agent-7',
      from: { address: 'support@example.com', name: 'ACME Support' },
      replyTo: { address: 'support+tok123@example.com', name: 'ACME Support' },
      to: [{ address: 'customer@customer.example', name: 'Customer' }],
      cc: [{ address: 'boss@customer.example', name: '' }],
      bcc: [],
      subject: `Re: Printer broken [#${ticket}]`,
      messageId: 'id-1@example.com',
      inReplyTo: 'c2@customer.example',
      references: ['c1@customer.example', 'id-1@example.com', 'c2@customer.example'],
      transport: { kind: 'ses', configurationSet: null },
    });
    expect(mail.content).toMatchObject({
      text: 'We are on it.',
      html: null,
      signature: null,
      template: DEFAULT_TEMPLATE,
      textTemplate: null,
      ticketNumber: ticket,
      agentName: 'Max',
      channelName: 'ACME Support',
    });
    expect(recipientsFrom).toBe('from');
    expect(mailEnvelope(mail)).toEqual({ from: 'support@example.com', to: ['customer@customer.example', 'boss@customer.example'] });
  });

  it('sends as an allowed From address with its display name', () => {
    const { mail } = planReply({ ids: counter() }, input({ reply: agentReply({ agentId: 'a', text: 'x', from: 'Billing@example.com' }) }));
    expect(mail.from).toEqual({ address: 'billing@example.com', name: 'ACME Billing' });
  });

  it('refuses a From address the channel does not allow', () => {
    const error = thrown(() => planReply({ ids: counter() }, input({ reply: agentReply({ agentId: 'a', text: 'x', from: 'ceo@example.com' }) })));
    expect(error).toBeInstanceOf(PolicyError);
    expect((error as PolicyError).code).toBe('policy');
    expect((error as PolicyError).message).toMatch(/ceo@example.com is not an allowed From address of channel support/);
  });

  it('without reply tokens, Reply-To points at the channel only when From is not a receiving address', () => {
    const noTokens = { channel: channelSettings({ replyToken: false }), conversation: { id: 'c', ticketNumber: ticket, replyToken: null } };
    expect(planReply({ ids: counter() }, input(noTokens)).mail.replyTo).toBeNull();
    const billing = planReply({ ids: counter() }, input({ ...noTokens, reply: agentReply({ agentId: 'a', text: 'x', from: 'billing@example.com' }) }));
    expect(billing.mail.replyTo).toEqual({ address: 'support@example.com', name: 'ACME Billing' });
  });

  it('carries the agent HTML, signature, attachments, extra headers and the channel template and configuration set', () => {
    // Arrange
    const template = { html: '<div>{{body}}{{signature}}</div>', text: '{{body}}\n{{signature}}' };
    const reply = agentReply({
      agentId: 'a',
      text: null,
      html: '<p>Hi</p>',
      signature: { html: '<b>Max</b>', text: ' ' },
      template,
      attachments: [
        { source: 's3' as const, key: 'up/1', filename: 'invoice.pdf', contentType: 'application/pdf' },
        { source: 'inbound' as const, rawKey: 'raw/1', partIndex: 0 },
      ],
    });

    // Act
    const headers = [{ name: 'Auto-Submitted', value: 'auto-replied' }];
    const { mail } = planReply({ ids: counter() }, input({ reply, headers }, { outbound: { configurationSet: 'postroom-support' } }));

    // Assert
    expect(mail.content).toMatchObject({
      text: null,
      html: '<p>Hi</p>',
      signature: { text: null, html: '<b>Max</b>' },
      template: template.html,
      textTemplate: template.text,
    });
    expect(mail.attachments).toHaveLength(2);
    expect(mail.headers).toEqual([{ name: 'Auto-Submitted', value: 'auto-replied' }]);
    expect(mail.transport).toEqual({ kind: 'ses', configurationSet: 'postroom-support' });
  });

  it('adds our earlier sent ids to References', () => {
    const { mail } = planReply({ ids: counter() }, input({ previousSentIds: ['<ses-1@eu-west-1.amazonses.com>'] }));
    expect(mail.references).toEqual(['c1@customer.example', 'ses-1@eu-west-1.amazonses.com', 'id-1@example.com', 'c2@customer.example']);
  });

  it.each([
    ['a CRLF in a Cc name', agentReply({ cc: [{ address: 'a@x.example', name: 'A\r\nBcc: e@evil.example' }] }), 'cc[0].name'],
    ['a list in a Bcc address', agentReply({ bcc: [{ address: 'a@x.example, e@evil.example', name: '' }] }), 'bcc[0].address'],
    [
      'a LF in an attachment filename',
      agentReply({ attachments: [{ source: 's3', key: 'k', filename: 'a\nContent-Type: text/html', contentType: 'text/plain' }] }),
      'attachments[0].filename',
    ],
  ])('refuses %s with a HeaderInjectionError naming the field (defence behind the request schema)', (_name, reply, field) => {
    const error = thrown(() => planReply({ ids: counter() }, input({ reply })));
    expect(error).toBeInstanceOf(HeaderInjectionError);
    expect((error as HeaderInjectionError).field).toBe(field);
  });

  it('refuses an unsafe display name in the channel settings and an unsafe extra header', () => {
    // The settings schema refuses it on write; a value stored before that must still never reach a header.
    const stored = input();
    const unsafe = { ...stored, outbound: { ...stored.outbound, displayName: 'ACME\r\nBcc: x@y.example' } };
    expect(thrown(() => planReply({ ids: counter() }, unsafe))).toBeInstanceOf(HeaderInjectionError);
    expect(thrown(() => planReply({ ids: counter() }, input({ headers: [{ name: 'X-Note', value: 'a\r\nBcc: x@y.example' }] })))).toBeInstanceOf(
      HeaderInjectionError,
    );
  });

  it('refuses an unusable template or text variant with a ValidationError naming the field', () => {
    const html = thrown(() => planReply({ ids: counter() }, input({ reply: agentReply({ template: { html: '<p>{{content}}</p>', text: null } }) })));
    const text = thrown(() => planReply({ ids: counter() }, input({ reply: agentReply({ template: { html: '{{body}}', text: '{{signature}}' } }) })));
    expect(error(html)).toEqual([
      { path: 'html', message: expect.stringMatching(/^unknown placeholder \{\{content\}\}; known: \{\{body\}\}/) },
      { path: 'html', message: 'the template has no {{body}} placeholder' },
    ]);
    expect(error(text)).toEqual([{ path: 'text', message: 'the template has no {{body}} placeholder' }]);
  });

  it('answers the Reply-To of the customer and neutralises a hostile customer subject', () => {
    const answered = parsedMessage({ subject: 'Re: Help\r\nBcc: evil@attacker.example', replyTo: [addr('Team <team@customer.example>')] });
    const { mail, recipientsFrom } = planReply({ ids: counter() }, input({ answered }));
    expect(mail.subject).toBe(`Re: Help Bcc: evil@attacker.example [#${ticket}]`);
    expect(mail.to).toEqual([{ address: 'team@customer.example', name: 'Team' }]);
    expect(recipientsFrom).toBe('reply-to');
  });
});
