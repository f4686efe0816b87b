import { cpus, platform, release, totalmem } from 'node:os';
import { measureCalls, type CallProfile } from './calls.ts';
import { measureColdStart } from './cold-start.ts';
import { measureCompose } from './compose.ts';
import { measureCoreRatio } from './core-ratio.ts';
import { costPerMillion, type CostPerMillion } from './cost.ts';
import { measureEndToEnd } from './end-to-end.ts';
import { measureExtraction } from './extraction.ts';
import { measureHostile } from './hostile.ts';
import { MAIL_KINDS, type MailKind } from './mails.ts';
import { measureMemory } from './memory.ts';
import { checkGoals, coldStartGoals, type BenchResult, type ColdStartBenchResult, type Machine } from './report.ts';
import { measureSendPath } from './send-path.ts';

export interface BenchOptions {
  readonly quick: boolean;
  /** Mails for the end-to-end run; 0 skips it. */
  readonly mails: number;
  readonly connections: number;
  /** No new end-to-end mail starts after this many seconds. */
  readonly e2eSeconds: number;
  /** Progress lines (to stderr, so `--json` output stays one object). */
  readonly progress: (line: string) => void;
}

/** The machine the figures come from. */
export function machine(): Machine {
  const cpu = cpus();
  return {
    node: process.version,
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGb: totalmem() / 1024 ** 3,
    platform: `${platform()} ${release()}`,
  };
}

function units(p: CallProfile, service: string, operation?: string): number {
  return p.byOperation.filter((o) => o.service === service && (operation === undefined || o.operation === operation)).reduce((sum, o) => sum + o.calls, 0);
}

/** The cold start alone (`bench --only cold-start`): bundles, imports, the inbound first mail, and their goals. */
export async function runColdStartBench(options: Pick<BenchOptions, 'quick' | 'progress'>): Promise<ColdStartBenchResult> {
  const started = performance.now();
  options.progress('bench: bundles and cold start...');
  const coldStart = await measureColdStart({ runs: options.quick ? 3 : 7, progress: options.progress });
  return {
    only: 'cold-start',
    machine: machine(),
    quick: options.quick,
    seconds: (performance.now() - started) / 1000,
    coldStart,
    goals: coldStartGoals(coldStart),
  };
}

/** Runs every measurement in turn and checks the goals. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const started = performance.now();
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const at = performance.now();
    options.progress(`bench: ${name}...`);
    const result = await fn();
    options.progress(`bench: ${name} done in ${((performance.now() - at) / 1000).toFixed(1)} s`);
    return result;
  };
  const coreRatio = await step('core decision vs mailparser', () => measureCoreRatio({ quick: options.quick }));
  const hostile = await step('hostile mail (about 1 MB each)', () => measureHostile({ quick: options.quick }));
  const extraction = await step('reply extraction: postroom, planer, email-reply-parser', () => measureExtraction({ quick: options.quick }));
  const calls = await step('AWS calls per mail', () => measureCalls({ quick: options.quick }));
  const sendPath = await step('AWS calls per reply (queue and send)', () => measureSendPath({ quick: options.quick }));
  const compose = await step('compose time per reply shape', () => measureCompose({ quick: options.quick }));
  const endToEnd =
    options.mails > 0
      ? await step(`end to end, ${options.mails} mails`, () =>
          measureEndToEnd({ total: options.mails, connections: options.connections, maxSeconds: options.e2eSeconds }),
        )
      : null;
  const memory = await step('peak memory per size', () => measureMemory());
  const coldStart = await step('bundles and cold start', () => measureColdStart({ runs: options.quick ? 3 : 7, progress: options.progress }));

  // A mail stream of half new mails and half replies: their counts averaged.
  const half = (f: (p: CallProfile) => number) => (f(calls.newMail) + f(calls.reply)) / 2;
  const sum = (p: CallProfile, key: 'readUnits' | 'writeUnits') => p.byOperation.reduce((s, o) => s + o[key], 0);
  const bySize: Partial<Record<MailKind, CostPerMillion>> = {};
  for (const kind of MAIL_KINDS) {
    const bytes = coreRatio.find((r) => r.kind === kind)?.bytes ?? 0;
    bySize[kind] = costPerMillion({
      bytes,
      handlerMs: calls.handlerMs[kind],
      awsCalls: half((p) => p.total),
      memoryMb: coldStart.inboundMemoryMb,
      s3Gets: half((p) => units(p, 'S3', 'GetObject')),
      sqsSends: half((p) => units(p, 'SQS', 'SendMessage')),
      readUnits: half((p) => sum(p, 'readUnits')),
      writeUnits: half((p) => sum(p, 'writeUnits')),
    });
  }
  const partial = {
    machine: machine(),
    quick: options.quick,
    seconds: (performance.now() - started) / 1000,
    coreRatio,
    hostile,
    extraction,
    calls,
    sendPath,
    compose,
    endToEnd,
    memory,
    coldStart,
    cost: { memoryMb: coldStart.inboundMemoryMb, bySize },
  };
  return { ...partial, goals: checkGoals(partial) };
}
