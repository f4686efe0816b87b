import { S3Client } from '@aws-sdk/client-s3';
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { presignAttachmentUpload } from '../../../../functions/adapters/outbound/s3-upload-url.ts';
import { HeaderInjectionError, ValidationError } from '../../../../functions/core/errors.ts';

const SECRET = 'secret';
const client = () => new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: SECRET } });
const request = { agentId: 'agent-1', filename: 'Rechnung März.pdf', contentType: 'application/pdf', size: 1234 };

/** The policy document of a form, decoded. */
function policyOf(fields: Readonly<Record<string, string>>): { expiration: string; conditions: unknown[] } {
  return JSON.parse(Buffer.from(fields.Policy ?? '', 'base64').toString('utf8')) as { expiration: string; conditions: unknown[] };
}

/** SigV4 of a POST policy (AWS: "Calculating a signature" for browser-based uploads). */
function sign(policy: string, date: string): string {
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  const key = ['eu-west-1', 's3', 'aws4_request'].reduce((k, part) => hmac(k, part), hmac(`AWS4${SECRET}`, date));
  return createHmac('sha256', key).update(policy).digest('hex');
}

describe('presignAttachmentUpload', () => {
  it("signs a POST policy that fixes the key (below the uploading agent's prefix), the Content-Type and the exact size", async () => {
    // Arrange
    const before = Date.now();
    // Act
    const form = await presignAttachmentUpload(client(), 'uploads', { next: () => 'u-1' }, request);
    // Assert
    const key = 'outbound/uploads/agents/agent-1/u-1/Rechnung_M_rz.pdf';
    expect(form.ref).toEqual({ source: 's3', key, filename: 'Rechnung März.pdf', contentType: 'application/pdf' });
    expect(new URL(form.url).hostname).toBe('uploads.s3.eu-west-1.amazonaws.com');
    expect(form.fields).toMatchObject({ key, 'Content-Type': 'application/pdf', bucket: 'uploads', 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256' });
    const policy = policyOf(form.fields);
    expect(policy.conditions).toEqual(
      expect.arrayContaining([['content-length-range', 1234, 1234], { 'Content-Type': 'application/pdf' }, { key }, { bucket: 'uploads' }]),
    );
    const expires = Date.parse(policy.expiration);
    expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 899_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 900_000);
    expect(form.fields['X-Amz-Signature']).toBe(sign(form.fields.Policy ?? '', (form.fields['X-Amz-Date'] ?? '').slice(0, 8)));
  });

  it('signs every field the form carries into the policy, so none can be changed', async () => {
    // Act
    const form = await presignAttachmentUpload(client(), 'uploads', { next: () => 'u-1' }, request);
    // Assert
    const covered = policyOf(form.fields).conditions.flatMap((c) => (Array.isArray(c) ? [] : Object.keys(c as object)));
    const signed = Object.keys(form.fields).filter((f) => !['Policy', 'X-Amz-Signature'].includes(f));
    expect(covered.sort()).toEqual(signed.sort());
  });

  it.each([0, -1, 1.5, 25 * 1024 * 1024 + 1, Number.NaN])('refuses a declared size of %s', async (size) => {
    // Act
    const error = await presignAttachmentUpload(client(), 'uploads', { next: () => 'u' }, { ...request, size }).catch((e: unknown) => e);
    // Assert
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues).toEqual([{ path: 'size', message: 'whole bytes between 1 and 26214400' }]);
  });

  it('refuses a lifetime out of range', async () => {
    await expect(presignAttachmentUpload(client(), 'uploads', { next: () => 'u' }, { ...request, expiresIn: 59 })).rejects.toThrow(/expiresIn/);
  });

  it('refuses a filename with a line break or a path, and a type that is no MIME type', async () => {
    const at = (filename: string, contentType = 'text/plain') =>
      presignAttachmentUpload(client(), 'uploads', { next: () => 'u' }, { ...request, filename, contentType });
    await expect(at('a\r\nb')).rejects.toThrow(HeaderInjectionError);
    await expect(at('../../etc/passwd')).rejects.toThrow(ValidationError);
    await expect(at('a.txt', 'text/plain\r\nX-Evil: 1')).rejects.toThrow(ValidationError);
  });
});
