import { execFile } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { DynamoChannelDirectory } from '../functions/adapters/dynamo-channel-directory.ts';
import { SystemClock } from '../functions/adapters/system-clock.ts';
import { LOCAL_CREDENTIALS, LOCAL_REGION, startLocalAws, type LocalAws } from '../functions/local/local-aws.ts';
import { ALL_PASS, newSesMessageId, sesReceiptEvent } from '../functions/local/ses-receipt.ts';
import { RAW_MAIL_PREFIX } from '../functions/runtime/ses-event.ts';
import { benchChannel } from './core-ratio.ts';
import { generateMail } from './mails.ts';
import { median, round } from './stats.ts';

const run = promisify(execFile);

/** The inbound function's cold start with its first mail: each in a fresh process, medians. */
export interface FirstMailResult {
  /** Import of the bundle, ms. */
  readonly importMs: number;
  /** The handler's first invocation: one new 5 KB mail, SES receipt event to the pointer on its queue, ms. */
  readonly handleMs: number;
  /** Import plus the first mail, ms (median of the sums). */
  readonly totalMs: number;
  readonly sourceMaps: boolean;
  readonly runs: number;
}

/** Marks the child's result line among the handler's log lines. */
const MARK = 'postroom-bench-first-mail ';

/** Child script: import the bundle, then hand it one receipt event; prints both times after `MARK`. */
function childScript(file: string, event: unknown): string {
  const context = {
    functionName: 'Inbound',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:inbound',
    memoryLimitInMB: '1024',
    awsRequestId: 'bench',
    getRemainingTimeInMillis: () => 60_000,
  };
  return [
    `const t0 = performance.now(); const { handler } = await import(${JSON.stringify(pathToFileURL(file).href)}); const t1 = performance.now();`,
    `await handler(${JSON.stringify(event)}, { ...${JSON.stringify(context)}, getRemainingTimeInMillis: () => 60000 });`,
    `const t2 = performance.now(); process.stdout.write('\\n${MARK}' + JSON.stringify({ importMs: t1 - t0, handleMs: t2 - t1 }) + '\\n');`,
  ].join('\n');
}

/**
 * Imports the inbound bundle in a fresh process and hands it one new mail, as SES would (raw copy
 * in the bucket, receipt event), against dynalite and fauxqs: the cold start a mail waits for.
 * `env` is the function's environment from the template; its table, bucket and queues are
 * replaced by the local servers'. The channel and the ticket counter exist beforehand (the
 * deployment's very first mail seeds the counter once), so this is any container's first mail.
 * Outside Lambda the Tracer is off, as in the import runs.
 */
export async function measureFirstMail(
  file: string,
  env: Readonly<Record<string, string>>,
  options: { readonly runs: number; readonly sourceMaps: boolean },
): Promise<FirstMailResult> {
  const runner = await startFirstMailRunner();
  try {
    await runner.once(file, env, options.sourceMaps); // the deployment's first mail: seeds the ticket counter
    const rows: FirstMailTimes[] = [];
    for (let n = 0; n < options.runs; n++) rows.push(await runner.once(file, env, options.sourceMaps));
    return { ...summarize(rows), sourceMaps: options.sourceMaps, runs: options.runs };
  } finally {
    await runner.stop();
  }
}

/** One fresh process: the import and the first mail, ms. */
export interface FirstMailTimes {
  readonly importMs: number;
  readonly handleMs: number;
}

/** Medians of runs; the total is the median of each run's sum. */
export function summarize(rows: readonly FirstMailTimes[]): { importMs: number; handleMs: number; totalMs: number } {
  return {
    importMs: round(median(rows.map((r) => r.importMs)), 1),
    handleMs: round(median(rows.map((r) => r.handleMs)), 1),
    totalMs: round(median(rows.map((r) => r.importMs + r.handleMs)), 1),
  };
}

/** Local servers with the bench channel and its ticket counter, handing one new mail at a time to a bundle in a fresh process. */
export async function startFirstMailRunner(): Promise<{
  once: (file: string, env: Readonly<Record<string, string>>, sourceMaps: boolean) => Promise<FirstMailTimes>;
  stop: () => Promise<void>;
}> {
  const channel = benchChannel();
  const aws = await startLocalAws({ skills: [channel.defaultSkill] });
  let n = 0;
  const once = async (file: string, env: Readonly<Record<string, string>>, sourceMaps: boolean): Promise<FirstMailTimes> => {
    const sesMessageId = newSesMessageId();
    await aws.putRaw(
      `${RAW_MAIL_PREFIX}${sesMessageId}`,
      generateMail('reply-5k', { messageId: `first-${n++}-${sesMessageId}@customer.example`, inReplyTo: null, subject: 'Printer broken' }),
    );
    const event = sesReceiptEvent({
      sesMessageId,
      mailFrom: 'anna@customer.example',
      recipients: [channel.address],
      verdicts: ALL_PASS,
      receivedAt: new Date(),
    });
    const { stdout } = await run(process.execPath, [...(sourceMaps ? ['--enable-source-maps'] : []), '--input-type=module', '-e', childScript(file, event)], {
      env: { PATH: process.env.PATH ?? '', ...localEnv(aws, env) },
      maxBuffer: 16 * 1024 * 1024,
    });
    const line = stdout.split('\n').find((l) => l.startsWith(MARK));
    if (!line) throw new Error(`first mail: no result from the child\n${stdout.slice(-2000)}`);
    return JSON.parse(line.slice(MARK.length)) as FirstMailTimes;
  };
  try {
    await new DynamoChannelDirectory(aws.db, aws.tableName, { clock: new SystemClock(), cacheMs: 0 }).put(channel);
  } catch (error) {
    await aws.stop();
    throw error;
  }
  return { once, stop: () => aws.stop() };
}

/** The function's environment on the local servers: their table, bucket, queues and endpoints. */
export function localEnv(aws: LocalAws, env: Readonly<Record<string, string>>): Record<string, string> {
  return {
    ...env,
    TABLE_NAME: aws.tableName,
    MAIL_BUCKET: aws.bucket,
    SKILL_QUEUE_URLS: JSON.stringify(aws.queueUrls),
    OUTBOUND_QUEUE_URL: aws.outbound.queueUrl,
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: aws.endpoints.dynamodb,
    AWS_ENDPOINT_URL_S3: aws.endpoints.s3,
    AWS_ENDPOINT_URL_SQS: aws.endpoints.sqs,
  };
}
