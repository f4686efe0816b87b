import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, expect, it } from 'vitest';
import { S3RawMailStore } from '../../../functions/adapters/s3-raw-mail-store.ts';
import { NotFoundError } from '../../../functions/core/errors.ts';

const s3 = mockClient(S3Client);
beforeEach(() => s3.reset());

it('turns a missing object into NotFoundError', async () => {
  s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'gone', $metadata: { httpStatusCode: 404 } }));
  await expect(new S3RawMailStore(new S3Client({}), 'b').get('inbound/raw/x')).rejects.toBeInstanceOf(NotFoundError);
});

it('lets other failures through to be retried', async () => {
  s3.on(GetObjectCommand).rejects(Object.assign(new Error('slow down'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } }));
  const error = await new S3RawMailStore(new S3Client({}), 'b').get('k').catch((e: unknown) => e);
  expect(error).not.toBeInstanceOf(NotFoundError);
  expect((error as Error).name).toBe('SlowDown');
});
