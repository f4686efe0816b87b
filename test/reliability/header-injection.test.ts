import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodemailerMimeComposer } from '../../functions/adapters/outbound/nodemailer-mime-composer.ts';
import { S3AttachmentSource } from '../../functions/adapters/outbound/s3-attachment-source.ts';
import { S3OutboundPlanStore } from '../../functions/adapters/s3-outbound-plan-store.ts';
import { receiveMail } from '../../functions/core/inbound/receive-mail.ts';
import { AppError, HeaderInjectionError, ValidationError } from '../../functions/core/errors.ts';
import { formatTicketNumber } from '../../functions/core/mail/ticket-number.ts';
import { mailEnvelope, type OutboundMail } from '../../functions/core/model/outbound-mail.ts';
import { OutboundSettingsSchema } from '../../functions/core/model/outbound-settings.ts';
import { planNewMail } from '../../functions/core/outbound/compose/plan-new-mail.ts';
import { createQueueReplyDeps } from '../../functions/runtime/queue-reply-deps.ts';
import { QueueReplySender } from '../../functions/runtime/reply-sender.ts';
import { startAdminHarness, type AdminHarness } from '../support/admin-api.ts';
import { agentReply } from '../support/agent-reply.ts';
import { channelSettings } from '../support/factories.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../support/inbound-deps.ts';

/*
 * Header injection, end to end. Every value that reaches a header of an outbound mail (the reply's
 * Cc, Bcc and From, attachment names and types, a channel's names, allowed From addresses,
 * aliases, ticket hook and acknowledgement subject, an agent's display name, the preview's
 * fields, a new mail's To and subject, a customer's subject, name, Message-ID, References,
 * attachment names and types answered, acknowledged or downloaded) is tried with line breaks,
 * control and separator characters and their encoded forms. Each either gets a 400 naming the
 * field, or is sent neutralized: the mail the outbound function composes from the stored plan has
 * no header it should not have, no value that decodes to a line break, and no recipient the plan
 * did not name.
 */

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** Raw control and separator characters: an API must refuse each of them in a header field. */
const RAW = {
  cr: 'Eve\rX-Injected: 1',
  lf: 'Eve\nX-Injected: 1',
  crlf: 'Eve\r\nBcc: victim@evil.example',
  'crlf-crlf': 'Eve\r\n\r\n<html>body</html>',
  nul: 'Eve\u0000X-Injected: 1',
  'vt-ff': 'Eve\u000bX-Injected\u000c1',
  'u+0085': 'Eve\u0085X-Injected: 1',
  'u+2028': 'Eve\u2028X-Injected: 1',
  'u+2029': 'Eve\u2029X-Injected: 1',
  'quoted-crlf': '"Eve\r\nBcc: victim@evil.example"',
} as const;

/** No line break, but what no header text of the API takes either: a name that reads backwards, a character no encoding carries. */
const SPOOF = {
  'bidi-override': 'Eve\u202eX-Injected',
  'lone-surrogate': 'Eve\ud800X',
} as const;

/** The same line breaks written so no control character is in the value: refused, or sent as the text it is. */
const ENCODED = {
  percent: 'Eve%0d%0aBcc: victim@evil.example',
  'encoded-word-q': '=?utf-8?Q?Eve=0D=0ABcc:_victim@evil.example?=',
  'encoded-word-b': `=?utf-8?B?${b64('Eve\r\nBcc: victim@evil.example')}?=`,
  'encoded-word-u+2028': `=?utf-8?B?${b64('Eve\u2028X-Injected: 1')}?=`,
  'mid-text-encoded-word': 'Hello =?utf-8?Q?=0D=0AX-Injected:_1?= there',
  backslashes: 'Eve\\r\\nBcc: victim@evil.example',
  'html-entities': 'Eve&#13;&#10;Bcc: victim@evil.example',
} as const;

/** How a payload must be answered: `raw` refused everywhere, `spoof` refused by the API, `encoded` refused or sent as the text it is. */
type Kind = 'raw' | 'spoof' | 'encoded';

const TEXT_PAYLOADS: readonly (readonly [string, string, Kind])[] = [
  ...Object.entries(RAW).map(([k, v]) => [k, v, 'raw'] as const),
  ...Object.entries(SPOOF).map(([k, v]) => [k, v, 'spoof'] as const),
  ...Object.entries(ENCODED).map(([k, v]) => [k, v, 'encoded'] as const),
];

const ADDRESS_PAYLOADS: readonly (readonly [string, string, Kind])[] = [
  ['crlf', 'victim@evil.example\r\nBcc: x@evil.example', 'raw'],
  ['lf', 'victim@evil.example\nBcc: x@evil.example', 'raw'],
  ['cr', 'victim@evil.example\rBcc: x@evil.example', 'raw'],
  ['nul', 'victim@evil.example\u0000', 'raw'],
  ['u+0085', 'victim@evil.example\u0085Bcc: x@evil.example', 'raw'],
  ['u+2028', 'victim@evil.example\u2028Bcc: x@evil.example', 'raw'],
  ['quoted-local-crlf', '"a\r\nBcc: x"@evil.example', 'raw'],
  ['comment-crlf', 'victim@evil.example (x\r\nBcc: y@evil.example)', 'raw'],
  ['percent', 'victim%0d%0abcc@evil.example', 'encoded'],
  ['encoded-word-local', '=?utf-8?Q?a=0D=0A?=@evil.example', 'encoded'],
  ['list', 'victim@evil.example,x@evil.example', 'encoded'],
  ['angle', 'Eve <victim@evil.example>', 'encoded'],
  ['group', 'all: victim@evil.example, x@evil.example;', 'encoded'],
];

const CONTENT_TYPE_PAYLOADS: readonly (readonly [string, string, Kind])[] = [
  ['crlf', 'text/plain\r\nX-Injected: 1', 'raw'],
  ['lf', 'text/plain\nBcc: victim@evil.example', 'raw'],
  ['param-crlf', 'text/plain; name="a\r\nX-Injected: 1"', 'raw'],
  ['u+2028', 'text/plain\u2028X-Injected: 1', 'raw'],
  ['percent', 'text/plain%0d%0aX-Injected:1', 'encoded'],
  ['param', 'text/plain; charset=utf-8', 'encoded'],
  ['encoded-word', 'text/=?utf-8?Q?a=0D=0A?=', 'encoded'],
];

// Header fields of a composed mail, top level and in parts; anything else was injected.
const TOP_FIELDS = new Set([
  'from',
  'to',
  'cc',
  'reply-to',
  'subject',
  'message-id',
  'in-reply-to',
  'references',
  'date',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);
const PART_FIELDS = new Set(['content-type', 'content-transfer-encoding', 'content-disposition', 'content-id']);
const ONCE = ['from', 'to', 'cc', 'reply-to', 'subject', 'message-id', 'in-reply-to', 'references', 'date'];
// What a decoded header value may never hold: a line break, NUL, or a Unicode line separator.
const BREAKS = /[\r\n\u0000\u0085\u2028\u2029]/u;
// `boundary="…"` or `boundary=…`: each alternative stops at its own terminator (linear).
const BOUNDARY = /boundary="([^"]*)"|boundary=([^\s;]+)/gi;

/** Wire-level problems: header blocks (top and parts) whose lines are not `name: value` of an expected field or a fold. */
function wireProblems(raw: Buffer, extra: ReadonlySet<string>): string[] {
  const text = raw.toString('latin1');
  const problems: string[] = [];
  const boundaries = new Set<string>();
  let inHeader = true;
  let top = true;
  const seen = new Map<string, number>();
  for (const line of text.split('\r\n')) {
    if (inHeader) {
      if (line === '') {
        inHeader = false;
        top = false;
        continue;
      }
      if (/[\r\n\u0000]/.test(line)) problems.push(`a header line holds a bare CR, LF or NUL: ${JSON.stringify(line.slice(0, 80))}`);
      for (const m of line.matchAll(BOUNDARY)) boundaries.add(m[1] ?? m[2] ?? '');
      if (line.startsWith(' ') || line.startsWith('\t')) continue;
      const name = line.slice(0, line.indexOf(':')).toLowerCase();
      const allowed = top ? TOP_FIELDS.has(name) || extra.has(name) : PART_FIELDS.has(name);
      if (line.indexOf(':') <= 0 || !allowed) problems.push(`unexpected header line ${JSON.stringify(line.slice(0, 80))}`);
      if (top) seen.set(name, (seen.get(name) ?? 0) + 1);
    } else if ([...boundaries].some((b) => line === `--${b}`)) {
      inHeader = true;
    }
  }
  for (const name of ONCE) if ((seen.get(name) ?? 0) > 1) problems.push(`${seen.get(name)} ${name} headers`);
  return problems;
}

function addresses(field: AddressObject | AddressObject[] | undefined): { address: string; name: string }[] {
  return [field ?? []].flat().flatMap((o) => o.value.map((a) => ({ address: a.address ?? '', name: a.name })));
}

/** Problems of the mail as a receiving client decodes it: values with line breaks, recipients the plan did not name. */
function decodedProblems(parsed: ParsedMail, plan: OutboundMail): string[] {
  const problems: string[] = [];
  const named = new Set([...plan.to, ...plan.cc].map((a) => a.address));
  const check = (what: string, value: unknown): void => {
    if (typeof value === 'string' && BREAKS.test(value)) problems.push(`${what} decodes to ${JSON.stringify(value.slice(0, 80))}`);
  };
  check('Subject', parsed.subject);
  check('Message-ID', parsed.messageId);
  check('In-Reply-To', parsed.inReplyTo);
  for (const r of [parsed.references ?? []].flat()) check('References', r);
  for (const [field, list] of [
    ['From', parsed.from],
    ['To', parsed.to],
    ['Cc', parsed.cc],
    ['Reply-To', parsed.replyTo],
  ] as const) {
    for (const a of addresses(list)) {
      check(`${field} name`, a.name);
      check(`${field} address`, a.address);
      if ((field === 'To' || field === 'Cc') && !named.has(a.address.toLowerCase())) problems.push(`${field} names ${a.address}, which the plan does not`);
    }
  }
  if (parsed.headers.has('bcc')) problems.push('a Bcc header');
  // Reply-To is the channel address or a reply-token address: one plain address, never one a value spelled.
  const replyTo = addresses(parsed.replyTo);
  if (replyTo.length > 1 || replyTo.some((a) => !/^[a-z0-9._-]+(?:\+[a-z0-9-]+)?@example\.com$/.test(a.address)))
    problems.push(`Reply-To ${JSON.stringify(replyTo)}`);
  for (const a of parsed.attachments) {
    check('attachment filename', a.filename);
    check('attachment content type', a.contentType);
    for (const key of a.headers.keys()) if (!PART_FIELDS.has(key)) problems.push(`attachment header ${key}`);
  }
  const envelope = mailEnvelope(plan).to;
  const planned = new Set([...plan.to, ...plan.cc, ...plan.bcc].map((a) => a.address));
  for (const rcpt of envelope) if (!planned.has(rcpt) || BREAKS.test(rcpt)) problems.push(`envelope recipient ${JSON.stringify(rcpt)}`);
  return problems;
}

let h: AdminHarness;
const clock = new TestClock();
let tried = 0;
const triedBy = new Map<string, number>();
const answers = { refused: 0, sent: 0 };
const count = (field: string): void => {
  tried++;
  triedBy.set(field, (triedBy.get(field) ?? 0) + 1);
};

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

afterAll(async () => {
  const by = [...triedBy.entries()].map(([f, k]) => `${f} ${k}`).join(', ');
  console.log(
    `header injection: ${tried} field × payload combinations, ${answers.refused} refused naming the field (a 400 from the API), ${answers.sent} accepted and checked (${by})`,
  );
  await h?.stop();
});

let n = 0;
/** Delivers a raw mail to a channel address as the inbound function would; its outcome. */
async function deliver(raw: string | Buffer, to = 'support@example.com') {
  const id = `ses-inj-${++n}`;
  await h.aws.putRaw(inboundMail(id).rawKey, raw);
  const outcome = await receiveMail(inboundDeps(h.aws, clock), inboundMail(id, [to]));
  if (outcome.status === 'failed') throw new Error(`not received: ${JSON.stringify(outcome.error)}`);
  return outcome;
}

/** The mail a stored plan becomes, composed as the outbound function composes it, and every injection problem of it. */
async function composedProblems(channelId: string, messageId: string): Promise<string[]> {
  const plan = await new S3OutboundPlanStore(h.aws.s3, h.aws.bucket).get(channelId, messageId);
  const raw = Buffer.from(await new NodemailerMimeComposer({ clock }).compose(plan, new S3AttachmentSource(h.aws.s3, { uploadsBucket: h.aws.bucket })));
  const extra = new Set(plan.headers.map((x) => x.name.toLowerCase()));
  return [...wireProblems(raw, extra), ...decodedProblems(await simpleParser(raw), plan)];
}

interface ErrorBody {
  error: { code: string; issues: { field: string; problem: string }[] };
}

/**
 * What an answer to a hostile value says is wrong: nothing when the API refused it with a 400
 * naming `field` (or a field containing it), or accepted it (`accepted` then checks the mail).
 */
async function answerProblems(label: string, field: string, kind: Kind, response: Response, accepted: (body: unknown) => Promise<string[]>): Promise<string[]> {
  const body = (await response.json()) as unknown;
  if (response.status === 400) {
    const issues = (body as ErrorBody).error.issues.map((i) => i.field);
    const names = issues.some((f) => f === field || field.startsWith(f) || f.startsWith(field));
    if (names) answers.refused++;
    return names ? [] : [`${label}: 400 names ${JSON.stringify(issues)}, not ${field}`];
  }
  if (response.status >= 200 && response.status < 300) {
    if (kind !== 'encoded')
      return [`${label}: accepted ${kind === 'raw' ? 'a raw control character' : 'a bidi override or lone surrogate'} (${response.status})`];
    answers.sent++;
    return (await accepted(body)).map((p) => `${label}: ${p}`);
  }
  return [`${label}: answered ${response.status} ${JSON.stringify(body).slice(0, 200)}`];
}

/** The ETag of a resource, for a write that needs If-Match. */
async function etag(path: string): Promise<string> {
  return (await h.call('GET', path)).headers.get('etag') ?? '';
}

describe('header injection through the admin API and the send path', () => {
  let conversationId: string;
  let uploadKey: string;

  beforeAll(async () => {
    conversationId = (await deliver(customerMail({ messageId: 'inj-question@customer.example', subject: 'Where is my parcel?' }))).conversationId ?? '';
    const file = new TextEncoder().encode('hello');
    const link = (await (
      await h.as('agent-1', 'POST', '/attachments', { body: { filename: 'a.txt', contentType: 'text/plain', size: file.byteLength } })
    ).json()) as { url: string; fields: Record<string, string>; key: string };
    const form = new FormData();
    for (const [name, value] of Object.entries(link.fields)) form.append(name, value);
    form.append('file', new Blob([file], { type: 'text/plain' }), 'a.txt');
    expect((await fetch(link.url, { method: 'POST', body: form })).status).toBe(204);
    uploadKey = link.key;
  });

  const reply = (body: Record<string, unknown>, user = 'agent-1', id = conversationId) =>
    h.as(user, 'POST', `/conversations/${id}/reply`, { body: { text: 'Thanks for writing.', ...body } });
  const queuedMail = (channelId: string) => async (body: unknown) => composedProblems(channelId, (body as { messageId: string }).messageId);

  it('refuses or neutralizes every hostile value of a reply: Cc, Bcc, their names, From, attachment name and type', async () => {
    // Arrange
    const file = (over: Record<string, string>) => ({ attachments: [{ source: 's3', key: uploadKey, filename: 'a.txt', contentType: 'text/plain', ...over }] });
    const fields: readonly [string, typeof TEXT_PAYLOADS, (v: string) => Record<string, unknown>][] = [
      ['cc[0]', ADDRESS_PAYLOADS, (v) => ({ cc: [v] })],
      ['cc[0].address', ADDRESS_PAYLOADS, (v) => ({ cc: [{ address: v, name: 'Boss' }] })],
      ['cc[0].name', TEXT_PAYLOADS, (v) => ({ cc: [{ address: 'boss@customer.example', name: v }] })],
      ['bcc[0]', ADDRESS_PAYLOADS, (v) => ({ bcc: [v] })],
      ['bcc[0].name', TEXT_PAYLOADS, (v) => ({ bcc: [{ address: 'audit@customer.example', name: v }] })],
      ['from', ADDRESS_PAYLOADS, (v) => ({ from: v })],
      ['attachments[0].filename', TEXT_PAYLOADS, (v) => file({ filename: v })],
      ['attachments[0].contentType', CONTENT_TYPE_PAYLOADS, (v) => file({ contentType: v })],
    ];
    const problems: string[] = [];
    // Act
    for (const [field, payloads, body] of fields) {
      for (const [name, value, kind] of payloads) {
        count(field);
        problems.push(...(await answerProblems(`${field} ${name}`, field, kind, await reply(body(value)), queuedMail('support'))));
      }
    }
    // Assert
    expect(problems).toEqual([]);
  });

  it('answers a selector of a forwarded attachment that names no file with a 4xx, never a mail', async () => {
    // Arrange
    const [message] = (
      (await (await h.as('agent-1', 'GET', `/conversations/${conversationId}`)).json()) as { entries: { message?: { messageId: string } }[] }
    ).entries.flatMap((e) => (e.message ? [e.message] : []));
    const problems: string[] = [];
    // Act
    for (const [name, value] of TEXT_PAYLOADS) {
      count('attachments[0].filename (inbound)');
      const response = await reply({ attachments: [{ source: 'inbound', messageId: message?.messageId, filename: value }] });
      if (response.status < 400 || response.status >= 500) problems.push(`${name}: ${response.status}`);
    }
    // Assert
    expect(problems).toEqual([]);
  });

  it('refuses or neutralizes hostile channel names, From and alias addresses, ticket hook and acknowledgement subject', async () => {
    // Arrange: a channel of its own, acknowledging new conversations, replies carrying a reply token
    const created = await h.call('POST', '/channels', {
      body: {
        id: 'inj',
        address: 'inj@example.com',
        name: 'Injection Desk',
        defaultSkill: 'support',
        replyToken: true,
        allowedFrom: [{ address: 'sales@example.com', name: 'Sales' }],
        acknowledgement: { enabled: true, subject: 'Re: {{subject}} ({{customerName}}, {{channelName}})' },
      },
    });
    expect(created.status).toBe(201);
    let senders = 0;
    /** A new customer writes to the channel: the acknowledgement's problems, then the problems of an answer from `from`. */
    const mailsOfChannel = async (from = 'inj@example.com'): Promise<string[]> => {
      const sender = `customer-${++senders}@customer.example`;
      const opened = await deliver(
        customerMail({ messageId: `inj-${senders}@customer.example`, from: `Carla <${sender}>`, to: 'inj@example.com' }),
        'inj@example.com',
      );
      const ack = opened.acknowledgement?.job?.messageId;
      const problems = ack ? await composedProblems('inj', ack) : ['no acknowledgement was planned'];
      const answered = await reply({ from }, 'admin', opened.conversationId ?? '');
      if (answered.status !== 202) return [...problems, `the answer got ${answered.status}`];
      return [...problems, ...(await composedProblems('inj', ((await answered.json()) as { messageId: string }).messageId))];
    };
    const baseline = (await (await h.call('GET', '/channels/inj')).json()) as Record<string, unknown>;
    const fields: readonly [string, typeof TEXT_PAYLOADS, (v: string) => Record<string, unknown>, string?][] = [
      ['name', TEXT_PAYLOADS, (v) => ({ name: v })],
      ['displayName', TEXT_PAYLOADS, (v) => ({ displayName: v })],
      ['allowedFrom[0].name', TEXT_PAYLOADS, (v) => ({ allowedFrom: [{ address: 'sales@example.com', name: v }] }), 'sales@example.com'],
      ['allowedFrom[0].address', ADDRESS_PAYLOADS, (v) => ({ allowedFrom: [{ address: v, name: 'Sales' }] })],
      ['aliases[0]', ADDRESS_PAYLOADS, (v) => ({ aliases: [v] })],
      ['address', ADDRESS_PAYLOADS, (v) => ({ address: v })],
      ['ticket.hook', TEXT_PAYLOADS, (v) => ({ ticket: { hook: v } })],
      ['acknowledgement.subject', TEXT_PAYLOADS, (v) => ({ acknowledgement: { enabled: true, subject: `${v} {{subject}}` } })],
    ];
    const problems: string[] = [];
    // Act
    for (const [field, payloads, patch, from] of fields) {
      for (const [name, value, kind] of payloads) {
        count(`channel ${field}`);
        const response = await h.call('PATCH', '/channels/inj', { body: patch(value), headers: { 'if-match': await etag('/channels/inj') } });
        problems.push(...(await answerProblems(`channel ${field} ${name}`, field, kind, response, () => mailsOfChannel(from))));
        if (response.status === 200) {
          const restore = Object.fromEntries(Object.keys(patch(value)).map((k) => [k, baseline[k] ?? null]));
          expect((await h.call('PATCH', '/channels/inj', { body: restore, headers: { 'if-match': await etag('/channels/inj') } })).status).toBe(200);
        }
      }
    }
    // Assert
    expect(problems).toEqual([]);
  });

  it("refuses or neutralizes a hostile agent display name, and the preview's name and subject", async () => {
    // Arrange
    expect((await h.call('PUT', '/channels/support/templates/inj', { body: { html: '<p>{{body}}</p><p>{{agentName}}: {{subject}}</p>' } })).status).toBe(200);
    const agent = (await (await h.call('GET', '/agents/agent-1')).json()) as Record<string, unknown>;
    const input = { role: agent.role, displayName: agent.displayName, channels: agent.channels, skills: agent.skills, identities: agent.identities };
    const problems: string[] = [];
    // Act
    for (const [name, value, kind] of TEXT_PAYLOADS) {
      count('agent displayName');
      const put = await h.call('PUT', '/agents/agent-1', { body: { ...input, displayName: value }, headers: { 'if-match': await etag('/agents/agent-1') } });
      problems.push(
        ...(await answerProblems(`agent displayName ${name}`, 'displayName', kind, put, async () => {
          const answered = await reply({});
          return answered.status === 202
            ? composedProblems('support', ((await answered.json()) as { messageId: string }).messageId)
            : [`the reply got ${answered.status}`];
        })),
      );
      if (put.status === 200) await h.call('PUT', '/agents/agent-1', { body: input, headers: { 'if-match': await etag('/agents/agent-1') } });
      for (const field of ['agentName', 'subject']) {
        count(`preview ${field}`);
        const preview = await h.as('agent-1', 'POST', '/channels/support/templates/inj/preview', { body: { text: 'Hello', [field]: value } });
        // A preview renders the body only: no header to check once it is accepted.
        problems.push(...(await answerProblems(`preview ${field} ${name}`, field, kind, preview, async () => [])));
      }
    }
    // Assert
    expect(problems).toEqual([]);
  });

  it('refuses or neutralizes hostile upload names and types, and refuses a hostile test-mail recipient with a 400 naming the field', async () => {
    // Arrange
    const problems: string[] = [];
    // The name only labels the uploaded object (the reply names the file again, checked above): its key segment must be plain.
    const plainKey = async (body: unknown): Promise<string[]> => {
      const { key, fields } = body as { key: string; fields: Record<string, string> };
      const safe = /^outbound\/uploads\/agents\/agent-1\/[0-9a-f-]{36}\/[A-Za-z0-9._-]+$/.test(key) && fields['Content-Type'] === 'text/plain';
      return safe ? [] : [`the upload form has key ${JSON.stringify(key)} and type ${JSON.stringify(fields['Content-Type'])}`];
    };
    // Act
    for (const [name, value] of TEXT_PAYLOADS) {
      count('upload filename');
      const upload = await h.as('agent-1', 'POST', '/attachments', { body: { filename: value, contentType: 'text/plain', size: 5 } });
      problems.push(...(await answerProblems(`upload filename ${name}`, 'filename', 'encoded', upload, plainKey)));
    }
    for (const [name, value, kind] of CONTENT_TYPE_PAYLOADS) {
      count('upload contentType');
      const upload = await h.as('agent-1', 'POST', '/attachments', { body: { filename: 'a.txt', contentType: value, size: 5 } });
      problems.push(...(await answerProblems(`upload contentType ${name}`, 'contentType', kind, upload, async () => [])));
    }
    for (const [name, value] of ADDRESS_PAYLOADS) {
      count('credentials test to');
      const test = await h.call('POST', '/channels/support/credentials/test', { body: { to: value } });
      // Every one of them must be refused: the test mail goes to this address.
      problems.push(...(await answerProblems(`credentials test to ${name}`, 'to', 'raw', test, async () => [])));
    }
    // Assert
    expect(problems).toEqual([]);
  });
});

describe('header injection into a new outbound mail (planned by the core, on no route yet)', () => {
  it('refuses a hostile To, To name or subject naming the field, or composes it clean', async () => {
    // Arrange
    const channel = channelSettings({ name: 'ACME Support' });
    const ticketNumber = formatTicketNumber(42, channel.ticket);
    const outbound = OutboundSettingsSchema.parse({ outbound: { enabled: true } });
    const to = (address: string, name = '') => [{ address, name }];
    const fields: readonly [string, typeof TEXT_PAYLOADS, (v: string) => { to: { address: string; name: string }[]; subject: string }][] = [
      ['to[0].address', ADDRESS_PAYLOADS, (v) => ({ to: to(v), subject: 'Your order' })],
      ['to[0].name', TEXT_PAYLOADS, (v) => ({ to: to('jane@customer.example', v), subject: 'Your order' })],
      ['subject', TEXT_PAYLOADS, (v) => ({ to: to('jane@customer.example'), subject: v })],
    ];
    const problems: string[] = [];
    // Act
    for (const [field, payloads, request] of fields) {
      for (const [name, value, kind] of payloads) {
        count(`new mail ${field}`);
        const label = `new mail ${field} ${name}`;
        let plan: OutboundMail;
        try {
          plan = planNewMail(
            { ids: { next: () => `new-${tried}` } },
            {
              channel,
              outbound,
              conversation: { id: 'conv-new', ticketNumber, replyToken: 'tok' },
              request: { ...agentReply(), ...request(value) },
            },
          ).mail;
        } catch (error) {
          const named = error instanceof HeaderInjectionError ? [error.field] : error instanceof ValidationError ? error.issues.map((i) => i.path) : [];
          if (!(error instanceof AppError) || !named.some((f) => f === field || field.startsWith(f) || f.startsWith(field)))
            problems.push(`${label}: ${String(error)}`);
          else answers.refused++;
          continue;
        }
        // The core refuses line breaks; a bidi override or lone surrogate is the API schema's to refuse, and must merely compose clean here.
        if (kind === 'raw') {
          problems.push(`${label}: planned with a raw control character`);
          continue;
        }
        answers.sent++;
        const raw = Buffer.from(await new NodemailerMimeComposer({ clock }).compose(plan, { fetch: async () => Promise.reject(new Error('no attachments')) }));
        problems.push(...[...wireProblems(raw, new Set()), ...decodedProblems(await simpleParser(raw), plan)].map((p) => `${label}: ${p}`));
      }
    }
    // Assert
    expect(problems).toEqual([]);
  });
});

describe("header injection from a customer's mail into the answer and the acknowledgement", () => {
  /** A customer mail whose every header a reply reuses is hostile: subject, From name, Message-ID, References, attachment names. */
  function hostileMail(id: string, from: string, to: string): Buffer {
    const doubled = `=?utf-8?B?${b64('=?utf-8?Q?Eve=0D=0ABcc:_victim@evil.example?=')}?=`;
    const lines = [
      `From: =?utf-8?B?${b64('Eve\r\nBcc: victim@evil.example\u2028X-Injected: 1')}?= <${from}>`,
      `Reply-To: ${doubled} <${from}>`,
      `To: ${to}`,
      `Subject: =?utf-8?Q?Order=0D=0ABcc:_victim@evil.example?= ${doubled} =?utf-8?B?${b64('a\u0085b\u2029c')}?=`,
      `Message-ID: <${id}.=?utf-8?Q?a=0D=0ABcc:_x?=@customer.example>`,
      `In-Reply-To: =?utf-8?B?${b64('<x\r\nBcc: y@evil.example>')}?=`,
      `References: <ok-1@customer.example> <a%0d%0abcc@customer.example> =?utf-8?B?${b64('<r\r\n@evil.example>')}?= <a\r\n b@customer.example>`,
      'Date: Sun, 22 Nov 2026 09:59:50 +0000',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="hb"',
      '',
      '--hb',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'My order has not arrived.',
      '--hb',
      'Content-Type: application/pdf; name="=?utf-8?Q?a=0D=0AX-Injected:_1.pdf?="',
      'Content-Transfer-Encoding: base64',
      'Content-Disposition: attachment; filename="=?utf-8?Q?a=0D=0AX-Injected:_1.pdf?="',
      '',
      'JVBERi0xLjQK',
      '--hb',
      'Content-Type: application/octet-stream',
      'Content-Transfer-Encoding: base64',
      `Content-Disposition: attachment; filename="=?utf-8?B?${b64('=?utf-8?Q?b=0D=0AX-Injected:_2.pdf?=')}?="`,
      '',
      'JVBERi0xLjQK',
      '--hb',
      'Content-Type: text/x-evil"; x="y',
      'Content-Transfer-Encoding: base64',
      "Content-Disposition: attachment; filename*=utf-8''c%0D%0AX-Injected%3A%203.txt",
      '',
      'aGVsbG8K',
      '--hb',
      'Content-Type: application/x\u000bevil\u0085type',
      'Content-Transfer-Encoding: base64',
      "Content-Disposition: attachment; filename*=utf-8''d%E2%80%A8X-Injected%3A%204%C2%85.bin",
      '',
      'aGVsbG8K',
      '--hb--',
      '',
    ];
    return Buffer.from(lines.join('\r\n'), 'utf8');
  }

  it('answers the mail with every attachment forwarded, and no header of the answer carries what the customer smuggled in', async () => {
    // Arrange
    const opened = await deliver(hostileMail('hostile-1', 'eve@customer.example', 'support@example.com'));
    const history = (await (await h.as('agent-1', 'GET', `/conversations/${opened.conversationId}`)).json()) as {
      entries: { message?: { messageId: string; direction: string; attachments: { filename: string | null }[] } }[];
    };
    const question = history.entries.flatMap((e) => (e.message?.direction === 'inbound' ? [e.message] : []))[0];
    const forwarded = (question?.attachments ?? []).map((a) => ({ source: 'inbound', messageId: question?.messageId, filename: a.filename ?? '' }));
    count('customer subject, From and Reply-To names, Message-ID, In-Reply-To, References, attachment names (answer)');
    // Act
    const answered = await h.as('agent-1', 'POST', `/conversations/${opened.conversationId}/reply`, {
      body: { text: 'Here are your files back.', attachments: forwarded },
    });
    const body = (await answered.json()) as { messageId: string; attachments: unknown[] };
    const downloads = await Promise.all(
      forwarded.map(async (_, index) => {
        const link = await h.as('agent-1', 'GET', `/conversations/${opened.conversationId}/messages/${question?.messageId}/attachments/${index}`);
        const url = link.status === 200 ? ((await link.json()) as { url: string }).url : null;
        const file = url ? await fetch(url) : null;
        return { status: link.status, disposition: file?.headers.get('content-disposition'), type: file?.headers.get('content-type') };
      }),
    );
    // Assert
    expect(answered.status).toBe(202);
    expect(forwarded).toHaveLength(4);
    expect(body.attachments).toHaveLength(4);
    expect(await composedProblems('support', body.messageId)).toEqual([]);
    // The download link's response headers carry the customer's name and type too: plain, or not at all.
    for (const d of downloads) {
      expect(d.status).toBe(200);
      expect(d.disposition).toMatch(/^attachment; filename="[\w.\- ]+"$/);
      expect(d.type ?? '').not.toMatch(BREAKS);
    }
  });

  it('acknowledges the mail, with the reply-token Reply-To, and no header of the acknowledgement carries what the customer smuggled in', async () => {
    // Arrange: a channel that acknowledges with the customer's subject and name in its subject
    const created = await h.call('POST', '/channels', {
      body: {
        id: 'ack',
        address: 'ack@example.com',
        name: 'Ack Desk',
        defaultSkill: 'support',
        replyToken: true,
        acknowledgement: { enabled: true, subject: 'Re: {{subject}} ({{customerName}})' },
      },
    });
    count('customer subject, From name, Message-ID, References (acknowledgement)');
    // Act
    const opened = await deliver(hostileMail('hostile-2', 'mallory@customer.example', 'ack@example.com'), 'ack@example.com');
    const job = opened.acknowledgement?.job;
    const plan = job ? await new S3OutboundPlanStore(h.aws.s3, h.aws.bucket).get('ack', job.messageId) : null;
    // Assert
    expect(created.status).toBe(201);
    expect(plan?.replyTo?.address).toMatch(/^ack\+[0-9a-z-]+@example\.com$/);
    expect(await composedProblems('ack', job?.messageId ?? '')).toEqual([]);
  });
});
