import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';

let h: AdminHarness;

beforeAll(async () => {
  h = await startAdminHarness();
});
afterAll(async () => h.stop());

describe('POST /attachments', () => {
  it('hands out a PUT URL under the uploads the sender reads, signed without a body checksum, that a real upload passes', async () => {
    // Arrange
    const file = Buffer.from('%PDF-1.4 a small invoice');
    // Act
    const response = await h.call('POST', '/attachments', { body: { filename: 'Invoice März.pdf', contentType: 'application/pdf', size: file.byteLength } });
    const link = (await response.json()) as { url: string; key: string; method: string; headers: Record<string, string> };
    const put = await fetch(link.url, { method: 'PUT', headers: link.headers, body: file });
    const stored = await h.aws.s3.send(new HeadObjectCommand({ Bucket: h.aws.bucket, Key: link.key }));
    // Assert
    expect(response.status).toBe(201);
    expect(link.key).toMatch(/^outbound\/uploads\//);
    expect(link.url).not.toMatch(/x-amz-checksum-|x-amz-sdk-checksum/i);
    expect(put.status).toBe(200);
    expect(stored.ContentLength).toBe(file.byteLength);
  });

  it('refuses a filename that would break a header', async () => {
    // Act
    const response = await h.call('POST', '/attachments', { body: { filename: 'a\r\nBcc: x@y.example.pdf', contentType: 'application/pdf', size: 10 } });
    // Assert
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.status).toBeLessThan(500);
  });
});
