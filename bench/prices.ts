/**
 * List prices the cost figures use: AWS us-east-1, USD. No machine here reaches the pricing
 * pages, so each figure says where it comes from; check them before quoting the totals.
 */
export interface Price {
  readonly usd: number;
  readonly per: string;
  readonly source: string;
  /** When the figure was taken (as given or as known on that date). */
  readonly asOf: string;
}

const AS_OF = '2026-11-22';

export const PRICES = {
  sesReceivedMail: {
    usd: 0.1 / 1000,
    per: 'mail received',
    source: 'https://aws.amazon.com/ses/pricing/ (list price; not re-checked from the benchmark machine, which has no network)',
    asOf: AS_OF,
  },
  sesReceivedChunk: {
    usd: 0.09 / 1000,
    per: 'incoming 256 KB chunk',
    source: 'https://aws.amazon.com/ses/pricing/ (list price; not re-checked from the benchmark machine, which has no network)',
    asOf: AS_OF,
  },
  s3Put: {
    usd: 0.005 / 1000,
    per: 'PUT request (S3 Standard)',
    source: 'https://aws.amazon.com/s3/pricing/ (long-standing list price, not re-checked online)',
    asOf: AS_OF,
  },
  s3Get: {
    usd: 0.0004 / 1000,
    per: 'GET request (S3 Standard)',
    source: 'https://aws.amazon.com/s3/pricing/ (long-standing list price, not re-checked online)',
    asOf: AS_OF,
  },
  s3StorageGbMonth: {
    usd: 0.023,
    per: 'GB-month (S3 Standard, first 50 TB)',
    source: 'https://aws.amazon.com/s3/pricing/ (long-standing list price, not re-checked online)',
    asOf: AS_OF,
  },
  lambdaArmGbSecond: {
    usd: 0.0000133334,
    per: 'GB-second (arm64)',
    source: 'https://aws.amazon.com/lambda/pricing/ (list price; not re-checked from the benchmark machine, which has no network)',
    asOf: AS_OF,
  },
  lambdaRequest: {
    usd: 0.2 / 1_000_000,
    per: 'invocation',
    source: 'https://aws.amazon.com/lambda/pricing/ (list price; not re-checked from the benchmark machine, which has no network)',
    asOf: AS_OF,
  },
  sqsFifoRequest: {
    usd: 0.5 / 1_000_000,
    per: 'FIFO request (per 64 KB chunk)',
    source: 'https://aws.amazon.com/sqs/pricing/ (list price; not re-checked from the benchmark machine, which has no network)',
    asOf: AS_OF,
  },
  dynamoWriteUnit: {
    usd: 0.625 / 1_000_000,
    per: 'on-demand write request unit',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (after the Nov 2024 reduction; list price, not re-checked from the benchmark machine)',
    asOf: AS_OF,
  },
  dynamoReadUnit: {
    usd: 0.125 / 1_000_000,
    per: 'on-demand read request unit',
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/ (after the Nov 2024 reduction; list price, not re-checked from the benchmark machine)',
    asOf: AS_OF,
  },
  connectInboundEmail: {
    usd: 0.0035,
    per: 'inbound email message (Amazon Connect email, list price)',
    source: 'https://aws.amazon.com/connect/pricing/ (list price; not re-checked from the benchmark machine, which has no network)',
    asOf: AS_OF,
  },
} as const satisfies Record<string, Price>;

export type Prices = { readonly [K in keyof typeof PRICES]: Price };

/** Assumptions of the cost model that are not prices. */
export const ASSUMPTIONS = {
  /** SES receiving bills mail in chunks of this size. */
  sesChunkBytes: 256 * 1024,
  /** SQS bills each 64 KB of payload as one request. */
  sqsChunkBytes: 64 * 1024,
  /** The raw copy is counted for one month of storage; the stack's retention multiplies it. */
  storageMonths: 1,
  /**
   * Added per sequential AWS call to the handler time measured against loopback servers: a
   * same-region DynamoDB/S3/SQS round trip is a few ms, loopback well under one.
   */
  awsCallLatencyMs: 5,
  /** Requests an agent's app makes per pointer: one receive and one delete, unbatched. */
  consumerRequestsPerPointer: 2,
} as const;
