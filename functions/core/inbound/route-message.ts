import type { ChannelSettings, RoutingCondition } from '../model/channel.ts';
import type { Lane } from '../model/classification.ts';
import { headerValue, type ParsedMessage } from '../model/message.ts';
import type { Priority } from '../model/routed-message.ts';
import { customerAddress } from '../mail/participants.ts';

export interface RouteInput {
  readonly channel: ChannelSettings;
  readonly message: ParsedMessage;
  /** The new text of the body, without quoted history and signature. */
  readonly reply: string;
  /** ISO 639-1 code of the new text, or null when unknown. */
  readonly language?: string | null | undefined;
  readonly lane: Lane;
  readonly tags: readonly string[];
  /** Envelope recipients plus To and Cc, lowercase. */
  readonly recipients: readonly string[];
}

export interface RouteDecision {
  readonly skill: string;
  /** Name of the routing rule that chose the skill, `spam-policy`, or `default`. */
  readonly rule: string;
  readonly priority: Priority;
}

/**
 * Chooses the skill queue for a message: spam under the `route` policy goes to the spam skill
 * (at low priority, since spam likes to claim urgency); otherwise the first rule of
 * `channel.routing` whose conditions all hold; otherwise the channel's default skill. The
 * priority comes from the message headers unless the matching rule sets one.
 */
export function routeMessage(input: RouteInput): RouteDecision {
  const { channel } = input;
  const priority = messagePriority(input.message);
  if (input.tags.includes('spam') && channel.spamPolicy === 'route' && channel.spamSkill) {
    return { skill: channel.spamSkill, rule: 'spam-policy', priority: 'low' };
  }
  for (const rule of channel.routing) {
    if (matches(rule.when, input, priority)) {
      return { skill: rule.skill, rule: rule.name, priority: rule.priority ?? priority };
    }
  }
  return { skill: channel.defaultSkill, rule: 'default', priority };
}

/**
 * The sender's stated priority, from the first of `Importance` (RFC 2156), `X-Priority`
 * (1–2 high, 3 normal, 4–5 low), `Priority` (RFC 2156: urgent / non-urgent) and
 * `X-MSMail-Priority` that says something readable; `normal` otherwise.
 */
export function messagePriority(message: ParsedMessage): Priority {
  const readers: readonly [string, (v: string) => Priority | null][] = [
    ['importance', (v) => (v === 'high' ? 'high' : v === 'low' ? 'low' : v === 'normal' ? 'normal' : null)],
    ['x-priority', (v) => xPriority(v)],
    ['priority', (v) => (v === 'urgent' ? 'high' : v === 'non-urgent' ? 'low' : v === 'normal' ? 'normal' : null)],
    ['x-msmail-priority', (v) => (v === 'high' ? 'high' : v === 'low' ? 'low' : v === 'normal' ? 'normal' : null)],
  ];
  for (const [name, read] of readers) {
    const value = headerValue(message.headers, name);
    const priority = value === null ? null : read(value.trim().toLowerCase());
    if (priority) return priority;
  }
  return 'normal';
}

function xPriority(value: string): Priority | null {
  const digit = /^\s*([1-5])\b/u.exec(value)?.[1];
  if (digit === undefined) return null;
  return digit <= '2' ? 'high' : digit === '3' ? 'normal' : 'low';
}

/** An empty list is treated as an absent condition, as an admin form that sends `[]` means "any". */
function given<T>(list: readonly T[] | undefined): list is readonly T[] {
  return list !== undefined && list.length > 0;
}

function matches(when: RoutingCondition, input: RouteInput, priority: Priority): boolean {
  const from = customerAddress(input.message)?.address.toLowerCase() ?? '';
  const domain = from.slice(from.lastIndexOf('@') + 1);
  const recipients = new Set(input.recipients.map((r) => r.toLowerCase()));
  const checks: boolean[] = [
    !given(when.recipients) || when.recipients.some((r) => recipients.has(r.toLowerCase())),
    !given(when.senders) || when.senders.some((s) => s.toLowerCase() === from),
    !given(when.senderDomains) || (from.includes('@') && when.senderDomains.some((d) => inDomain(domain, d))),
    !given(when.subjectKeywords) || when.subjectKeywords.some((k) => hasKeyword(input.message.subject, k)),
    !given(when.bodyKeywords) || when.bodyKeywords.some((k) => hasKeyword(input.reply, k)),
    !given(when.tags) || when.tags.every((t) => input.tags.includes(t)),
    !given(when.lanes) || when.lanes.includes(input.lane),
    !given(when.priorities) || when.priorities.includes(priority),
    !given(when.languages) || (input.language != null && when.languages.includes(input.language)),
  ];
  return checks.every(Boolean);
}

function inDomain(domain: string, wanted: string): boolean {
  const d = wanted.trim().toLowerCase().replace(/^@/u, '').replace(/^\*\./u, '');
  return d.length > 0 && (domain === d || domain.endsWith(`.${d}`));
}

/** Scripts written without spaces between words: word boundaries cannot be seen there. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

/**
 * Whole-word, case-insensitive match that also works for non-ASCII words (`\b` is ASCII-only in
 * JavaScript): the keyword must not touch a letter, digit or combining mark on either side. Where
 * a keyword begins or ends in a script written without spaces (Chinese, Japanese, Thai, …) that
 * side matches inside text. Whitespace inside a phrase matches any run of whitespace.
 */
export function hasKeyword(text: string, keyword: string): boolean {
  const words = keyword
    .normalize('NFC')
    .trim()
    .split(/\s+/u)
    .filter((w) => w.length > 0);
  const first = [...(words[0] ?? '')].at(0);
  const last = [...(words[words.length - 1] ?? '')].at(-1);
  if (first === undefined || last === undefined) return false;
  const body = words.map((w) => w.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('\\s+');
  const edge = '[\\p{L}\\p{N}\\p{M}_]';
  const before = UNSPACED.test(first) ? '' : `(?<!${edge})`;
  const after = UNSPACED.test(last) ? '' : `(?!${edge})`;
  return new RegExp(`${before}${body}${after}`, 'iu').test(text.normalize('NFC'));
}
