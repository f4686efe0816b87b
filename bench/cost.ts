import { ASSUMPTIONS, PRICES, type Prices } from './prices.ts';

/** What one mail costs the pipeline, measured or counted. */
export interface CostInput {
  readonly bytes: number;
  /** Handler time measured against local servers (ms), before the per-call latency allowance. */
  readonly handlerMs: number;
  /** AWS calls the handler makes (sequentially) for the mail. */
  readonly awsCalls: number;
  readonly memoryMb: number;
  readonly s3Gets: number;
  readonly sqsSends: number;
  readonly readUnits: number;
  readonly writeUnits: number;
}

/** USD per 1,000,000 mails, per service, and the published Amazon Connect figure beside it. */
export interface CostPerMillion {
  readonly ses: number;
  readonly s3: number;
  readonly lambda: number;
  readonly sqs: number;
  readonly dynamodb: number;
  readonly total: number;
  /** Lambda milliseconds billed per mail (1 ms granularity). */
  readonly billedMs: number;
  readonly connect: number;
}

const MILLION = 1_000_000;
const GIB = 1024 ** 3;

/**
 * Cost of 1,000,000 mails like `input` through SES receiving, S3, the inbound Lambda, the skill
 * queue (the send plus the agent app's receive and delete) and DynamoDB on demand.
 */
export function costPerMillion(input: CostInput, prices: Prices = PRICES, assumptions = ASSUMPTIONS): CostPerMillion {
  const chunks = Math.max(1, Math.ceil(input.bytes / assumptions.sesChunkBytes));
  const ses = prices.sesReceivedMail.usd + chunks * prices.sesReceivedChunk.usd;
  const storage = (input.bytes / GIB) * prices.s3StorageGbMonth.usd * assumptions.storageMonths;
  const s3 = prices.s3Put.usd + input.s3Gets * prices.s3Get.usd + storage;
  const billedMs = Math.ceil(input.handlerMs + input.awsCalls * assumptions.awsCallLatencyMs);
  const lambda = prices.lambdaRequest.usd + (input.memoryMb / 1024) * (billedMs / 1000) * prices.lambdaArmGbSecond.usd;
  const sqs = input.sqsSends * (1 + assumptions.consumerRequestsPerPointer) * prices.sqsFifoRequest.usd;
  const dynamodb = input.writeUnits * prices.dynamoWriteUnit.usd + input.readUnits * prices.dynamoReadUnit.usd;
  const perMail = { ses, s3, lambda, sqs, dynamodb };
  const total = ses + s3 + lambda + sqs + dynamodb;
  return {
    ...(Object.fromEntries(Object.entries(perMail).map(([k, v]) => [k, v * MILLION])) as Omit<CostPerMillion, 'total' | 'billedMs' | 'connect'>),
    total: total * MILLION,
    billedMs,
    connect: prices.connectInboundEmail.usd * MILLION,
  };
}
