import { describe, expect, it } from 'vitest';
import type { CallProfile } from '../../../bench/calls.ts';
import type { BundleRow, ColdStartResult, ImportRow } from '../../../bench/cold-start.ts';
import type { HostileResult, HostileRow } from '../../../bench/hostile.ts';
import { type BenchResult, checkGoals, hostileLines, importLines, sendPathLines } from '../../../bench/report.ts';
import type { SendPathResult } from '../../../bench/send-path.ts';

const profile = (sequence: string[]): CallProfile => ({
  total: sequence.length,
  byOperation: [{ service: 'DynamoDB', operation: 'PutItem', calls: sequence.length, readUnits: 0, writeUnits: sequence.length }],
  sequence,
  units: sequence.map((call) => (call.startsWith('DynamoDB ') ? 2 : 0)),
});

const bundle = (role: BundleRow['role'], flags: string[]): BundleRow => ({
  path: `Postroom/${role ?? 'AWS679f'}/Function/Resource`,
  role,
  file: 'index.mjs',
  bytes: 1024,
  assetBytes: 2048,
  files: 1,
  sourceMapBytes: 0,
  memoryMb: 1024,
  architecture: 'arm64',
  packages: [],
  flags,
});

const hostileRow = (kind: HostileRow['kind'], decideMs: number, tags: string[] = []): HostileRow => ({
  kind,
  bytes: 1_048_576,
  floorMs: 200,
  floorFailed: false,
  floorLeanMs: 20,
  decideMs,
  tags,
});

function hostileResult(rows: HostileRow[]): HostileResult {
  return { rounds: 3, rows, slowest: rows.reduce((a, b) => (b.decideMs > a.decideMs ? b : a)) };
}

function result(bundles: BundleRow[], importMs: number, hostile = hostileResult([hostileRow('long-line', 40)])): Omit<BenchResult, 'goals'> {
  const coldStart = {
    source: 'synth',
    bundles,
    importMs,
    importMsNoSourceMaps: importMs,
    firstMail: null,
    imports: [],
    missing: [],
    runs: 3,
    inboundMemoryMb: 1024,
  } satisfies ColdStartResult;
  return { coreRatio: [], hostile, calls: { reply: profile(['a', 'b', 'c', 'd', 'e']) }, memory: [], endToEnd: null, coldStart } as unknown as Omit<
    BenchResult,
    'goals'
  >;
}

describe('benchmark goals', () => {
  it('checks each Postroom bundle against its package rules, and skips CDK providers', () => {
    // Act
    const goals = checkGoals(result([bundle('inbound', []), bundle('outbound', ['carries mailparser']), bundle(null, [])], 120));

    // Assert
    expect(goals).toEqual([
      { goal: 'slowest hostile mail decided in <= 1000 ms', measured: '40 ms (long-line)', pass: true },
      { goal: 'AWS calls for a reply <= 5', measured: '5', pass: true },
      { goal: 'inbound bundle import <= 150 ms', measured: '120 ms', pass: true },
      { goal: 'inbound bundle: carries mailparser, no nodemailer', measured: 'as required', pass: true },
      { goal: 'outbound bundle: carries nodemailer, no mailparser', measured: 'carries mailparser', pass: false },
    ]);
  });

  it('keeps the inbound import goal at 150 ms', () => {
    expect(checkGoals(result([], 151)).find((g) => g.goal.startsWith('inbound bundle import'))?.pass).toBe(false);
  });

  it('misses the hostile-mail goal when the slowest pathological mail takes more than a second', () => {
    // Arrange
    const hostile = hostileResult([hostileRow('long-line', 40), hostileRow('html-nested-div', 1200), hostileRow('header-keys', 90)]);

    // Act
    const goal = checkGoals(result([], 100, hostile)).find((g) => g.goal.startsWith('slowest hostile mail'));

    // Assert
    expect(goal).toEqual({ goal: 'slowest hostile mail decided in <= 1000 ms', measured: '1200 ms (html-nested-div)', pass: false });
  });
});

describe('hostile mail lines', () => {
  it('prints a row per mail with both ratios and the limits it met, and names the slowest', () => {
    // Arrange
    const hostile = hostileResult([
      hostileRow('long-line', 40, ['limit-line-length', 'list']),
      { ...hostileRow('html-nested-div', 300, ['limit-html-depth']), floorFailed: true },
    ]);

    // Act
    const lines = hostileLines(hostile).join('\n');

    // Assert
    expect(lines).toMatch(/long-line\s+1048576\s+200\.0\s+20\.0\s+40\.0\s+0\.20\s+2\.00\s+limit-line-length\n/);
    expect(lines).toMatch(/html-nested-div\s+1048576\s+200\.0\*\s+20\.0\s+300\.0\s+1\.50\s+15\.00\s+limit-html-depth/);
    expect(lines).toContain('slowest: html-nested-div (text/html, 200,000 unclosed `<div>`), 300 ms;\n    1.50 of the floor, 15.00 of the lean floor');
  });
});

describe('send path and import lines', () => {
  it('prints both sides of a reply with their order, and the median times', () => {
    // Arrange
    const calls = { queue: profile(['SQS SendMessage']), send: profile(['DynamoDB PutItem OUTBOUND', 'SES SendEmail']), total: 3 };
    const path: SendPathResult = { firstReply: calls, reply: calls, stable: true, rounds: 15, queueMs: 12.34, sendMs: 30.06 };

    // Act
    const lines = sendPathLines(path);

    // Assert
    expect(lines[0]).toBe('  first reply in a container: 3 calls = queue 1 + send 2');
    expect(lines).toContain('              order: DynamoDB PutItem OUTBOUND 2W > SES SendEmail');
    expect(lines).toContain('              DynamoDB: 0 RRU + 2 WRU');
    expect(lines.at(-1)).toBe('  median of 15: queueReply 12.3 ms, send handler (sendOutbound) 30.1 ms');
  });

  it('prints an import row per function and where its time goes, small shares left out', () => {
    const row: ImportRow = {
      path: 'Postroom/Outbound/Send/Function/Resource',
      role: 'outbound',
      importMs: 190.2,
      sourceMaps: false,
      importMsSourceMaps: 240.4,
      importMsNoSourceMaps: 190.2,
      env: ['TABLE_NAME'],
      profiledMs: 250,
      byGroup: [
        { group: '(V8 compiling the bundle: compileSourceTextModule)', ms: 110 },
        { group: 'zod', ms: 15.04 },
        { group: 'other', ms: 0.2 },
      ],
      topPackages: [
        { group: '(garbage collector)', ms: 9 },
        { group: 'zod', ms: 15.04 },
      ],
      bytesByGroup: [
        { group: 'zod', bytes: 300 },
        { group: 'nodemailer', bytes: 100 },
      ],
    };

    const lines = importLines([row], 7).join('\n');

    expect(lines).toMatch(/Postroom\/Outbound\/Send\s+190\s+240\s+190\s+250/);
    expect(lines).toContain('(V8 compiling the bundle: compileSourceTextModule) 110.0; zod 15.0\n');
    expect(lines).toContain('top packages: zod 15.0\n');
    expect(lines).toContain('bundle by group (share of bytes): zod 75%, nodemailer 25%');
  });

  it('prints the inbound first mail beside the imports: import, handling and their sum', () => {
    const lines = importLines([], 7, { importMs: 120.4, handleMs: 301.2, totalMs: 424.9, sourceMaps: false, runs: 7 }).join('\n');

    expect(lines).toContain('inbound first mail (a new 5 KB mail, local servers, without source maps, median of 7): import 120 ms + handling 301 ms = 425 ms');
  });
});
