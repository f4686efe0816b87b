import { headerValue, headerValues, type ParsedMessage } from '../../model/message.ts';
import { autoSubmitted } from './auto-reply.ts';
import { hasListEnvelope, isNoReplySender } from './sender.ts';

/** The outcome of the bulk rules: a bulk lane with its reason, or a list post by a person. */
export type BulkVerdict = { readonly kind: 'bulk'; readonly reason: string } | { readonly kind: 'list-post'; readonly reason: string };

// Headers that only bulk sending platforms (ESPs) add.
const ESP_HEADERS = [
  'x-campaign',
  'x-campaign-id',
  'x-campaignid',
  'x-mailchimp-campaign',
  'x-mc-user',
  'x-sg-eid',
  'x-sfmc-stack',
  'x-mailgun-tag',
  'x-cmail-groupname',
  'x-newsletter',
  'x-csa-complaints',
  'x-mailer-recptid',
  'x-listmember',
  'x-rpcampaign',
  'x-ems-stamp',
  'x-marketoid',
  'x-hubspot-message-id',
];
// Headers that issue trackers, code hosts and CI servers put on their notification mail.
const NOTIFICATION_HEADERS = [
  'x-jira-fingerprint',
  'x-github-reason',
  'x-gitlab-project',
  'x-bitbucket-event-type',
  'x-redmine-project',
  'x-bugzilla-product',
  'x-phabricator-sent-this-message',
  'x-jenkins-job',
  'x-zendesk-from-account-id',
  'x-confluence',
  'x-atlassian-mail-message-id',
];
const LIST_HEADERS = ['list-id', 'list-post', 'mailing-list', 'x-mailing-list', 'list-archive'];

/**
 * Separates mass mail from a person's post on a discussion list.
 *
 * The rule, from what a contact center wants: a person writing through a mailing list is
 * still a person, so a message with discussion-list markers (List-Id/List-Post per RFC 2369
 * and RFC 2919, Mailing-List, a list server's envelope sender) is a `list-post` (lane human,
 * tag `list`) even with `Precedence: bulk|list`, which list servers add for RFC 3834 §2.
 * It is `bulk` when it is a machine's: Auto-Submitted auto-generated/auto-notified (RFC 3834
 * §5), an ESP header, a notification system's header (issue trackers, code hosts, CI), `List-Post: NO` (an announcement list), an unsubscribe link without
 * discussion-list markers (a newsletter), `Precedence: bulk|junk` outside a list, a sender
 * named "Newsletter", a filter's bulk verdict, or a no-reply sender. Mass mail with none of
 * these stays human: a missed newsletter costs an agent a glance, a missed customer costs more.
 */
export function detectBulk(message: ParsedMessage): BulkVerdict | null {
  const headers = message.headers;
  const has = (name: string) => headerValue(headers, name) !== null;
  const auto = autoSubmitted(message);
  if (auto !== null && auto !== 'no') return { kind: 'bulk', reason: `auto-submitted: ${auto}` };
  const esp = ESP_HEADERS.find(has);
  if (esp) return { kind: 'bulk', reason: `bulk sender header: ${esp}` };
  const notification = NOTIFICATION_HEADERS.find(has);
  if (notification) return { kind: 'bulk', reason: `machine notification header: ${notification}` };
  const listPost = headerValue(headers, 'list-post');
  if (listPost !== null && /^\s*no\b/i.test(listPost)) return { kind: 'bulk', reason: 'announcement list (list-post: no)' };

  const listMarker = LIST_HEADERS.find(has) ?? (hasListEnvelope(message) ? 'list envelope sender' : null);
  const unsubscribe = has('list-unsubscribe');
  // A header may be repeated ("never-bounce" then "bulk"): the strongest value counts.
  const precedences = headerValues(headers, 'precedence').map((v) => v.trim().toLowerCase().split(/[\s;]/)[0] ?? '');
  const precedence = ['bulk', 'junk', 'list'].find((p) => precedences.includes(p)) ?? null;
  // A newsletter carries List-Id and List-Unsubscribe but no List-Post or list envelope.
  const discussion = listMarker !== null && (!unsubscribe || listPost !== null || hasListEnvelope(message) || !has('list-id'));
  if (discussion) return { kind: 'list-post', reason: `list post (${listMarker})` };
  if (unsubscribe) return { kind: 'bulk', reason: 'list-unsubscribe without list-post' };
  if (precedence === 'bulk' || precedence === 'junk') return { kind: 'bulk', reason: `precedence: ${precedence}` };
  if (precedence === 'list') return { kind: 'list-post', reason: 'precedence: list' };
  if (/\bnewsletter\b/i.test(message.from?.name ?? '')) return { kind: 'bulk', reason: `newsletter sender: ${message.from?.name ?? ''}` };
  // Inbound filters that already judged the mail to be bulk (antispameurope "infomail").
  if (/^yes/i.test(headerValue(headers, 'x-antispameurope-detected-infomail') ?? '')) return { kind: 'bulk', reason: 'filter verdict: infomail' };
  if (isNoReplySender(message)) return { kind: 'bulk', reason: `no-reply sender: ${message.from?.address ?? ''}` };
  return null;
}
