import { describe, expect, it } from 'vitest';
import { MailParseError } from '../../../functions/core/errors.ts';
import { decideInbound } from '../../../functions/core/inbound/decide-inbound.ts';
import { allRecipients, decideMessage } from '../../../functions/core/inbound/decide-message.ts';
import { rejectedAttachments } from '../../../functions/core/inbound/attachment-policy.ts';
import { InMemoryThreading } from '../../../functions/cli/in-memory-threading.ts';
import type { ParsedMessage } from '../../../functions/core/model/message.ts';
import type { MimeParser } from '../../../functions/core/ports/mime.ts';
import { addr, channelSettings, parsedMessage } from '../../support/factories.ts';

function store(): InMemoryThreading {
  let n = 0;
  return new InMemoryThreading({ ids: { next: () => `id-${++n}` } });
}

const outOfOffice = (overrides: Partial<ParsedMessage> = {}): ParsedMessage =>
  parsedMessage({
    subject: 'Automatic reply: Help please',
    headers: [{ name: 'auto-submitted', value: 'auto-replied' }],
    text: 'I am out of the office until Monday.',
    ...overrides,
  });

describe('decideMessage', () => {
  it('routes a new human mail to the default skill and allows an acknowledgement', async () => {
    // Arrange
    const channel = channelSettings();

    // Act
    const decision = await decideMessage({ lookup: store() }, { message: parsedMessage(), channel });

    // Assert
    expect(decision.classification.lane).toBe('human');
    expect(decision.thread.action).toBe('new');
    expect(decision.disposition).toBe('route');
    expect(decision.route).toEqual({ skill: 'general', rule: 'default', priority: 'normal' });
    expect(decision.autoAnswerAllowed).toBe(true);
    expect(decision.reply.reply).toBe('Hello, I need help.');
  });

  it('records an auto-reply that answers nothing known, without routing it or answering it', async () => {
    const decision = await decideMessage({ lookup: store() }, { message: outOfOffice({ inReplyTo: 'unknown@example.com' }), channel: channelSettings() });

    expect(decision.classification.lane).toBe('out-of-office');
    expect(decision.thread.action).toBe('unattached');
    expect(decision.disposition).toBe('record');
    expect(decision.route).toBeNull();
    expect(decision.autoAnswerAllowed).toBe(false);
  });

  it('records, not routes, an automatic answer in a closed conversation; a human reply there is routed', async () => {
    // Arrange
    const lookup = store();
    const channel = channelSettings();
    const opened = await lookup.apply(
      channel.id,
      (await decideMessage({ lookup }, { message: parsedMessage({ messageId: 'q@customer.example' }), channel })).thread,
      { channel, message: parsedMessage() },
    );
    lookup.close(opened?.id ?? '');
    // Act
    const automatic = await decideMessage({ lookup }, { message: outOfOffice({ inReplyTo: 'q@customer.example' }), channel });
    const human = await decideMessage({ lookup }, { message: parsedMessage({ messageId: 'r@customer.example', inReplyTo: 'q@customer.example' }), channel });
    // Assert
    expect(automatic.thread).toMatchObject({ action: 'join', conversation: { id: opened?.id, status: 'closed' } });
    expect(automatic.disposition).toBe('record');
    expect(automatic.route).toBeNull();
    expect(human.disposition).toBe('route');
  });

  it('quarantines virus-positive mail and never routes it', async () => {
    const decision = await decideMessage(
      { lookup: store() },
      { message: parsedMessage(), channel: channelSettings(), verdicts: { virusVerdict: 'FAIL', spamVerdict: 'PASS' } },
    );

    expect(decision.tags).toContain('virus');
    expect(decision.disposition).toBe('quarantine');
    expect(decision.route).toBeNull();
  });

  it.each([
    ['drop', 'drop', null],
    ['tag', 'route', 'general'],
    ['route', 'route', 'spam'],
  ] as const)('applies spam policy %s', async (spamPolicy, disposition, skill) => {
    const decision = await decideMessage(
      { lookup: store() },
      { message: parsedMessage(), channel: channelSettings({ spamPolicy, spamSkill: 'spam' }), verdicts: { spamVerdict: 'FAIL' } },
    );

    expect(decision.disposition).toBe(disposition);
    expect(decision.route?.skill ?? null).toBe(skill);
    expect(decision.autoAnswerAllowed).toBe(false);
  });

  it('never answers bulk mail automatically but still routes it', async () => {
    const message = parsedMessage({
      headers: [
        { name: 'precedence', value: 'bulk' },
        { name: 'list-unsubscribe', value: '<https://news.example/u>' },
      ],
    });

    const decision = await decideMessage({ lookup: store() }, { message, channel: channelSettings() });

    expect(decision.classification.lane).toBe('bulk');
    expect(decision.disposition).toBe('route');
    expect(decision.autoAnswerAllowed).toBe(false);
  });

  it('tags and lists attachments outside the channel allow-list', async () => {
    const message = parsedMessage({
      attachments: [
        { filename: 'invoice.pdf', contentType: 'application/pdf', size: 10, inline: false, contentId: null, checksum: null },
        { filename: 'setup.EXE', contentType: 'application/octet-stream', size: 10, inline: false, contentId: null, checksum: null },
      ],
    });

    const decision = await decideMessage({ lookup: store() }, { message, channel: channelSettings({ allowedAttachmentExtensions: ['pdf'] }) });

    expect(decision.rejectedAttachments).toEqual(['setup.EXE']);
    expect(decision.tags).toContain('attachment-rejected');
  });

  it('reads the ticket number of the subject in the channel format', async () => {
    const message = parsedMessage({ subject: 'Re: Help [#0000013]' });

    const decision = await decideMessage({ lookup: store() }, { message, channel: channelSettings() });

    expect(decision.ticketNumber).toBe('0000013');
  });
});

describe('decideInbound', () => {
  it('parses with the channel size limit, without HTML (nothing inbound stores it), and lets the parser error through', async () => {
    // Arrange
    const seen: unknown[] = [];
    const parser: MimeParser = {
      async parse(_raw, limits, options) {
        seen.push({ limits, options });
        throw new MailParseError('too big', { limit: 'size' });
      },
    };

    // Act
    const result = decideInbound({ parser, lookup: store() }, { raw: new Uint8Array(10), channel: channelSettings({ maxMessageBytes: 1000 }) });

    // Assert
    await expect(result).rejects.toBeInstanceOf(MailParseError);
    expect(seen).toEqual([{ limits: { maxBytes: 1000 }, options: { html: 'omit' } }]);
  });
});

describe('allRecipients', () => {
  it('joins envelope, To and Cc, lowercase and without duplicates', () => {
    const message = parsedMessage({ to: [addr('Support <Support@Example.com>')], cc: [addr('b@x.example')] });

    expect(allRecipients(message, ['support@example.com', 'BCC@example.com'])).toEqual(['support@example.com', 'bcc@example.com', 'b@x.example']);
  });
});

describe('rejectedAttachments', () => {
  const file = (filename: string | null, inline = false, contentId: string | null = null) => ({
    filename,
    contentType: 'application/octet-stream',
    size: 1,
    inline,
    contentId,
    checksum: null,
  });

  it('allows everything without a list, and inline cid images always', () => {
    expect(rejectedAttachments([file('a.exe')], null)).toEqual([]);
    expect(rejectedAttachments([file('logo.png', true, 'logo@x')], ['pdf'])).toEqual([]);
  });

  it('refuses unnamed attachments and double extensions by their last extension', () => {
    expect(rejectedAttachments([file(null), file('report.pdf.exe'), file('.PDF')], ['.pdf'])).toEqual(['(unnamed application/octet-stream)', 'report.pdf.exe']);
  });
});

describe('decideMessage: spoofing', () => {
  it('treats a DMARC failure as an unauthenticated sender for threading by ticket number', async () => {
    // Arrange: a conversation of the customer exists
    const lookup = store();
    const channel = channelSettings();
    const first = await decideMessage({ lookup }, { message: parsedMessage({ messageId: 'root@customer.example' }), channel });
    const applied = await lookup.apply(channel.id, first.thread, { channel, message: parsedMessage({ messageId: 'root@customer.example' }) });
    const forged = parsedMessage({ messageId: 'forged@evil.example', subject: `Re: Help [#${applied?.ticketNumber}]` });

    // Act
    const passed = await decideMessage({ lookup }, { message: forged, channel, verdicts: { dmarcVerdict: 'PASS' } });
    const failed = await decideMessage({ lookup }, { message: forged, channel, verdicts: { dmarcVerdict: 'FAIL', dmarcPolicy: 'REJECT' } });

    // Assert
    expect(passed.thread.rule).toBe('ticket-number');
    expect(failed.thread).toMatchObject({ action: 'new', flags: ['unauthenticated-follow-up'] });
    expect(failed.tags).toEqual(expect.arrayContaining(['dmarc-fail', 'spoofing-suspected', 'unauthenticated-follow-up', 'unauthenticated-sender']));
    expect(failed.autoAnswerAllowed).toBe(false);
  });

  /** A conversation of the customer, opened by an authenticated first mail. */
  async function customerConversation() {
    const lookup = store();
    const channel = channelSettings();
    const message = parsedMessage({ messageId: 'root@customer.example' });
    const first = await decideMessage({ lookup }, { message, channel, verdicts: { dmarcVerdict: 'PASS' } });
    const applied = await lookup.apply(channel.id, first.thread, { channel, message, tags: first.tags });
    if (!applied) throw new Error('not created');
    return { lookup, channel, conversation: applied };
  }

  it('opens a linked, flagged conversation for the spoofed follow-up: spf=FAIL, dmarc=GRAY, a Reply-To of the forger', async () => {
    // Arrange: the customer's domain publishes no DMARC record, so nothing proves the From address
    const { lookup, channel, conversation } = await customerConversation();
    const spoofed = parsedMessage({
      messageId: 'spoof@attacker.example',
      subject: `Re: Help please [#${conversation.ticketNumber}]`,
      replyTo: [addr('attacker@attacker.example')],
    });

    // Act
    const decision = await decideMessage(
      { lookup },
      {
        message: spoofed,
        channel,
        envelopeSender: 'bounce@attacker.example',
        verdicts: { spfVerdict: 'FAIL', dkimVerdict: 'GRAY', dmarcVerdict: 'GRAY' },
      },
    );

    // Assert
    expect(decision.thread).toMatchObject({ action: 'new', rule: 'new-conversation', flags: ['unauthenticated-follow-up'] });
    expect(decision.thread.signals.find((s) => s.kind === 'ticket-number')).toMatchObject({
      conversationId: conversation.id,
      ignored: 'sender is not authenticated (dmarc=gray, spf=fail, dkim=gray: no pass aligned with customer.example)',
    });
    expect(decision.tags).toEqual(expect.arrayContaining(['unauthenticated-follow-up', 'unauthenticated-sender', 'reply-to-differs']));
    expect(decision.autoAnswerAllowed).toBe(false);
    expect(decision.disposition).toBe('route');
  });

  it('joins the customer’s follow-up with an aligned SPF pass and no DMARC record', async () => {
    // Arrange
    const { lookup, channel, conversation } = await customerConversation();
    const followUp = parsedMessage({ messageId: 'two@customer.example', subject: `Re: Help please [#${conversation.ticketNumber}]` });

    // Act
    const decision = await decideMessage(
      { lookup },
      {
        message: followUp,
        channel,
        envelopeSender: 'bounces@mail.customer.example',
        verdicts: { spfVerdict: 'PASS', dkimVerdict: 'GRAY', dmarcVerdict: 'GRAY' },
      },
    );

    // Assert
    expect(decision.thread).toMatchObject({ action: 'join', rule: 'ticket-number', flags: [] });
    expect(decision.tags).not.toContain('unauthenticated-sender');
  });

  it('flags an authenticated follow-up whose Reply-To the conversation does not know, and still joins it', async () => {
    // Arrange
    const { lookup, channel, conversation } = await customerConversation();
    const followUp = parsedMessage({
      messageId: 'three@customer.example',
      inReplyTo: 'root@customer.example',
      replyTo: [addr('someone-else@other.example')],
      subject: `Re: Help please [#${conversation.ticketNumber}]`,
    });

    // Act
    const decision = await decideMessage({ lookup }, { message: followUp, channel, verdicts: { dmarcVerdict: 'PASS' } });

    // Assert
    expect(decision.thread).toMatchObject({ action: 'join', rule: 'in-reply-to' });
    expect(decision.tags).toContain('reply-to-differs');
  });

  it('honours the Reply-To of an authenticated first mail (a web form sends as itself for the customer)', async () => {
    // Arrange
    const form = parsedMessage({ messageId: 'form-1@shop.example', from: addr('forms@shop.example'), replyTo: [addr('carla@customer.example')] });

    // Act
    const authenticated = await decideMessage({ lookup: store() }, { message: form, channel: channelSettings(), verdicts: { dmarcVerdict: 'PASS' } });
    const unproven = await decideMessage({ lookup: store() }, { message: form, channel: channelSettings(), verdicts: { dmarcVerdict: 'GRAY' } });

    // Assert
    expect(authenticated.tags).not.toContain('reply-to-differs');
    expect(authenticated.autoAnswerAllowed).toBe(true);
    expect(unproven.tags).toEqual(expect.arrayContaining(['reply-to-differs', 'unauthenticated-sender']));
    expect(unproven.autoAnswerAllowed).toBe(false);
  });
});
