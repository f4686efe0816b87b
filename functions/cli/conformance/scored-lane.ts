import type { Lane } from '../../core/model/classification.ts';

/** Lanes as the corpus can judge them: its labels do not tell out-of-office from other auto-replies. */
export type ScoredLane = Exclude<Lane, 'out-of-office'>;

export function scoredLane(lane: Lane): ScoredLane {
  return lane === 'out-of-office' ? 'auto-reply' : lane;
}
