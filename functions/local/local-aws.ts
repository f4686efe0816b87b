import { CreateTableCommand, DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateQueueCommand, GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { buildApp } from 'fauxqs';
import { fork } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAuditTableInput } from '../adapters/dynamo-audit-log.ts';
import { createTableInput } from '../adapters/dynamo-schema.ts';
import { FEEDBACK_MAX_RECEIVES, OUTBOUND_MAX_RECEIVES, SKILL_MAX_RECEIVES } from '../runtime/attempts.ts';
import { createDocumentClient, createS3Client, createSqsClient, type HandlerOptions } from '../runtime/clients.ts';
import { acceptFormUploads } from './s3-form-uploads.ts';

export const LOCAL_REGION = 'us-east-1';
/** Local servers accept any credentials; the SDK still wants some. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

export interface LocalAwsOptions {
  /** Skills, each getting a FIFO queue and a FIFO dead-letter queue. */
  readonly skills: readonly string[];
  /** Folder for dynalite's LevelDB files; in memory when absent. */
  readonly dynamoPath?: string | undefined;
  readonly tableName?: string;
  /** @default `<tableName>-audit` */
  readonly auditTableName?: string;
  readonly bucket?: string;
  /** Runs the servers in a child process, as the services live outside the functions in AWS; in this process by default. */
  readonly separateProcess?: boolean | undefined;
}

/** Local stand-ins for DynamoDB (dynalite), S3 and SQS (fauxqs), on 127.0.0.1 with free ports. */
export interface LocalAws {
  readonly endpoints: { readonly dynamodb: string; readonly s3: string; readonly sqs: string };
  readonly db: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  readonly tableName: string;
  /** The append-only audit table, as in AWS a table of its own. */
  readonly auditTableName: string;
  readonly bucket: string;
  /** Skill name → FIFO queue URL. */
  readonly queueUrls: Record<string, string>;
  /** Skill name → its dead-letter queue URL. */
  readonly deadLetterQueueUrls: Record<string, string>;
  /** The outbound FIFO queue (agents' replies waiting to be sent), its ARN and dead-letter queue. */
  readonly outbound: { readonly queueUrl: string; readonly queueArn: string; readonly deadLetterQueueUrl: string };
  /** The feedback queue (SES events as SNS delivers them) and its dead-letter queue: standard queues, as in AWS. */
  readonly feedback: { readonly queueUrl: string; readonly queueArn: string; readonly deadLetterQueueUrl: string };
  /** The pids of the servers' child processes; empty when they run in this process. */
  readonly serverPids: readonly number[];
  putRaw(key: string, raw: string | Uint8Array): Promise<void>;
  stop(): Promise<void>;
}

/** What the sandbox gives the handler factories: its servers' clients, logs at `logLevel`, no metrics or traces to publish. */
export function localHandlerOptions(aws: LocalAws, logLevel = 'INFO'): Required<HandlerOptions> {
  return { clients: { db: aws.db, s3: aws.s3, sqs: aws.sqs }, observability: { logLevel, publish: false } };
}

/** dynalite and fauxqs listening on 127.0.0.1, in this process. */
export interface LocalServers {
  readonly ports: { readonly dynamodb: number; readonly s3: number };
  stop(): Promise<void>;
}

/**
 * Starts dynalite and fauxqs in this process, bound to 127.0.0.1 only (fauxqs binds every
 * interface unless told otherwise). `dynamoPath` keeps dynalite's LevelDB files; in memory when absent.
 */
export async function startLocalServers(dynamoPath?: string): Promise<LocalServers> {
  const dynamo = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, ...(dynamoPath ? { path: dynamoPath } : {}) });
  await new Promise<void>((resolve, reject) => {
    dynamo.once('error', reject);
    dynamo.listen(0, '127.0.0.1', () => resolve());
  });
  const fauxqs = buildApp({ logger: false });
  let uploads: S3Client | null = null;
  // Reply attachments are uploaded with presigned POST forms, which fauxqs does not take by itself:
  // accepted forms are stored through fauxqs's own S3 API.
  acceptFormUploads(fauxqs, {
    secretAccessKey: LOCAL_CREDENTIALS.secretAccessKey,
    s3: () =>
      (uploads ??= createS3Client({ region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS }, endpoint: `http://127.0.0.1:${port(fauxqs.server)}` })),
  });
  await fauxqs.listen({ host: '127.0.0.1', port: 0 });
  return {
    ports: { dynamodb: port(dynamo), s3: port(fauxqs.server) },
    async stop() {
      uploads?.destroy();
      await fauxqs.close();
      await new Promise<void>((resolve, reject) => dynamo.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

const port = (server: { address(): AddressInfo | string | null }): number => (server.address() as AddressInfo).port;

const CHILD = join(import.meta.dirname, 'local-aws-child.ts');

/** What `local-aws-child.ts` gets as argv[2] (JSON). */
export interface LocalAwsChildSpec {
  readonly dynamoPath?: string | undefined;
}

/**
 * `startLocalServers` in a child process (`local-aws-child.ts`, loaded through tsx), ended with
 * SIGTERM by `stop` or by the IPC channel closing when this process dies.
 */
async function startServersProcess(dynamoPath?: string): Promise<LocalServers & { readonly pid: number }> {
  const spec: LocalAwsChildSpec = { dynamoPath };
  const child = fork(CHILD, [JSON.stringify(spec)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = `${stderr}${chunk.toString()}`.slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ports = await new Promise<LocalServers['ports']>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the local AWS servers did not start in 30 s: ${stderr}`));
    }, 30_000);
    child.once('message', (message: { ready?: LocalServers['ports']; error?: string }) => {
      clearTimeout(timer);
      if (message.ready) resolve(message.ready);
      else reject(new Error(`the local AWS servers failed: ${message.error ?? 'unknown'} ${stderr}`));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the local AWS servers exited before they were ready (${code ?? signal}): ${stderr}`));
    });
  });
  return {
    ports,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Starts dynalite and fauxqs, in this process or (`separateProcess`) in a child process, and
 * creates the table, the mail bucket and the queues.
 */
export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const servers: LocalServers & { readonly pid: number | null } = options.separateProcess
    ? await startServersProcess(options.dynamoPath)
    : { ...(await startLocalServers(options.dynamoPath)), pid: null };
  const endpoints = {
    dynamodb: `http://127.0.0.1:${servers.ports.dynamodb}`,
    s3: `http://127.0.0.1:${servers.ports.s3}`,
    sqs: `http://127.0.0.1:${servers.ports.s3}`,
  };
  return provisionLocalAws(endpoints, options, { pids: () => (servers.pid === null ? [] : [servers.pid]), stop: () => servers.stop() });
}

/**
 * Creates on servers that speak the AWS APIs what a deployment has: the table and the audit
 * table, the mail bucket, a FIFO queue and dead-letter queue per skill, the outbound and feedback
 * queues; answers the clients and names. `servers` says where they run and ends them with `stop`.
 */
export async function provisionLocalAws(
  endpoints: LocalAws['endpoints'],
  names: Pick<LocalAwsOptions, 'skills' | 'tableName' | 'auditTableName' | 'bucket'>,
  servers: { pids(): readonly number[]; stop(): Promise<void> },
): Promise<LocalAws> {
  // Each client gets its own copy: the SDK writes bookkeeping fields into the object it is given.
  const common = () => ({ region: LOCAL_REGION, credentials: { ...LOCAL_CREDENTIALS } });
  const db = createDocumentClient({ ...common(), endpoint: endpoints.dynamodb });
  const s3 = createS3Client({ ...common(), endpoint: endpoints.s3 });
  const sqs = createSqsClient({ ...common(), endpoint: endpoints.sqs });

  const tableName = names.tableName ?? 'postroom';
  const bucket = names.bucket ?? 'postroom-mail';
  const auditTableName = names.auditTableName ?? `${tableName}-audit`;
  for (const input of [createTableInput(tableName), createAuditTableInput(auditTableName)]) {
    const exists = await db.send(new DescribeTableCommand({ TableName: input.TableName })).then(
      () => true,
      () => false,
    );
    if (!exists) await db.send(new CreateTableCommand(input));
  }
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const queueUrls: Record<string, string> = {};
  const deadLetterQueueUrls: Record<string, string> = {};
  for (const skill of names.skills) {
    deadLetterQueueUrls[skill] = await createFifoQueue(sqs, `${skill}-dlq.fifo`, {});
    const dlqArn = await queueArn(sqs, deadLetterQueueUrls[skill]);
    queueUrls[skill] = await createFifoQueue(sqs, `${skill}.fifo`, {
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: SKILL_MAX_RECEIVES }),
    });
  }

  const outboundDlq = await createFifoQueue(sqs, 'outbound-dlq.fifo', {});
  const outboundUrl = await createFifoQueue(sqs, 'outbound.fifo', {
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await queueArn(sqs, outboundDlq), maxReceiveCount: OUTBOUND_MAX_RECEIVES }),
  });
  const outbound = { queueUrl: outboundUrl, queueArn: await queueArn(sqs, outboundUrl), deadLetterQueueUrl: outboundDlq };
  const feedbackDlq = await createQueue(sqs, 'feedback-dlq', {});
  // A short visibility timeout: an event that arrives before its send is recorded comes back soon.
  const feedbackUrl = await createQueue(sqs, 'feedback', {
    VisibilityTimeout: '1',
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await queueArn(sqs, feedbackDlq), maxReceiveCount: FEEDBACK_MAX_RECEIVES }),
  });
  const feedback = { queueUrl: feedbackUrl, queueArn: await queueArn(sqs, feedbackUrl), deadLetterQueueUrl: feedbackDlq };

  return {
    endpoints,
    db,
    s3,
    sqs,
    tableName,
    auditTableName,
    bucket,
    queueUrls,
    deadLetterQueueUrls,
    outbound,
    feedback,
    get serverPids() {
      return servers.pids();
    },
    async putRaw(key, raw) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: raw }));
    },
    async stop() {
      db.destroy();
      s3.destroy();
      sqs.destroy();
      await servers.stop();
    },
  };
}

function createFifoQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  return createQueue(sqs, name, { FifoQueue: 'true', ContentBasedDeduplication: 'false', ...attributes });
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>): Promise<string> {
  const out = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!out.QueueUrl) throw new Error(`local SQS returned no URL for ${name}`);
  return out.QueueUrl;
}

async function queueArn(sqs: SQSClient, url: string): Promise<string> {
  const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }));
  const arn = out.Attributes?.QueueArn;
  if (!arn) throw new Error(`local SQS returned no ARN for ${url}`);
  return arn;
}
