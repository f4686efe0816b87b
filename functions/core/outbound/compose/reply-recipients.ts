import { ValidationError } from '../../errors.ts';
import { FLAG_REPLY_TO_DIFFERS } from '../../mail/participants.ts';
import type { MailAddress } from '../../model/message.ts';
import type { OutboundAddress } from '../../model/outbound-mail.ts';
import { assertSafeAddress, assertSafeDisplayName, isSafeAddress, isSafeDisplayName } from './header-safety.ts';

/** SES accepts at most 50 recipients per message, To, Cc and Bcc together. */
export const MAX_RECIPIENTS = 50;

/** Who wrote the message being answered, as the parser found it. */
export interface AnsweredParties {
  readonly from: MailAddress | null;
  readonly replyTo: readonly MailAddress[];
  readonly sender: MailAddress | null;
  /** The stored message's tags: `reply-to-differs` keeps its Reply-To from being the default recipient. */
  readonly tags?: readonly string[];
}

export interface RecipientsInput {
  /** The message answered; null for a new outbound mail. */
  readonly answered: AnsweredParties | null;
  /** To given by the agent: required for a new mail, added to the customer for a reply. */
  readonly to?: readonly OutboundAddress[];
  readonly cc?: readonly OutboundAddress[];
  readonly bcc?: readonly OutboundAddress[];
  /** Addresses that are ours (channel address, aliases, allowed From), never written to. */
  readonly own: readonly string[];
}

export interface Recipients {
  readonly to: readonly OutboundAddress[];
  readonly cc: readonly OutboundAddress[];
  readonly bcc: readonly OutboundAddress[];
  /** Where To came from. */
  readonly source: 'reply-to' | 'from' | 'sender' | 'agent';
  /** Addresses left out, with why (`ours: x`, `duplicate: y`, `unusable: z`). */
  readonly dropped: readonly string[];
}

/** True when `address` is one of ours or a `local+tag@` form of one. */
function isOwn(address: string, own: readonly string[]): boolean {
  const a = address.toLowerCase();
  return own.some((o) => {
    const mine = o.toLowerCase();
    if (a === mine) return true;
    const at = mine.lastIndexOf('@');
    return a.startsWith(`${mine.slice(0, at)}+`) && a.endsWith(mine.slice(at));
  });
}

/**
 * Addresses of the customer's message: data we answer, not input we refuse. An address that is
 * not one plain address is left out; a display name that could pose as an address is dropped
 * and the bare address kept.
 */
function fromMessage(addresses: readonly (MailAddress | null)[], dropped: string[]): OutboundAddress[] {
  return addresses.flatMap((a) => {
    if (!a) return [];
    if (!isSafeAddress(a.address)) {
      dropped.push(`unusable: ${JSON.stringify(a.address)}`);
      return [];
    }
    return [{ address: a.address.toLowerCase(), name: isSafeDisplayName(a.name) ? a.name.trim() : '' }];
  });
}

/** Addresses the agent typed: refused with the field named when unsafe. */
function fromAgent(field: string, addresses: readonly OutboundAddress[]): OutboundAddress[] {
  return addresses.map((a, i) => {
    assertSafeAddress(`${field}[${i}].address`, a.address);
    assertSafeDisplayName(`${field}[${i}].name`, a.name);
    return { address: a.address.toLowerCase(), name: a.name.trim() };
  });
}

/**
 * The recipients of a reply or new mail. A reply goes to the customer's Reply-To when it names
 * anyone but us, else to From, else to Sender (RFC 5322 §3.6.2: a mail without a usable From
 * answers to Sender); a message flagged `reply-to-differs` (a Reply-To an existing conversation
 * does not know, or one of an unauthenticated first mail) goes to From, and its Reply-To only
 * when the agent adds it. The agent's To, Cc and Bcc are added. Our own addresses are left out (a
 * mail to ourselves comes back in as a new message), and duplicates across To, Cc and Bcc are
 * dropped case-insensitively, To first. Throws `HeaderInjectionError`/`ValidationError` for an
 * unsafe agent address, and `ValidationError` when nobody is left or more than `MAX_RECIPIENTS`.
 */
export function replyRecipients(input: RecipientsInput): Recipients {
  const dropped: string[] = [];
  const agentTo = fromAgent('to', input.to ?? []);
  const cc = fromAgent('cc', input.cc ?? []);
  const bcc = fromAgent('bcc', input.bcc ?? []);
  let source: Recipients['source'] = 'agent';
  let customer: OutboundAddress[] = [];
  if (input.answered) {
    const { replyTo, from, sender, tags = [] } = input.answered;
    const honoured = tags.includes(FLAG_REPLY_TO_DIFFERS) ? [] : [...replyTo];
    const candidates: [Recipients['source'], (MailAddress | null)[]][] = [
      ['reply-to', honoured],
      ['from', [from]],
      ['sender', [sender]],
    ];
    for (const [name, list] of candidates) {
      const usable = fromMessage(list, dropped).filter((a) => !isOwn(a.address, input.own));
      if (usable.length > 0) {
        source = name;
        customer = usable;
        break;
      }
    }
  }
  const seen = new Set<string>();
  const keep = (list: readonly OutboundAddress[]): OutboundAddress[] =>
    list.filter((a) => {
      const key = a.address.toLowerCase();
      if (isOwn(key, input.own)) dropped.push(`ours: ${key}`);
      else if (seen.has(key)) dropped.push(`duplicate: ${key}`);
      else {
        seen.add(key);
        return true;
      }
      return false;
    });
  const to = keep([...customer, ...agentTo]);
  const result = { to, cc: keep(cc), bcc: keep(bcc), source, dropped };
  if (to.length === 0) {
    throw new ValidationError('the mail has no recipient: the answered message has no usable Reply-To, From or Sender, and no To was given', [
      { path: 'to', message: 'no recipient' },
    ]);
  }
  const total = to.length + result.cc.length + result.bcc.length;
  if (total > MAX_RECIPIENTS) {
    throw new ValidationError(`the mail has ${total} recipients; SES sends to at most ${MAX_RECIPIENTS} (To, Cc and Bcc together)`, [
      { path: 'recipients', message: `more than ${MAX_RECIPIENTS} recipients` },
    ]);
  }
  return result;
}
