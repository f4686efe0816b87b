import type { ScoredLane } from './lanes.ts';

/**
 * Corpus labels this project disagrees with, each with the reason. The scorecard applies
 * them openly (and prints them), instead of the classifier bending to a label it holds wrong.
 * `lane: null` leaves the file out of the lane score.
 */
export const LANE_LABEL_NOTES: Readonly<Record<string, { lane: ScoredLane | null; reason: string }>> = {
  'zammad/mail/mail078.box': {
    lane: 'delay',
    reason: 'a "Delivery Status Notification (Delay)" with Action: delayed: a transient DSN, not a failure (RFC 3464 §2.3.3)',
  },
  'alaveteli/eml/track-response-ms-bounce.eml': {
    lane: 'delay',
    reason: 'an Exchange delay notice ("could not be delivered yet ... will keep trying"): Alaveteli counts it as a bounce, RFC 3464 calls it delayed',
  },
  'bounceparser/msg/whitelist.msg': {
    lane: 'bounce',
    reason: 'labelled ambiguous upstream (its test says "not a bounce"), yet it is a real failed DSN: Action: failed, Status 5.x.x',
  },
};
