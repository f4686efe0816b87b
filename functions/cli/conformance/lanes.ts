import type { IndexEntry } from './corpus.ts';
import { LANE_LABEL_NOTES } from './label-notes.ts';
import type { ScoredLane } from './scored-lane.ts';

export { type ScoredLane, scoredLane } from './scored-lane.ts';

/** Category of the corpus index → the lane a correct channel gives it; null = not scored. */
const CATEGORY_LANES: Readonly<Record<string, ScoredLane | null>> = {
  bounce: 'bounce',
  'bounce-without-usable-report': 'bounce',
  'bounce-delay': 'bounce',
  'dsn-delay': 'delay',
  'dsn-delivered': 'delivery-report',
  'feedback-report': 'feedback-report',
  'auto-reply': 'auto-reply',
  'auto-reply(RT ticket system)': 'auto-reply',
  'challenge-response': 'auto-reply',
  human: 'human',
  'not-bounce': 'human',
  'threading-edge': 'human',
  'parse-example(RFC 2822 appendix A)': 'human',
  'mailing-list-post': 'human',
  'mailing-list-post(list headers stripped; looks like plain human mail)': 'human',
  'bulk-newsletter': 'bulk',
  // A person posting through a list is a person (tagged `list`), as for the notmuch list posts.
  'mailing-list': 'human',
  'auto-generated-notification': 'bulk',
  'system-notification-no-auto-headers': 'bulk',
  // Spam is judged by SES verdicts, not by lane; ambiguous labels are left out.
  spam: null,
  'ambiguous-whitelist-dsn': null,
  'not-bounce-per-sisimai': null,
};

export interface ExpectedLane {
  readonly lane: ScoredLane | null;
  /** Set when a label note overrides the corpus label. */
  readonly note: string | null;
}

export function expectedLane(entry: IndexEntry): ExpectedLane {
  const note = LANE_LABEL_NOTES[entry.file];
  if (note) return { lane: note.lane, note: note.reason };
  const lane = CATEGORY_LANES[entry.category];
  if (lane === undefined) throw new Error(`corpus category '${entry.category}' has no lane mapping (${entry.file})`);
  return { lane, note: null };
}

export interface LaneScore {
  readonly lane: ScoredLane;
  readonly expected: number;
  readonly predicted: number;
  readonly correct: number;
  readonly precision: number;
  readonly recall: number;
}

export interface LaneResult {
  readonly file: string;
  readonly expected: ScoredLane;
  readonly actual: ScoredLane;
}

/** Per-lane precision and recall over the scored files (1 when a lane has nothing to score). */
export function scoreLanes(results: readonly LaneResult[]): LaneScore[] {
  const lanes = [...new Set(results.flatMap((r) => [r.expected, r.actual]))].sort();
  return lanes.map((lane) => {
    const expected = results.filter((r) => r.expected === lane).length;
    const predicted = results.filter((r) => r.actual === lane).length;
    const correct = results.filter((r) => r.expected === lane && r.actual === lane).length;
    return {
      lane,
      expected,
      predicted,
      correct,
      precision: predicted === 0 ? 1 : correct / predicted,
      recall: expected === 0 ? 1 : correct / expected,
    };
  });
}
