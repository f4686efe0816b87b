import { isReadOperation } from './call-counter.ts';
import type { CallProfile, CallsResult } from './calls.ts';
import { BUNDLE_RULES } from './bundle-packages.ts';
import type { ColdStartResult, ImportRow } from './cold-start.ts';
import type { FirstMailResult } from './first-mail.ts';
import { type ComposeRow, formatComposeRows } from './compose.ts';
import type { CoreRatioRow } from './core-ratio.ts';
import type { CostPerMillion } from './cost.ts';
import type { HostileResult } from './hostile.ts';
import { HOSTILE_SHAPES } from './hostile-mails.ts';
import type { EndToEndResult } from './end-to-end.ts';
import type { ExtractionResult } from './extraction.ts';
import type { MailKind } from './mails.ts';
import type { MemoryRow } from './memory.ts';
import type { ReplyCalls, SendPathResult } from './send-path.ts';

/** The performance goals; the benchmark prints PASS or MISS against each. */
export const GOALS = {
  coreRatio: 1.15,
  replyCalls: 5,
  importMs: 150,
  /** The 40 MB mail's peak RSS must leave a quarter of a 512 MB function free. */
  peakMb40: 512 * 0.75,
  /** The slowest ~1 MB pathological mail's decision, ms: seconds at most in a Lambda with a fraction of this CPU. */
  hostileMs: 1000,
} as const;

export interface Machine {
  readonly node: string;
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly platform: string;
}

/** Everything one run measured; `--json` prints exactly this. */
export interface BenchResult {
  readonly machine: Machine;
  readonly quick: boolean;
  readonly seconds: number;
  readonly coreRatio: readonly CoreRatioRow[];
  readonly hostile: HostileResult;
  /** Reply extraction per message: Postroom and the kept libraries on conformance's reply suites. */
  readonly extraction: ExtractionResult;
  readonly calls: CallsResult;
  /** AWS calls of one agent reply: queueing it and sending it. */
  readonly sendPath: SendPathResult;
  /** Outbound composition time per mail shape. */
  readonly compose: readonly ComposeRow[];
  readonly endToEnd: EndToEndResult | null;
  readonly memory: readonly MemoryRow[];
  readonly coldStart: ColdStartResult;
  readonly cost: { readonly memoryMb: number; readonly bySize: Readonly<Partial<Record<MailKind, CostPerMillion>>> };
  readonly goals: readonly GoalCheck[];
}

/** What `bench --only cold-start` measures; `--json` prints exactly this. */
export type ColdStartBenchResult = Pick<BenchResult, 'machine' | 'quick' | 'seconds' | 'coldStart' | 'goals'> & { readonly only: 'cold-start' };

export interface GoalCheck {
  readonly goal: string;
  readonly measured: string;
  readonly pass: boolean;
}

const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(bytes < 1024 * 1024 ? 3 : 1);
const usd = (v: number) => `$${v.toFixed(2)}`;

/** Checks each goal against the figures. */
export function checkGoals(r: Omit<BenchResult, 'goals'>): GoalCheck[] {
  const big = r.memory.find((m) => m.kind === 'attachment-40m');
  const checks: GoalCheck[] = [
    ...r.coreRatio.map((row) => ({
      goal: `core/parser ratio ${row.kind} <= ${GOALS.coreRatio}`,
      measured: row.ratio.toFixed(2),
      pass: row.ratio <= GOALS.coreRatio,
    })),
    {
      goal: `slowest hostile mail decided in <= ${GOALS.hostileMs} ms`,
      measured: `${r.hostile.slowest.decideMs.toFixed(0)} ms (${r.hostile.slowest.kind})`,
      pass: r.hostile.slowest.decideMs <= GOALS.hostileMs,
    },
    { goal: `AWS calls for a reply <= ${GOALS.replyCalls}`, measured: String(r.calls.reply.total), pass: r.calls.reply.total <= GOALS.replyCalls },
  ];
  checks.push(...coldStartGoals(r.coldStart));
  if (big)
    checks.push({
      goal: `40 MB mail peak RSS <= ${GOALS.peakMb40} MB (512 MB function, 25% spare)`,
      measured: `${big.peakMb.toFixed(0)} MB`,
      pass: big.peakMb <= GOALS.peakMb40,
    });
  if (r.endToEnd) {
    const e = r.endToEnd;
    checks.push({ goal: 'end to end: pointers on the queues = mails sent', measured: `${e.onQueues}/${e.sent}`, pass: e.onQueues === e.sent });
    checks.push({
      goal: 'end to end: new conversations = new mails (replies threaded)',
      measured: `${e.newConversations}/${e.newMails}`,
      pass: e.newConversations === e.newMails,
    });
  }
  return checks;
}

/** The cold start's goals: the inbound import (as deployed) and what each bundle must and must not carry. */
export function coldStartGoals(c: ColdStartResult): GoalCheck[] {
  const inbound = c.imports[0];
  const how = inbound ? (inbound.sourceMaps ? ', with source maps as deployed' : ', as deployed (no --enable-source-maps)') : '';
  const checks: GoalCheck[] = [
    { goal: `inbound bundle import <= ${GOALS.importMs} ms`, measured: `${c.importMs.toFixed(0)} ms${how}`, pass: c.importMs <= GOALS.importMs },
  ];
  for (const b of c.bundles) {
    if (b.role === null) continue;
    const rules = BUNDLE_RULES[b.role];
    if (rules.must.length + rules.mustNot.length === 0) continue;
    const said = [...rules.must.map((p) => `carries ${p}`), ...rules.mustNot.map((p) => `no ${p}`)].join(', ');
    checks.push({ goal: `${b.role} bundle: ${said}`, measured: b.flags.length ? b.flags.join(', ') : 'as required', pass: b.flags.length === 0 });
  }
  return checks;
}

function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [head, ...rows].map((row) => row.map(String));
  const widths = head.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  const line = (row: readonly string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
  return [line(cells[0] ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

function profileLines(name: string, p: CallProfile): string {
  const ops = p.byOperation.map((o) => `${o.service} ${o.operation} ${o.calls}`).join(', ');
  const sum = (key: 'readUnits' | 'writeUnits') => p.byOperation.reduce((n, o) => n + o[key], 0);
  // Each DynamoDB call with the units it consumed (R: read, W: write).
  const order = p.sequence.map((call, i) => {
    const [service, operation = ''] = call.split(' ');
    return service === 'DynamoDB' ? `${call} ${p.units[i] ?? 0}${isReadOperation(operation) ? 'R' : 'W'}` : call;
  });
  const pad = ''.padEnd(11);
  return `  ${name.padEnd(11)} ${String(p.total).padStart(2)} calls: ${ops}\n  ${pad} order: ${order.join(' > ')}\n  ${pad} DynamoDB: ${sum('readUnits')} RRU + ${sum('writeUnits')} WRU`;
}

/** The send path's lines: calls of the queueing and the sending side, in order, and the median times. */
export function sendPathLines(p: SendPathResult): string[] {
  const both = (name: string, c: ReplyCalls) => [
    `  ${name}: ${c.total} calls = queue ${c.queue.total} + send ${c.send.total}`,
    ...profileLines('queue', c.queue).split('\n'),
    ...profileLines('send', c.send).split('\n'),
  ];
  return [
    ...both('first reply in a container', p.firstReply),
    ...both('reply', p.reply),
    `  median of ${p.rounds}: queueReply ${p.queueMs.toFixed(1)} ms, send handler (sendOutbound) ${p.sendMs.toFixed(1)} ms`,
  ];
}

/** The import rows of every Postroom function, and where each one's profiled import spends its time. */
export function importLines(rows: readonly ImportRow[], runs: number, firstMail: FirstMailResult | null = null): string[] {
  const out = [
    table(
      ['function', 'import ms (as deployed)', 'with source maps', 'without', 'profiled'],
      rows.map((i) => [
        i.path.replace(/\/Function\/Resource$/, ''),
        i.importMs.toFixed(0),
        i.importMsSourceMaps.toFixed(0),
        i.importMsNoSourceMaps.toFixed(0),
        i.profiledMs.toFixed(0),
      ]),
    ),
    `  fresh process each, median of ${runs}; env from the template (tokens replaced): the import must export handler;`,
    `  as deployed = with --enable-source-maps only if the template's NODE_OPTIONS has it`,
  ];
  if (firstMail) {
    out.push(
      `  inbound first mail (a new 5 KB mail, local servers, ${firstMail.sourceMaps ? 'with' : 'without'} source maps, median of ${firstMail.runs}): import ${firstMail.importMs.toFixed(0)} ms + handling ${firstMail.handleMs.toFixed(0)} ms = ${firstMail.totalMs.toFixed(0)} ms`,
    );
  }
  for (const i of rows) {
    const size = i.bytesByGroup.reduce((sum, g) => sum + g.bytes, 0) || 1;
    out.push(`  ${i.role}: self time of one profiled import (${i.profiledMs.toFixed(0)} ms, no source maps), ms:`);
    out.push(
      `    ${i.byGroup
        .filter((g) => g.ms >= 0.5)
        .map((g) => `${g.group} ${g.ms.toFixed(1)}`)
        .join('; ')}`,
    );
    out.push(
      `    top packages: ${i.topPackages
        .filter((g) => !g.group.startsWith('('))
        .slice(0, 8)
        .map((g) => `${g.group} ${g.ms.toFixed(1)}`)
        .join(', ')}`,
    );
    out.push(
      `    bundle by group (share of bytes): ${i.bytesByGroup
        .filter((g) => g.bytes / size >= 0.005)
        .map((g) => `${g.group} ${((100 * g.bytes) / size).toFixed(0)}%`)
        .join(', ')}`,
    );
  }
  return out;
}

/** Packages of a bundle, largest first, wrapped. */
function packageLines(names: readonly { name: string; bytes: number }[]): string[] {
  const words = names.map((p) => `${p.name} ${(p.bytes / 1024).toFixed(0)}`);
  const lines: string[] = [];
  let line = '   ';
  for (const w of words) {
    if (line.length + w.length > 110) {
      lines.push(line);
      line = '   ';
    }
    line += ` ${w},`;
  }
  if (line.trim()) lines.push(line.replace(/,$/, ''));
  return lines;
}

/** The hostile-mail table: each ~1 MB pathological mail against the parser floors, the slowest named. */
export function hostileLines(h: HostileResult): string[] {
  const s = h.slowest;
  return [
    '',
    `1b. Hostile mail, about 1 MB each (median of ${h.rounds}; floor as above, * = mailparser rejected the mail; lean = the adapter's options)`,
    table(
      ['mail', 'bytes', 'floor', 'floor lean', 'decide', 'ratio', 'vs lean', 'limits and repairs'],
      h.rows.map((x) => [
        x.kind,
        x.bytes,
        `${x.floorMs.toFixed(1)}${x.floorFailed ? '*' : ''}`,
        x.floorLeanMs.toFixed(1),
        x.decideMs.toFixed(1),
        (x.decideMs / x.floorMs).toFixed(2),
        (x.decideMs / x.floorLeanMs).toFixed(2),
        x.tags.filter((t) => /^(?:limit-|structure-)/.test(t)).join(' ') || '-',
      ]),
    ),
    `  slowest: ${s.kind} (${HOSTILE_SHAPES[s.kind]}), ${s.decideMs.toFixed(0)} ms;`,
    `    ${(s.decideMs / s.floorMs).toFixed(2)} of the floor, ${(s.decideMs / s.floorLeanMs).toFixed(2)} of the lean floor`,
  ];
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The extraction table: per suite, each contender's time per message and ratios to Postroom, with conformance's accuracy. */
export function extractionLines(x: ExtractionResult): string[] {
  const rows = x.suites.flatMap((suite) =>
    x.contenders.flatMap((name, index) => {
      const t = suite.byContender[name];
      if (!t) return [];
      const right = t.score ? `${t.score.right}/${t.score.total} ${pct(t.score.rate)}` : '-';
      const head = index === 0 ? [suite.suite, suite.cases] : ['', ''];
      return [[...head, name, t.medianUs.toFixed(1), t.p99Us.toFixed(1), t.medianRatio.toFixed(2), t.p99Ratio.toFixed(2), right]];
    }),
  );
  const missing = x.contenders.length === 1 ? ['  planer and email-reply-parser are not installed (devDependencies): Postroom alone'] : [];
  return [
    '',
    `1c. Reply extraction per message (µs; each message's median of ${x.rounds} rounds, then median and p99 over the suite; x = ratio to postroom)`,
    table(['suite', 'cases', 'contender', 'median', 'p99', 'median x', 'p99 x', 'right (conformance)'], rows),
    '  each contender as conformance runs it (reply-contenders.ts), .eml cases parsed beforehand; under 100 messages, p99 is the slowest message',
    ...missing,
  ];
}

/** Section 7: bundles (what the import loads and the whole asset), their packages, imports and the inbound first mail. */
export function coldStartLines(s: ColdStartResult): string[] {
  const out = [
    table(
      ['function', 'role', 'import KB', 'files', 'asset KB', 'map KB', 'memory MB', 'arch', 'packages', 'flags'],
      s.bundles.map((b) => [
        b.path,
        b.role ?? '-',
        (b.bytes / 1024).toFixed(0),
        b.files ?? 1,
        ((b.assetBytes ?? b.bytes) / 1024).toFixed(0),
        (b.sourceMapBytes / 1024).toFixed(0),
        b.memoryMb ?? '-',
        b.architecture ?? '-',
        b.packages.length || '-',
        b.flags.join(', ') || '-',
      ]),
    ),
  ];
  out.push('  import KB: index.mjs and the chunks it imports statically; asset KB: every file, with the chunks and files loaded on first use');
  if (s.missing.length) out.push(`  not in the assembly: ${s.missing.join(', ')}`);
  for (const b of s.bundles) {
    if (b.packages.length === 0) continue;
    out.push(`  ${b.role ?? b.path} packages (KB of what the import loads, from the source maps):`, ...packageLines(b.packages));
  }
  out.push(...importLines(s.imports, s.runs, s.firstMail ?? null));
  return out;
}

/** The report of `bench --only cold-start`: section 7 and its goals. */
export function formatColdStartReport(r: ColdStartBenchResult): string {
  const m = r.machine;
  const out = [
    `Postroom benchmark, cold start only${r.quick ? ' (--quick)' : ''}: node ${m.node}, ${m.cpu}, ${m.cores} cores, ${m.memoryGb.toFixed(0)} GB, ${m.platform}; ${r.seconds.toFixed(0)} s`,
  ];
  out.push('', `7. Cold start (bundles from ${r.coldStart.source})`, ...coldStartLines(r.coldStart), '', 'Goals');
  for (const g of r.goals) out.push(`  ${g.pass ? 'PASS' : 'MISS'}  ${g.goal}: ${g.measured}`);
  return `${out.join('\n')}\n`;
}

/** The human-readable report. */
export function formatReport(r: BenchResult): string {
  const out: string[] = [];
  const m = r.machine;
  out.push(
    `Postroom benchmark${r.quick ? ' (--quick)' : ''}: node ${m.node}, ${m.cpu}, ${m.cores} cores, ${m.memoryGb.toFixed(0)} GB, ${m.platform}; ${r.seconds.toFixed(0)} s`,
  );
  out.push('', '1. Core decision vs bare mailparser (median ms; floor = MailParser stream, default options, attachments drained)');
  out.push(
    table(
      ['mail', 'bytes', 'runs', 'floor', 'floor lean', 'adapter parse', '+ sanitize', 'decide', 'ratio', 'vs lean'],
      r.coreRatio.map((c) => [
        c.kind,
        c.bytes,
        c.rounds,
        c.floorMs.toFixed(2),
        c.floorLeanMs.toFixed(2),
        c.adapterParseMs.toFixed(2),
        c.sanitizedParseMs?.toFixed(2) ?? '-',
        c.decideMs.toFixed(2),
        c.ratio.toFixed(2),
        c.ratioLean.toFixed(2),
      ]),
    ),
  );
  out.push('  adapter parse: HTML omitted, as the decision parses; + sanitize: the HTML sanitized as the admin API reads it, timed alone after the others');
  out.push(...hostileLines(r.hostile));
  out.push(...extractionLines(r.extraction));
  const c = r.calls;
  out.push('', `2. AWS calls per mail (inbound handler, production adapters, dynalite + fauxqs)${c.stable ? '' : ' [counts varied between runs]'}`);
  out.push(profileLines('first mail', c.firstMail), profileLines('new mail', c.newMail), profileLines('reply', c.reply));
  out.push(`  handler time (local servers, median): new ${c.handlerMsNew.toFixed(1)} ms, reply ${c.handlerMsReply.toFixed(1)} ms`);
  out.push(
    '',
    `3. AWS calls per agent reply (queueReply as \`postroom reply\` wires it; sendOutbound on createOutboundDeps; dynalite, fauxqs, aws-ses-v2-local)${r.sendPath.stable ? '' : ' [counts varied between runs]'}`,
  );
  out.push(...sendPathLines(r.sendPath));
  out.push('', '4. Compose time per reply shape (median ms; bare = nodemailer MailComposer on the same options)');
  out.push(
    formatComposeRows(r.compose)
      .trimEnd()
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
  );
  if (r.endToEnd) {
    const e = r.endToEnd;
    out.push('', `5. End to end through the sandbox (SMTP send start to 250 = pointer on its queue), ${e.connections} connections`);
    if (e.capped) out.push(`  stopped by the time cap: ${e.sent} of ${e.target} mails sent`);
    out.push(
      `  ${e.sent} mails (${e.newMails} new, ${e.replies} replies) in ${e.seconds.toFixed(1)} s: ${e.perSecond.toFixed(1)} mails/s, p50 ${e.p50Ms.toFixed(0)} ms, p99 ${e.p99Ms.toFixed(0)} ms`,
    );
    out.push(
      `  on the queues: ${e.onQueues} (${Object.entries(e.byQueue)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}); new conversations ${e.newConversations}`,
    );
  } else {
    out.push('', '5. End to end: skipped');
  }
  out.push('', '6. Peak RSS deciding one mail in a fresh process (MB)');
  out.push(
    table(
      ['mail', 'size MB', 'baseline', 'peak'],
      r.memory.map((x) => [x.kind, mb(x.bytes), x.baselineMb.toFixed(0), x.peakMb.toFixed(0)]),
    ),
  );
  const s = r.coldStart;
  out.push('', `7. Cold start (bundles from ${s.source})`);
  out.push(...coldStartLines(s));
  out.push('', `8. Cost per 1,000,000 inbound mails (USD, half new mails and half replies, ${r.cost.memoryMb} MB arm64)`);
  out.push(
    table(
      ['mail', 'billed ms', 'SES', 'S3', 'Lambda', 'SQS', 'DynamoDB', 'total', 'Connect'],
      Object.entries(r.cost.bySize).map(([kind, x]) => [
        kind,
        x.billedMs,
        usd(x.ses),
        usd(x.s3),
        usd(x.lambda),
        usd(x.sqs),
        usd(x.dynamodb),
        usd(x.total),
        usd(x.connect),
      ]),
    ),
  );
  out.push('  Connect = Amazon Connect email list price for inbound email, $0.0035 per message (its pricing page).');
  out.push('', 'Goals');
  for (const g of r.goals) out.push(`  ${g.pass ? 'PASS' : 'MISS'}  ${g.goal}: ${g.measured}`);
  return `${out.join('\n')}\n`;
}
