import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { administeredKey, allowKeyUse } from './key-policy.ts';

/**
 * Where uploaded mailbox archives wait for their import job: `imports/<channel>/<import>/archive`,
 * the key `createImportJob` (`functions/core/sources/import-job.ts`) gives a job.
 */
export const IMPORT_ARCHIVE_PREFIX = 'imports/';
/**
 * Days an uploaded archive is kept. A job reads its archive within hours of the upload; a week
 * leaves time to look into a failed import, and archives of up to 5 GB are not kept for the raw
 * mail retention (what they hold is stored as raw mail once imported).
 */
export const IMPORT_ARCHIVE_DAYS = 7;

export interface MailStorageProps {
  /**
   * What happens to the bucket, its key and the access logs when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Days the server access logs are kept.
   * @default 365
   */
  readonly accessLogDays?: number;
}

/**
 * The raw-mail bucket: SSE-KMS with a rotating customer key (default bucket encryption, so SES's
 * S3 action needs no key of its own and readers use plain GetObject), public access blocked,
 * TLS only, uploaded import archives expired after a week, server access logs to a second bucket.
 * Mail is deleted with its records, not by age (`Retention`: a lifecycle rule would see neither a
 * legal hold nor a channel's retention), so no rule expires the whole bucket.
 *
 * The key's policy names its users: the functions (`allowKeyUse`, through S3 only) and SES for
 * the receipt rules' writes (`RawMailAction`); the account only administers it.
 */
export class MailStorage extends Construct {
  readonly key: kms.Key;
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: MailStorageProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.key = administeredKey(this, 'Key', { description: 'Postroom mail data (raw mail and attachments)', removalPolicy });

    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(props.accessLogDays ?? 365) }],
      removalPolicy,
    });
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'mail/',
      lifecycleRules: [
        { id: 'abort-uploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        { id: 'import-archives', prefix: IMPORT_ARCHIVE_PREFIX, expiration: Duration.days(IMPORT_ARCHIVE_DAYS) },
      ],
      removalPolicy,
    });
  }

  /**
   * Lets `role` use the bucket key for objects it reads (`kms:Decrypt`) or writes
   * (`kms:GenerateDataKey`), named in the key policy and only through S3 in the stack's region.
   */
  allowKeyUse(role: iam.IRole, ...actions: ('kms:Decrypt' | 'kms:GenerateDataKey')[]): void {
    allowKeyUse(this.key, role, actions, { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.amazonaws.com` } });
  }
}
