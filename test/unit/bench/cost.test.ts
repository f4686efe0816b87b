import { describe, expect, it } from 'vitest';
import { costPerMillion, type CostInput } from '../../../bench/cost.ts';
import { ASSUMPTIONS, PRICES } from '../../../bench/prices.ts';

const small: CostInput = { bytes: 5 * 1024, handlerMs: 20, awsCalls: 12, memoryMb: 1024, s3Gets: 1, sqsSends: 1, readUnits: 1, writeUnits: 10 };

describe('costPerMillion', () => {
  it('prices a 5 KB mail per service at the list prices', () => {
    // Act
    const cost = costPerMillion(small);

    // Assert: SES $0.10 + one chunk $0.09 per 1,000 mails
    expect(cost.ses).toBeCloseTo(190, 6);
    // S3: PUT $5 + GET $0.40 per million, plus one month of 5 KB each
    expect(cost.s3).toBeCloseTo(5 + 0.4 + ((5 * 1024) / 1024 ** 3) * 0.023 * 1e6, 6);
    // Lambda: 20 ms + 12 calls x 5 ms = 80 ms at 1 GB, plus $0.20 per million requests
    expect(cost.billedMs).toBe(80);
    expect(cost.lambda).toBeCloseTo(0.2 + 0.08 * 0.0000133334 * 1e6, 6);
    // SQS: the send, the receive and the delete, $0.50 per million each
    expect(cost.sqs).toBeCloseTo(1.5, 6);
    // DynamoDB: 10 WRU x $0.625 + 1 RRU x $0.125 per million
    expect(cost.dynamodb).toBeCloseTo(6.375, 6);
    expect(cost.total).toBeCloseTo(cost.ses + cost.s3 + cost.lambda + cost.sqs + cost.dynamodb, 6);
    expect(cost.connect).toBe(3500);
  });

  it('bills SES per started 256 KB chunk and Lambda memory linearly', () => {
    const big = costPerMillion({ ...small, bytes: 40 * 1024 * 1024, memoryMb: 512 });

    expect(big.ses).toBeCloseTo(100 + 160 * 90, 6);
    expect(big.lambda).toBeCloseTo(0.2 + 0.5 * 0.08 * 0.0000133334 * 1e6, 6);
  });

  it('takes its prices and assumptions as parameters', () => {
    const free = Object.fromEntries(Object.entries(PRICES).map(([k, p]) => [k, { ...p, usd: 0 }])) as unknown as typeof PRICES;

    expect(costPerMillion(small, free, ASSUMPTIONS).total).toBe(0);
  });
});
