import { RECIPIENT_LABEL_NOTES, THREAD_LABEL_NOTES } from './label-notes.ts';
import { PARSE_LABEL_NOTES } from './parsing.ts';
import type { Agreement, Scorecard } from './scorecard-model.ts';

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const ratio = (a: Agreement<unknown>): string => `${String(a.agree).padStart(4)}/${String(a.total).padEnd(4)} ${pct(a.rate).padStart(6)}`;

function list<T>(title: string, items: readonly T[], show: (item: T) => string, verbose: boolean): string[] {
  if (items.length === 0) return [];
  const shown = verbose ? items : items.slice(0, 8);
  const more = items.length - shown.length;
  return [`  ${title} (${items.length}):`, ...shown.map((i) => `    ${show(i)}`), ...(more > 0 ? [`    … ${more} more (--verbose)`] : [])];
}

/** Postroom vs the kept reply-parsing libraries, per suite and overall. */
function replyTable(card: Scorecard): string[] {
  const names = card.replies.contenders;
  const cell = (score: { right: number; total: number; rate: number } | undefined): string =>
    score ? `${String(score.right).padStart(4)}/${String(score.total).padEnd(4)} ${pct(score.rate).padStart(6)}`.padEnd(20) : '(not installed)'.padEnd(20);
  const row = (label: string, scores: Readonly<Record<string, { right: number; total: number; rate: number }>>) =>
    `  ${label.padEnd(20)} ${names.map((n) => cell(scores[n])).join(' ')}`;
  return [
    `Reply text right      ${names.map((n) => n.padEnd(20)).join(' ')}`,
    ...card.replies.suites.map((s) => row(`${s.suite}${s.compare === 'reply-and-signature' ? ' *' : ''}`, s.scores)),
    row('overall', card.replies.overall),
    '  (right: the new text equals the expected text, whitespace normalized; * the suite tests quotation removal only: a signature may stay or be split off)',
  ];
}

/** Prints the scorecard as a human-readable report. */
export function printScorecard(card: Scorecard, options: { verbose: boolean }): void {
  const v = options.verbose;
  const lines: string[] = [
    `Postroom conformance: ${card.files} files from ${card.corpus} in ${(card.elapsedMs / 1000).toFixed(1)} s`,
    '',
    'Lanes                precision   recall  expected  predicted',
    ...card.lanes.scores.map(
      (s) =>
        `  ${s.lane.padEnd(18)} ${pct(s.precision).padStart(8)} ${pct(s.recall).padStart(8)} ${String(s.expected).padStart(9)} ${String(s.predicted).padStart(10)}`,
    ),
    ...list('lane disagreements', card.lanes.misses, (m) => `${m.file}: labelled ${m.expected}, classified ${m.actual}`, v),
    '',
    'Bounce recipient + status agreement',
    `  sisimai        ${ratio(card.bounces.sisimai)}`,
    `  bounceparser   ${ratio(card.bounces.bounceparser)}`,
    `  combined       ${pct(card.bounces.combined).padStart(16)}`,
    ...list(
      'disagreements',
      [...card.bounces.sisimai.misses, ...card.bounces.bounceparser.misses],
      (m) => `${m.file}: expected ${m.expected}, got ${m.actual}`,
      v,
    ),
    '',
    'Parse agreement with zammad',
    ...(['subject', 'from', 'attachments'] as const).map((f) => `  ${f.padEnd(14)} ${ratio(card.parsing[f])}`),
    ...list(
      'disagreements',
      [...card.parsing.subject.misses, ...card.parsing.from.misses, ...card.parsing.attachments.misses],
      (m) => `${m.file} ${m.field}: expected ${JSON.stringify(m.expected)}, got ${JSON.stringify(m.actual)}`,
      v,
    ),
    '',
    `Thread groupings (notmuch)  ${ratio(card.threads)}   (as labelled: ${card.threads.agreeAsLabelled}/${card.threads.total})`,
    ...list('disagreements', card.threads.misses, (m) => `${m.file}: thread ${m.expected} → ${m.actual}`, v),
    '',
    ...replyTable(card),
    ...list(
      'reply disagreements (postroom)',
      card.replies.misses,
      (m) => `${m.suite}/${m.name}: expected ${JSON.stringify(m.expected.slice(0, 160))}, got ${JSON.stringify(m.actual.slice(0, 160))}`,
      v,
    ),
    ...list('parse errors', card.parseErrors, (e) => `${e.file}: ${e.error}`, v),
    ...list('labels this project holds wrong', card.lanes.notes, (n) => `${n.file}: ${n.note}`, true),
    ...list('recipient labels this project holds wrong', Object.entries(RECIPIENT_LABEL_NOTES), ([f, n]) => `${f}: ${n.reason}`, true),
    ...list('parse labels this project holds wrong', Object.entries(PARSE_LABEL_NOTES), ([f, n]) => `${f} ${n.field}: ${n.reason}`, true),
    ...list('thread labels this project holds wrong', Object.entries(THREAD_LABEL_NOTES), ([t, n]) => `${t}: ${n.reason}`, true),
    '',
    'Thresholds',
    ...card.thresholds.map((t) => `  ${t.passed ? 'PASS' : 'FAIL'}  ${t.name.padEnd(48)} ${pct(t.value).padStart(6)} (min ${pct(t.min)})`),
    '',
    card.thresholds.every((t) => t.passed) ? 'conformance: passed' : 'conformance: FAILED',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
