import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3AttachmentSource } from '../../../functions/adapters/outbound/s3-attachment-source.ts';
import { S3OutboundPlanStore } from '../../../functions/adapters/s3-outbound-plan-store.ts';
import { receiveMail } from '../../../functions/core/inbound/receive-mail.ts';
import { createQueueReplyDeps } from '../../../functions/runtime/queue-reply-deps.ts';
import { QueueReplySender } from '../../../functions/runtime/reply-sender.ts';
import { startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../../support/inbound-deps.ts';

let h: AdminHarness;

// The reply route on the real send path (queueReply on dynalite, S3 and fauxqs): attachments are checked where they are stored.
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

interface UploadLink {
  url: string;
  fields: Record<string, string>;
  key: string;
  expiresAt: string;
  method: string;
}

async function uploadLink(body: unknown, user = 'admin'): Promise<{ status: number; link: UploadLink }> {
  const response = await h.as(user, 'POST', '/attachments', { body });
  return { status: response.status, link: (await response.json()) as UploadLink };
}

let n = 0;
/** A customer's mail to the support channel, received as the inbound function would; its conversation id. */
async function customerWrites(subject: string): Promise<string> {
  const id = `ses-attach-${++n}`;
  await h.aws.putRaw(`inbound/raw/${id}`, customerMail({ messageId: `${id}@customer.example`, subject }));
  const outcome = await receiveMail(inboundDeps(h.aws, new TestClock()), inboundMail(id));
  return (outcome as { conversationId?: string }).conversationId ?? '';
}

/** A file uploaded by `user` through the form the upload route gives them; its reference for a reply. */
async function uploaded(user: string, filename: string, content = 'hello'): Promise<{ source: 's3'; key: string; filename: string; contentType: string }> {
  const file = new TextEncoder().encode(content);
  const { link } = await uploadLink({ filename, contentType: 'text/plain', size: file.byteLength }, user);
  expect((await post(link, file, 'text/plain')).status).toBe(204);
  return { source: 's3', key: link.key, filename, contentType: 'text/plain' };
}

/** The upload as a browser or an agent's app sends it: the form's fields, then the file. */
function post(link: UploadLink, file: Uint8Array, type: string, extra: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...link.fields, ...extra })) form.append(name, value);
  form.append('file', new Blob([file], { type }), 'upload.bin');
  return fetch(link.url, { method: 'POST', body: form });
}

describe('POST /attachments', () => {
  it("hands out a POST form under the caller's uploads; a file of the declared size uploads and a reply attaches it, recorded on the message", async () => {
    // Arrange
    const file = new TextEncoder().encode('%PDF-1.4 a small invoice');
    const conversationId = await customerWrites('Invoice copy');
    // Act
    const { status, link } = await uploadLink({ filename: 'Invoice März.pdf', contentType: 'application/pdf', size: file.byteLength });
    const upload = await post(link, file, 'application/pdf');
    const stored = await h.aws.s3.send(new HeadObjectCommand({ Bucket: h.aws.bucket, Key: link.key }));
    const ref = { source: 's3' as const, key: link.key, filename: 'Invoice März.pdf', contentType: 'application/pdf' };
    const read = await new S3AttachmentSource(h.aws.s3, { uploadsBucket: h.aws.bucket }).fetch(ref);
    const reply = await h.call('POST', `/conversations/${conversationId}/reply`, { body: { text: 'Here is the copy.', attachments: [ref] } });
    // Assert
    expect(status).toBe(201);
    expect(link).toMatchObject({ method: 'POST', fields: { key: link.key, 'Content-Type': 'application/pdf' } });
    expect(link.key).toMatch(/^outbound\/uploads\/agents\/admin\/[0-9a-f-]{36}\/Invoice_M_rz\.pdf$/);
    expect(upload.status).toBe(204);
    expect(stored).toMatchObject({ ContentLength: file.byteLength, ContentType: 'application/pdf' });
    expect(read.content).toEqual(file);
    expect(reply.status).toBe(202);
    const queued = (await reply.json()) as { messageId: string; attachments: unknown[] };
    const recorded = { filename: 'Invoice März.pdf', contentType: 'application/pdf', size: file.byteLength, inline: false, contentId: null, checksum: null };
    expect(queued.attachments).toEqual([recorded]);
    const plan = await new S3OutboundPlanStore(h.aws.s3, h.aws.bucket).get('support', queued.messageId);
    expect(plan.attachments).toEqual([ref]);
  });

  it('lets a reply attach only uploads of its agent that are stored; a supervisor replying for an agent may attach theirs or their own', async () => {
    // Arrange
    const conversationId = await customerWrites('Two files');
    const mine = await uploaded('agent-1', 'a.txt');
    const theirs = await uploaded('agent-2', 'b.txt');
    const supervisors = await uploaded('supervisor-1', 'c.txt', 'from the supervisor');
    const { link: notYet } = await uploadLink({ filename: 'd.txt', contentType: 'text/plain', size: 5 }, 'agent-1');
    const replyAs = (user: string, attachments: unknown[], agentId?: string) =>
      h.as(user, 'POST', `/conversations/${conversationId}/reply`, { body: { text: 'Files attached.', attachments, ...(agentId ? { agentId } : {}) } });
    // Act
    const nope = await replyAs('agent-1', [{ ...mine, key: 'outbound/uploads/nope' }]);
    const foreign = await replyAs('agent-1', [mine, theirs]);
    const missing = await replyAs('agent-1', [{ ...mine, key: notYet.key }]);
    const own = await replyAs('agent-1', [mine]);
    const onBehalf = await replyAs('supervisor-1', [mine, supervisors], 'agent-1');
    const onBehalfForeign = await replyAs('supervisor-1', [theirs], 'agent-1');
    // Assert
    const fields = async (r: Response) => ((await r.json()) as { error: { issues: { field: string }[] } }).error.issues.map((i) => i.field);
    expect([nope.status, foreign.status, missing.status, onBehalfForeign.status]).toEqual([400, 400, 400, 400]);
    expect(await fields(nope)).toEqual(['attachments[0].key']);
    expect(await fields(foreign)).toEqual(['attachments[1].key']);
    expect(await fields(missing)).toEqual(['attachments[0].key']);
    expect(await fields(onBehalfForeign)).toEqual(['attachments[0].key']);
    expect(mine.key).toMatch(/^outbound\/uploads\/agents\/agent-1\//);
    expect(own.status).toBe(202);
    expect(onBehalf.status).toBe(202);
    const sent = (await onBehalf.json()) as { agentId: string; attachments: { filename: string; size: number }[] };
    expect(sent.agentId).toBe('agent-1');
    expect(sent.attachments.map((a) => [a.filename, a.size])).toEqual([
      ['a.txt', 5],
      ['c.txt', 19],
    ]);
  });

  it('is refused by the storage for a file larger (or smaller) than declared, another type or an added field', async () => {
    // Arrange
    const { link } = await uploadLink({ filename: 'report.pdf', contentType: 'application/pdf', size: 10 });
    // Act
    const larger = await post(link, new Uint8Array(11), 'application/pdf');
    const smaller = await post(link, new Uint8Array(9), 'application/pdf');
    const otherType = await post({ ...link, fields: { ...link.fields, 'Content-Type': 'text/html' } }, new Uint8Array(10), 'text/html');
    const addedField = await post(link, new Uint8Array(10), 'application/pdf', { 'x-amz-meta-evil': '1' });
    const exact = await post(link, new Uint8Array(10), 'application/pdf');
    // Assert
    expect(larger.status).toBe(400);
    expect(await larger.text()).toContain('<Code>EntityTooLarge</Code>');
    expect(smaller.status).toBe(400);
    expect(await smaller.text()).toContain('<Code>EntityTooSmall</Code>');
    expect(otherType.status).toBe(403);
    expect(addedField.status).toBe(403);
    expect(exact.status).toBe(204);
  });

  it('refuses a form whose signature does not match its policy', async () => {
    // Arrange: a policy rewritten to allow a gigabyte, signed with the old signature
    const { link } = await uploadLink({ filename: 'a.pdf', contentType: 'application/pdf', size: 10 });
    const policy = JSON.parse(Buffer.from(link.fields.Policy ?? '', 'base64').toString('utf8')) as { conditions: unknown[] };
    policy.conditions = policy.conditions.map((c) => (Array.isArray(c) && c[0] === 'content-length-range' ? ['content-length-range', 0, 2 ** 30] : c));
    const forged = { ...link, fields: { ...link.fields, Policy: Buffer.from(JSON.stringify(policy)).toString('base64') } };
    // Act
    const upload = await post(forged, new Uint8Array(100), 'application/pdf');
    // Assert
    expect(upload.status).toBe(403);
    expect(await upload.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
  });

  it.each([
    ['a filename that would break a header', { filename: 'a\r\nBcc: x@y.example.pdf', contentType: 'application/pdf', size: 10 }, 'filename'],
    ['a size over 25 MB', { filename: 'a.pdf', contentType: 'application/pdf', size: 25 * 1024 * 1024 + 1 }, 'size'],
    ['an unknown field', { filename: 'a.pdf', contentType: 'application/pdf', size: 10, sizeBytes: 10 }, 'sizeBytes'],
  ])('refuses %s with a 400 naming the field', async (_, body, field) => {
    // Act
    const response = await h.call('POST', '/attachments', { body });
    // Assert
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { issues: { field: string }[] } }).error.issues.map((i) => i.field)).toContain(field);
  });
});
