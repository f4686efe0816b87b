import type { Tracer } from '@aws-lambda-powertools/tracer';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { SESv2Client, type SESv2ClientConfig } from '@aws-sdk/client-sesv2';
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { withDomainErrors } from '../adapters/aws-errors.ts';
import type { ObservabilityOptions } from './observability.ts';

/*
 * SDK client factories. In Lambda, region, credentials and endpoints come from the runtime's
 * environment (read by the SDK itself); the sandbox and the tests build clients on their local
 * servers' endpoints and hand them to the handler factories (`AwsClients`). Build clients once per
 * container, in the handler factory. Every client translates AWS errors into the domain's
 * (`withDomainErrors`), so the core never names an AWS exception.
 */

/** The DynamoDB, S3 and SQS clients a function works with. */
export interface AwsClients {
  readonly db: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
}

/** What the sandbox and the tests give a handler factory in place of what Lambda provides. */
export interface HandlerOptions<C = AwsClients> {
  /** Clients on local endpoints; traced clients of the Lambda environment when absent. */
  readonly clients?: C;
  /** The log level, and whether metrics and traces are published (not outside Lambda). */
  readonly observability?: Pick<ObservabilityOptions, 'logLevel' | 'publish'>;
}

/** The clients of a Lambda function, each traced (X-Ray) when tracing is on. */
export function tracedClients(tracer: Pick<Tracer, 'captureAWSv3Client'>): AwsClients {
  return {
    db: tracer.captureAWSv3Client(createDocumentClient()),
    s3: tracer.captureAWSv3Client(createS3Client()),
    sqs: tracer.captureAWSv3Client(createSqsClient()),
  };
}

/** DynamoDB document client; `undefined` fields are dropped, Sets become string sets. */
export function createDocumentClient(config: DynamoDBClientConfig = {}): DynamoDBDocumentClient {
  return withDomainErrors(
    DynamoDBDocumentClient.from(withDomainErrors(new DynamoDBClient(config)), {
      marshallOptions: { removeUndefinedValues: true },
    }),
  );
}

/**
 * S3 client; path-style addressing when an endpoint override is set (local servers have no
 * bucket DNS). Body checksums only where S3 requires them: by default the SDK signs a CRC32 of
 * the (empty) body into presigned upload URLs, and S3 then refuses every real upload.
 */
export function createS3Client(config: S3ClientConfig = {}): S3Client {
  const local = Boolean(config.endpoint ?? process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL);
  return withDomainErrors(new S3Client({ forcePathStyle: local, requestChecksumCalculation: 'WHEN_REQUIRED', ...config }));
}

/**
 * SQS client. `useQueueUrlAsEndpoint: false`: local servers hand out queue URLs whose host
 * (`sqs.<region>.localhost`) does not resolve; the configured endpoint must be used instead.
 */
export function createSqsClient(config: SQSClientConfig = {}): SQSClient {
  return withDomainErrors(new SQSClient({ useQueueUrlAsEndpoint: false, ...config }));
}

/**
 * SESv2 client. Its errors are translated by the SES transport itself (which knows which SES
 * refusals are permanent), not by the generic AWS translation.
 */
export function createSesClient(config: SESv2ClientConfig = {}): SESv2Client {
  return new SESv2Client(config);
}
