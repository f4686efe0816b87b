import { simpleParser, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodemailerMimeComposer } from '../../../functions/adapters/outbound/nodemailer-mime-composer.ts';
import { S3OutboundPlanStore } from '../../../functions/adapters/s3-outbound-plan-store.ts';
import { receiveMail } from '../../../functions/core/inbound/receive-mail.ts';
import { NotFoundError } from '../../../functions/core/errors.ts';
import { createQueueReplyDeps } from '../../../functions/runtime/queue-reply-deps.ts';
import { QueueReplySender } from '../../../functions/runtime/reply-sender.ts';
import { startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../../support/inbound-deps.ts';

/*
 * The reply route on the real send path (queueReply on dynalite, S3 and fauxqs): what an admin and
 * an agent store through the API is in the mail a reply produces, read back from the stored plan
 * and composed as the outbound function composes it.
 */
let h: AdminHarness;
beforeAll(async () => {
  h = await startAdminHarness(undefined, {
    replies: (aws) =>
      new QueueReplySender(
        createQueueReplyDeps({
          db: aws.db,
          s3: aws.s3,
          sqs: aws.sqs,
          tableName: aws.tableName,
          bucket: aws.bucket,
          outboundQueueUrl: aws.outbound.queueUrl,
        }),
      ),
  });
});
afterAll(async () => h.stop());

const HOSTILE_SIGNATURE = '<p><b>Alex</b> from Support<img src="x" onerror="alert(1)"></p><script>alert(2)</script><a href="javascript:alert(3)">me</a>';
const LAYOUT =
  '<!DOCTYPE html><html><head><title>{{subject}}</title></head><body onload="x()"><table role="presentation">' +
  '<tr><td style="color:#123456">{{body}}</td></tr><tr><td style="font-size:12px">{{signature}}</td></tr>' +
  '<tr><td>{{agentName}}</td></tr><tr><td>{{channelName}} · {{ticketNumber}}</td></tr></table>' +
  '<script>track()</script></body></html>';

let n = 0;
/** A customer's mail to the support channel, received as the inbound function would; its conversation id. */
async function customerWrites(subject: string): Promise<string> {
  const id = `ses-tpl-${++n}`;
  await h.aws.putRaw(`inbound/raw/${id}`, customerMail({ messageId: `${id}@customer.example`, subject }));
  const outcome = await receiveMail(inboundDeps(h.aws, new TestClock()), inboundMail(id));
  if (outcome.status === 'failed' || !outcome.conversationId) throw new Error(`not routed: ${JSON.stringify(outcome)}`);
  return outcome.conversationId;
}

/** The mail a queued reply becomes: its stored plan, composed by the outbound function's composer. */
async function composed(messageId: string): Promise<ParsedMail & { ticketNumber: string }> {
  const plan = await new S3OutboundPlanStore(h.aws.s3, h.aws.bucket).get('support', messageId);
  const raw = await new NodemailerMimeComposer().compose(plan, { fetch: async () => Promise.reject(new NotFoundError('no attachments')) });
  return Object.assign(await simpleParser(Buffer.from(raw)), { ticketNumber: plan.content.ticketNumber });
}

const crlf = (s: string | false | undefined): string => String(s).replace(/\r\n/g, '\n');

describe('what is set is sent: stored templates and signatures in the mail of a reply', () => {
  it("renders a reply with the channel's default template and the agent's signature and name, sanitized; the preview is that mail", async () => {
    // Arrange
    const text = '{{body}}\n\n-- \n{{signature}}\n{{channelName}} #{{ticketNumber}}';
    const template = await h.call('PUT', '/channels/support/templates/default', { body: { html: LAYOUT, text } });
    const signature = await h.as('agent-1', 'PUT', '/agents/agent-1/signature', { body: { html: HOSTILE_SIGNATURE, text: 'Alex from Support' } });
    const conversationId = await customerWrites('Parcel missing');
    // Act
    const reply = await h.as('agent-1', 'POST', `/conversations/${conversationId}/reply`, { body: { text: 'Hello Carla,\n\nit left our warehouse today.' } });
    const queued = (await reply.json()) as { messageId: string; agentId: string };
    const mail = await composed(queued.messageId);
    const preview = await h.as('agent-1', 'POST', '/channels/support/templates/default/preview', {
      body: { text: 'Hello Carla,\n\nit left our warehouse today.', agentId: 'agent-1', ticketNumber: mail.ticketNumber, subject: mail.subject },
    });
    // Assert
    expect(template.status).toBe(200);
    expect(signature.status).toBe(200);
    expect(reply.status).toBe(202);
    expect(queued.agentId).toBe('agent-1');
    const html = crlf(mail.html);
    expect(html).toMatch(/^<!DOCTYPE html>\n<html><head><title>Re: Parcel missing \[#\d{7}\]<\/title><\/head><body><table role="presentation">/);
    expect(html).toContain('<td style="color:#123456"><p>Hello Carla,</p>\n<p>it left our warehouse today.</p></td>');
    expect(html).toContain('<td style="font-size:12px"><p><b>Alex</b> from Support<img /></p><a>me</a></td>');
    expect(html).toContain(`<td>Alex Agent</td></tr><tr><td>Example Support · ${mail.ticketNumber}</td>`);
    expect(html).not.toMatch(/onerror|onload|<script|javascript:|track\(/);
    expect(crlf(mail.text)).toBe(`Hello Carla,\n\nit left our warehouse today.\n\n-- \nAlex from Support\nExample Support #${mail.ticketNumber}\n`);
    expect(preview.status).toBe(200);
    const shown = (await preview.json()) as { html: string; text: string };
    expect(shown.html).toBe(html);
    expect(shown.text).toBe(crlf(mail.text));
  });

  it('renders with the template a reply names; an unknown name is a 400 on template; the body cannot carry a signature', async () => {
    // Arrange
    await h.call('PUT', '/channels/support/templates/plain', { body: { html: '<div style="color:#333">{{body}}<hr>{{signature}}</div>' } });
    const conversationId = await customerWrites('Invoice copy');
    // Act
    const named = await h.as('agent-1', 'POST', `/conversations/${conversationId}/reply`, { body: { text: 'Attached again.', template: 'plain' } });
    const missing = await h.as('agent-1', 'POST', `/conversations/${conversationId}/reply`, { body: { text: 'x', template: 'fancy' } });
    const forgery = { text: 'x', signature: { html: '<p>The CEO</p>' }, agentName: 'The CEO' };
    const forged = await h.as('agent-1', 'POST', `/conversations/${conversationId}/reply`, { body: forgery });
    // Assert
    expect(named.status).toBe(202);
    const mail = await composed(((await named.json()) as { messageId: string }).messageId);
    expect(crlf(mail.html)).toBe('<div style="color:#333"><p>Attached again.</p><hr /><p><b>Alex</b> from Support<img /></p><a>me</a></div>');
    expect(missing.status).toBe(400);
    const problem = expect.stringMatching(/channel support has no template fancy/);
    expect(await missing.json()).toMatchObject({ error: { issues: [{ field: 'template', problem }] } });
    expect(forged.status).toBe(400);
    const problems = ((await forged.json()) as { error: { issues: { field: string }[] } }).error.issues.map((i) => i.field);
    expect(problems).toEqual(expect.arrayContaining(['signature', 'agentName']));
  });
});

describe('stored HTML comes back sanitized', () => {
  it('returns a <script>/onerror signature sanitized from GET and from the preview, and stores it sanitized', async () => {
    // Arrange
    const html = '<p onmouseover="x()">Blair<img src=x onerror=alert(1)></p><script>alert(2)</script>';
    const put = await h.as('agent-2', 'PUT', '/agents/agent-2/signature', { body: { html } });
    // Act
    const read = await h.as('agent-2', 'GET', '/agents/agent-2/signature');
    const preview = await h.as('agent-2', 'POST', '/agents/agent-2/signature/preview');
    const stored = await h.deps.signatures.get('agent-2');
    // Assert
    expect(put.status).toBe(200);
    expect(await read.json()).toMatchObject({ agentId: 'agent-2', html: '<p>Blair<img /></p>', text: '' });
    expect(await preview.json()).toEqual({ html: '<p>Blair<img /></p>', text: 'Blair' });
    expect(stored?.value.html).toBe('<p>Blair<img /></p>');
  });

  it('refuses unknown placeholders and a template without {{body}}, naming the field', async () => {
    // Act
    const unknown = await h.call('PUT', '/channels/support/templates/old', { body: { html: '<div>{{{content}}}{{{signature}}}</div>' } });
    const text = await h.call('PUT', '/channels/support/templates/old', { body: { html: '{{body}}', text: '{{body}} {{agentId}}' } });
    const noBody = await h.call('PUT', '/channels/support/templates/old', { body: { html: '<p>{{signature}}</p>' } });
    // Assert
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({
      error: {
        issues: [
          { field: 'html', problem: expect.stringMatching(/^unknown placeholder \{\{content\}\}; known: /) },
          { field: 'html', problem: 'the template has no {{body}} placeholder' },
          { field: 'html', problem: 'write placeholders as {{name}}, not {{{name}}}' },
        ],
      },
    });
    expect(await text.json()).toMatchObject({ error: { issues: [{ field: 'text', problem: expect.stringMatching(/^unknown placeholder \{\{agentId\}\}/) }] } });
    expect(await noBody.json()).toMatchObject({ error: { issues: [{ field: 'html', problem: 'the template has no {{body}} placeholder' }] } });
    expect((await h.call('GET', '/channels/support/templates/old')).status).toBe(404);
  });
});

describe('what is stored can always be read and sent', () => {
  const problems = async (response: Response) => ((await response.json()) as { error: { issues: { field: string; problem: string }[] } }).error.issues;

  it('refuses a signature or template over its limits after sanitizing, or nested too deep, naming html; nothing is stored', async () => {
    // Act
    const amps = await h.call('PUT', '/agents/admin/signature', { body: { html: '&'.repeat(15_000) } });
    const deep = await h.call('PUT', '/channels/support/templates/deep', { body: { html: `{{body}}${'<b>'.repeat(33_000)}` } });
    const signature = await h.call('GET', '/agents/admin/signature');
    const template = await h.call('GET', '/channels/support/templates/deep');
    // Assert
    expect(amps.status).toBe(400);
    expect(await problems(amps)).toEqual([{ field: 'html', problem: 'at most 20000 characters (after sanitizing)' }]);
    expect(deep.status).toBe(400);
    expect(await problems(deep)).toEqual([{ field: 'html', problem: 'HTML nested more than 200 elements deep; flatten it' }]);
    expect([signature.status, template.status]).toEqual([404, 404]);
  });

  it('reads, previews and sends with a signature stored over the limit before it was checked', async () => {
    // Arrange: what the store held after the unchecked write
    await h.deps.signatures.create('supervisor-1', { html: '&amp;'.repeat(15_000), text: '' }, '2026-11-22T09:00:00.000Z');
    const conversationId = await customerWrites('Refund');
    // Act
    const read = await h.as('supervisor-1', 'GET', '/agents/supervisor-1/signature');
    const preview = await h.as('supervisor-1', 'POST', '/agents/supervisor-1/signature/preview');
    const reply = await h.as('supervisor-1', 'POST', `/conversations/${conversationId}/reply`, { body: { text: 'Refunded.' } });
    // Assert
    expect([read.status, preview.status, reply.status]).toEqual([200, 200, 202]);
    expect(((await read.json()) as { html: string }).html).toHaveLength(75_000);
    const mail = await composed(((await reply.json()) as { messageId: string }).messageId);
    expect(crlf(mail.text)).toContain(`-- \n${'&'.repeat(15_000)}`);
  });

  it("refuses placeholders in a signature, and in a template's tags, naming the field and the placeholder", async () => {
    // Act
    const signature = await h.as('agent-2', 'PUT', '/agents/agent-2/signature', { body: { html: '{{body}}{{unknown}}' } });
    const href = await h.call('PUT', '/channels/support/templates/linked', { body: { html: '<a href="{{subject}}">{{body}}</a>' } });
    // Assert
    expect(signature.status).toBe(400);
    expect(await problems(signature)).toEqual([{ field: 'html', problem: 'signatures take no placeholders ({{ or }})' }]);
    expect(href.status).toBe(400);
    const inTag = '{{subject}} inside a tag, attribute value or comment: placeholders belong in text content';
    expect(await problems(href)).toEqual([{ field: 'html', problem: inTag }]);
  });
});
