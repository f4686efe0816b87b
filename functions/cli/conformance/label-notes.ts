import type { ScoredLane } from './scored-lane.ts';

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
  'sisimai/bounce/lhost-opensmtpd-04.eml': {
    lane: 'delay',
    reason: 'OpenSMTPD "Delivery status notification: warning … only a temporary failure report … kept in the queue": a delay, not a failure',
  },
  'sisimai/bounce/lhost-opensmtpd-13.eml': {
    lane: 'delay',
    reason: 'Action: delayed, Status 4.0.0, "delayed for more than 4 hours": a transient DSN (RFC 3464 §2.3.3)',
  },
  'bounceparser/msg/spam-bogus-email-in-report.msg': {
    lane: null,
    reason: 'plain spam from a person-like sender with no report, no system sender and no bounce text; spam is judged by the SES verdict',
  },
  'bounceparser/msg/spam-lots-of-bogus-addresses.msg': {
    lane: null,
    reason: 'plain spam listing many addresses, with no report, no system sender and no bounce text; spam is judged by the SES verdict',
  },
  'bounceparser/msg/spam-with-image.msg': {
    lane: null,
    reason: 'plain image spam ("Re:") with no report, no system sender and no bounce text; spam is judged by the SES verdict',
  },
  'bounceparser/msg/whitelist.msg': {
    lane: 'bounce',
    reason: 'labelled ambiguous upstream (its test says "not a bounce"), yet it is a real failed DSN: Action: failed, Status 5.x.x',
  },
};

/**
 * Threads of notmuch's `threads.csv` that were joined only through an id that is not a
 * Message-ID. Such a thread is scored as the connected parts of its reply graph without
 * those ids; the scorecard prints the agreement as labelled too.
 */
export const THREAD_LABEL_NOTES: Readonly<Record<string, { notLinks: readonly string[]; reason: string }>> = {
  'lkml-T01': {
    notLinks: ['yes'],
    reason:
      'joins a 2009 notmuch patch series and a 2010 cifs series only through `In-Reply-To: <yes>` ' +
      '(git-send-email answered "yes" to its in-reply-to prompt); `yes` is no Message-ID (RFC 5322 §3.6.4 ' +
      'needs id-left "@" id-right), and trusting such ids would let unrelated senders post into each other\'s conversations',
  },
  'edge-ghost-root': {
    notLinks: [],
    reason:
      "index.csv names notmuch T510's ghost-root test case, which holds two separate trees: the RT ticket thread " +
      '(3 mails, linked through the ghost RT-Ticket-33575 reference) and the real-root/fake-root family (6 mails); ' +
      'no header links the two',
  },
};

/**
 * sisimai label rows this project holds wrong: the number of recipients the file really reports.
 * Rows beyond it are left out of the recipient score.
 */
export const RECIPIENT_LABEL_NOTES: Readonly<Record<string, { recipients: number; reason: string }>> = {
  'sisimai/bounce/rfc3464-01.eml': {
    recipients: 1,
    reason: 'one failed recipient; the upstream test table lists its "01" row twice, which became a second expected recipient',
  },
  'sisimai/bounce/rhost-cox-01.eml': {
    recipients: 1,
    reason: "the file is a two-message mbox; the second DSN sits after the first message's closing boundary (its epilogue, ignored per RFC 2046 §5.1.1)",
  },
  'sisimai/dsn-delivered/rfc3464-28.eml': {
    recipients: 1,
    reason: "the file is a two-message mbox; the second DSN sits after the first message's closing boundary (its epilogue, ignored per RFC 2046 §5.1.1)",
  },
};
