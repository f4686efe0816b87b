import { GetObjectCommand, HeadObjectCommand, NoSuchKey, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { MailparserMimeParser } from '../../../../functions/adapters/mailparser-mime-parser.ts';
import { extractInboundAttachment } from '../../../../functions/adapters/outbound/inbound-attachment.ts';
import { S3AttachmentSource } from '../../../../functions/adapters/outbound/s3-attachment-source.ts';
import { S3AttachmentStager } from '../../../../functions/adapters/outbound/s3-attachment-stager.ts';
import { DependencyError, NotFoundError, PolicyError, ValidationError } from '../../../../functions/core/errors.ts';

const s3 = mockClient(S3Client);
const FIXTURE = readFileSync(join(import.meta.dirname, '../../../fixtures/mail/parse/outlook-html-related-cid.eml'));
const rawMail = { get: async (key: string) => (key === 'raw/1' ? new Uint8Array(FIXTURE) : Promise.reject(new NotFoundError(key))) };
// The part of the SDK's stream body the adapter reads.
const body = (s: string) => ({ transformToByteArray: async () => new Uint8Array(Buffer.from(s)) }) as never;

beforeEach(() => s3.reset());

describe('S3AttachmentSource', () => {
  it('reads an upload after checking its size, labelled as the reference says', async () => {
    // Arrange
    s3.on(HeadObjectCommand).resolves({ ContentLength: 5 });
    s3.on(GetObjectCommand).resolves({ Body: body('hello') });
    const source = new S3AttachmentSource(new S3Client({}), { uploadsBucket: 'uploads' });

    // Act
    const file = await source.fetch({ source: 's3', key: 'outbound/s/1/a.txt', filename: 'a.txt', contentType: 'text/plain' });

    // Assert
    expect(file).toEqual({ filename: 'a.txt', contentType: 'text/plain', content: new Uint8Array(Buffer.from('hello')) });
    expect(s3.commandCalls(GetObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'uploads', Key: 'outbound/s/1/a.txt' });
  });

  it('refuses an upload too large to send without downloading it', async () => {
    s3.on(HeadObjectCommand).resolves({ ContentLength: 35 * 1024 * 1024 });
    const source = new S3AttachmentSource(new S3Client({}), { uploadsBucket: 'uploads' });
    await expect(source.fetch({ source: 's3', key: 'k', filename: 'big.zip', contentType: 'application/zip' })).rejects.toThrow(PolicyError);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('translates a missing object and a failing S3', async () => {
    const source = new S3AttachmentSource(new S3Client({}), { uploadsBucket: 'uploads' });
    const ref = { source: 's3' as const, key: 'k', filename: 'a', contentType: 'text/plain' };
    s3.on(HeadObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
    await expect(source.fetch(ref)).rejects.toThrow(NotFoundError);
    s3.on(HeadObjectCommand).rejects(new S3ServiceException({ name: 'InternalError', $fault: 'server', message: 'boom', $metadata: { httpStatusCode: 500 } }));
    const error = await source.fetch(ref).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DependencyError);
    expect((error as DependencyError).retryable).toBe(true);
  });

  it('stages an inbound attachment into the uploads at the position the inbound parser lists it, and the source reads it from there', async () => {
    // Arrange
    const parsed = await new MailparserMimeParser().parse(new Uint8Array(FIXTURE));
    let n = 0;
    const stager = new S3AttachmentStager(new S3Client({}), 'uploads', rawMail, { next: () => `id${++n}` });
    s3.on(PutObjectCommand).resolves({});

    // Act
    const staged = await Promise.all(parsed.attachments.map((_, i) => stager.stage({ source: 'inbound', rawKey: 'raw/1', partIndex: i }, 'support')));
    const refused = new S3AttachmentSource(new S3Client({}), { uploadsBucket: 'uploads' }).fetch({ source: 'inbound', rawKey: 'raw/1', partIndex: 0 });

    // Assert
    expect(parsed.attachments.length).toBeGreaterThan(0);
    expect(staged.map((r) => [r.filename, r.contentType])).toEqual(parsed.attachments.map((a) => [a.filename, a.contentType]));
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    const written = puts.map((p) => [p.Key?.startsWith('outbound/uploads/staged/support/id'), (p.Body as Uint8Array).byteLength]);
    expect(written).toEqual(parsed.attachments.map((a) => [true, a.size]));
    await expect(refused).rejects.toThrow(ValidationError);
  });

  it('looks an upload up by key: its size, null when none is stored (404, or 403 without ListBucket), a DependencyError when S3 fails', async () => {
    // Arrange
    const stager = new S3AttachmentStager(new S3Client({}), 'uploads', rawMail, { next: () => 'id' });
    s3.on(HeadObjectCommand, { Key: 'outbound/uploads/agents/agent-1/u/a.txt' }).resolves({ ContentLength: 12 });
    s3.on(HeadObjectCommand, { Key: 'outbound/uploads/nope' }).rejects(new NoSuchKey({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
    s3.on(HeadObjectCommand, { Key: 'outbound/uploads/hidden' }).rejects(
      new S3ServiceException({ name: 'Forbidden', $fault: 'client', message: '', $metadata: { httpStatusCode: 403 } }),
    );
    s3.on(HeadObjectCommand, { Key: 'outbound/uploads/boom' }).rejects(
      new S3ServiceException({ name: 'InternalError', $fault: 'server', message: 'boom', $metadata: { httpStatusCode: 500 } }),
    );
    // Act
    const found = await stager.sizeOf('outbound/uploads/agents/agent-1/u/a.txt');
    const missing = await stager.sizeOf('outbound/uploads/nope');
    const hidden = await stager.sizeOf('outbound/uploads/hidden');
    const failing = await stager.sizeOf('outbound/uploads/boom').catch((e: unknown) => e);
    // Assert
    expect([found, missing, hidden]).toEqual([12, null, null]);
    expect(failing).toBeInstanceOf(DependencyError);
    expect((failing as DependencyError).retryable).toBe(true);
    expect(s3.commandCalls(HeadObjectCommand)[0]?.args[0].input).toEqual({ Bucket: 'uploads', Key: 'outbound/uploads/agents/agent-1/u/a.txt' });
  });

  it('finds an inbound attachment by filename, and refuses one that is not there', async () => {
    const parsed = await new MailparserMimeParser().parse(new Uint8Array(FIXTURE));
    const name = parsed.attachments[0]?.filename ?? '';
    await expect(extractInboundAttachment(FIXTURE, { filename: name })).resolves.toMatchObject({ filename: name });
    await expect(extractInboundAttachment(FIXTURE, { partIndex: 0, filename: 'other.png' })).rejects.toThrow(NotFoundError);
    await expect(extractInboundAttachment(FIXTURE, { partIndex: 99 })).rejects.toThrow(/no attachment #99/);
  });
});
