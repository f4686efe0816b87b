import type { Scorecard, Threshold } from './scorecard-model.ts';

export type { Threshold } from './scorecard-model.ts';

type Measured = Omit<Scorecard, 'thresholds' | 'elapsedMs'>;

const replyRate = (card: Measured, suite: string | null, contender = 'postroom'): number =>
  (suite === null ? card.replies.overall[contender] : card.replies.suites.find((s) => s.suite === suite)?.scores[contender])?.rate ?? 0;

/**
 * Postroom's reply rate over the better library's on the worst suite (and overall), capped at
 * 1: 1 means at least as good as both libraries everywhere. 1 when the libraries are absent.
 */
function replyLead(card: Measured): number {
  const others = card.replies.contenders.filter((c) => c !== 'postroom');
  if (others.length === 0) return 1;
  const ratios = [null, ...card.replies.suites.map((s) => s.suite)].map((suite) => {
    const best = Math.max(...others.map((o) => replyRate(card, suite, o)));
    return best === 0 ? 1 : Math.min(1, replyRate(card, suite) / best);
  });
  return Math.min(...ratios);
}

const laneRate = (card: Measured, lane: string, kind: 'precision' | 'recall'): number => card.lanes.scores.find((s) => s.lane === lane)?.[kind] ?? 1;

/**
 * The bar the core must hold on the corpus. The first five are the product's promises; all
 * are set at what the core reaches today, so any regression fails `npm test`. The reply
 * thresholds also hold postroom at or above the better kept library on every suite.
 */
const THRESHOLDS: readonly { name: string; min: number; measure: (card: Measured) => number }[] = [
  { name: 'every bounce is a bounce (bounce recall)', min: 1, measure: (c) => laneRate(c, 'bounce', 'recall') },
  { name: 'no human mail called automatic (human recall)', min: 1, measure: (c) => laneRate(c, 'human', 'recall') },
  { name: 'bounce recipient+status agreement', min: 0.981, measure: (c) => c.bounces.combined },
  { name: 'zammad subject agreement', min: 0.99, measure: (c) => c.parsing.subject.rate },
  { name: 'zammad from agreement', min: 1, measure: (c) => c.parsing.from.rate },
  { name: 'notmuch thread groupings', min: 1, measure: (c) => c.threads.rate },
  { name: 'files parsed', min: 1, measure: (c) => 1 - c.parseErrors.length / Math.max(1, c.files) },
  { name: 'bounce precision', min: 1, measure: (c) => laneRate(c, 'bounce', 'precision') },
  { name: 'human precision', min: 0.988, measure: (c) => laneRate(c, 'human', 'precision') },
  { name: 'auto-reply precision and recall', min: 1, measure: (c) => Math.min(laneRate(c, 'auto-reply', 'precision'), laneRate(c, 'auto-reply', 'recall')) },
  {
    name: 'delay, delivery and feedback report recall',
    min: 1,
    measure: (c) => Math.min(...(['delay', 'delivery-report', 'feedback-report'] as const).map((l) => laneRate(c, l, 'recall'))),
  },
  { name: 'bulk recall', min: 0.764, measure: (c) => laneRate(c, 'bulk', 'recall') },
  { name: 'sisimai recipient+status agreement', min: 0.976, measure: (c) => c.bounces.sisimai.rate },
  { name: 'bounceparser recipient+status agreement', min: 1, measure: (c) => c.bounces.bounceparser.rate },
  { name: 'zammad attachment count agreement', min: 0.905, measure: (c) => c.parsing.attachments.rate },
  { name: 'reply text right overall', min: 0.99, measure: (c) => replyRate(c, null) },
  { name: 'reply text at least the better library per suite', min: 1, measure: replyLead },
  { name: 'reply text right on talon suite', min: 0.981, measure: (c) => replyRate(c, 'talon') },
  { name: 'reply text right on planer suite', min: 0.961, measure: (c) => replyRate(c, 'planer') },
  { name: 'reply text right on email-reply-parser suite', min: 1, measure: (c) => replyRate(c, 'email-reply-parser') },
  { name: 'reply text right on postroom suite', min: 1, measure: (c) => replyRate(c, 'postroom') },
  { name: 'reply text right on postroom-world suite', min: 1, measure: (c) => replyRate(c, 'postroom-world') },
];

export function evaluateThresholds(card: Measured): Threshold[] {
  return THRESHOLDS.map(({ name, min, measure }) => {
    const value = measure(card);
    return { name, min, value, passed: value >= min - 1e-9 };
  });
}
