import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3AttachmentSource } from '../../../functions/adapters/outbound/s3-attachment-source.ts';
import { receiveMail } from '../../../functions/core/inbound/receive-mail.ts';
import { startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';
import { TestClock, customerMail, inboundDeps, inboundMail } from '../../support/inbound-deps.ts';

let h: AdminHarness;

beforeAll(async () => {
  h = await startAdminHarness();
});
afterAll(async () => h.stop());

interface UploadLink {
  url: string;
  fields: Record<string, string>;
  key: string;
  expiresAt: string;
  method: string;
}

async function uploadLink(body: unknown): Promise<{ status: number; link: UploadLink }> {
  const response = await h.call('POST', '/attachments', { body });
  return { status: response.status, link: (await response.json()) as UploadLink };
}

/** The upload as a browser or an agent's app sends it: the form's fields, then the file. */
function post(link: UploadLink, file: Uint8Array, type: string, extra: Record<string, string> = {}): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of Object.entries({ ...link.fields, ...extra })) form.append(name, value);
  form.append('file', new Blob([file], { type }), 'upload.bin');
  return fetch(link.url, { method: 'POST', body: form });
}

describe('POST /attachments', () => {
  it('hands out a POST form under the uploads the sender reads; a file of the declared size uploads and a reply attaches it', async () => {
    // Arrange
    const file = new TextEncoder().encode('%PDF-1.4 a small invoice');
    await h.aws.putRaw('inbound/raw/ses-attach-1', customerMail({ messageId: 'attach-1@customer.example', subject: 'Invoice copy' }));
    const outcome = await receiveMail(inboundDeps(h.aws, new TestClock()), inboundMail('ses-attach-1'));
    const conversationId = (outcome as { conversationId?: string }).conversationId ?? '';
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
    expect(link.key).toMatch(/^outbound\/uploads\//);
    expect(upload.status).toBe(204);
    expect(stored).toMatchObject({ ContentLength: file.byteLength, ContentType: 'application/pdf' });
    expect(read.content).toEqual(file);
    expect(reply.status).toBe(202);
    expect(h.replies.sent.at(-1)?.attachments).toEqual([expect.objectContaining({ source: 's3', key: link.key })]);
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
