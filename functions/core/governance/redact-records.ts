import { customerAddress } from '../mail/participants.ts';
import type { Note } from '../model/admin-resources.ts';
import type { MailAddress } from '../model/message.ts';
import type { StoredMessage } from '../model/stored-message.ts';
import { ERASED_ADDRESS, type SubjectMatcher } from './address-match.ts';

/** Tag a message keeps once its author's data is erased: what is left of it is a stub. */
export const ERASED_TAG = 'erased';
export const ERASED_SUBJECT = '[erased]';
export const ERASED_PREVIEW = '[erased on request]';

/** A value with its redaction applied, and whether anything changed. */
export interface Redacted<T> {
  readonly value: T;
  readonly changed: boolean;
}

/**
 * True when the message is the person's: an inbound mail they wrote (the address an answer
 * goes to, `customerAddress`), or one we sent to them and nobody else.
 */
export function authoredBy(message: StoredMessage, m: SubjectMatcher): boolean {
  if (message.direction === 'inbound') {
    const customer = customerAddress(message);
    return customer !== null && m.isAddress(customer.address);
  }
  const recipients = [...message.to, ...message.cc, ...message.bcc].map((a) => a.address);
  const all = recipients.length > 0 ? recipients : message.recipients.map((r) => r.address);
  return all.length > 0 && all.every((a) => m.isAddress(a));
}

/** Every address a stored message names, with the display name it has there (recipients' delivery entries have none). */
export function addressesOf(message: StoredMessage): MailAddress[] {
  const common = [message.from, ...message.to, ...message.cc];
  const named = message.direction === 'inbound' ? [...common, message.sender, ...message.replyTo] : [...common, ...message.bcc];
  const delivery = message.direction === 'outbound' ? message.recipients.map((r) => ({ address: r.address, name: '' })) : [];
  return [...named, ...delivery].filter((a): a is MailAddress => a !== null);
}

/** True when the person is a party of the message: its author or one of its recipients. */
export function involves(message: StoredMessage, m: SubjectMatcher): boolean {
  return addressesOf(message).some((a) => m.isAddress(a.address));
}

/** The display names the message gives the person. */
export function namesOf(message: StoredMessage, m: SubjectMatcher): string[] {
  return addressesOf(message)
    .filter((a) => m.isAddress(a.address) && a.name.trim() !== '')
    .map((a) => a.name);
}

/** The Message-IDs a message is known by: its own and, for one we sent, the ids a reply to it may carry. */
export function messageIdsOf(message: StoredMessage): string[] {
  const own = message.internetMessageId ? [message.internetMessageId] : [];
  return message.direction === 'outbound' ? [...own, ...message.threadIds] : own;
}

/** Message-IDs a message refers to (In-Reply-To, References). */
export function referencedIdsOf(message: StoredMessage): string[] {
  if (message.direction === 'outbound') return [];
  return [...(message.inReplyTo ? [message.inReplyTo] : []), ...message.references];
}

/**
 * What is left of the person's message in a conversation shared with others: the timeline keeps
 * that a message was there, when, and which way it went; who wrote it, to whom, the subject,
 * text, attachments and Message-IDs are gone. Its raw copy is deleted separately.
 */
export function erasedStub(message: StoredMessage): StoredMessage {
  const common = {
    subject: ERASED_SUBJECT,
    preview: ERASED_PREVIEW,
    to: [],
    cc: [],
    attachments: [],
    internetMessageId: null,
    from: message.direction === 'outbound' ? message.from : null,
  };
  if (message.direction === 'inbound') {
    return {
      ...message,
      ...common,
      replyTo: [],
      sender: null,
      inReplyTo: null,
      references: [],
      date: null,
      rejectedAttachments: [],
      laneReason: 'erased on request',
      tags: [...new Set([...message.tags, ERASED_TAG])],
      thread: {
        rule: message.thread.rule,
        reason: 'erased on request',
        flags: [],
        ...(message.thread.linkedConversationId ? { linkedConversationId: message.thread.linkedConversationId } : {}),
      },
    };
  }
  return { ...message, ...common, bcc: [], threadIds: [], providerMessageId: null, statusReason: null, recipients: [] };
}

/** A note with the person's address, names and Message-IDs taken out of its text. */
export function redactNote(note: Note, m: SubjectMatcher): Redacted<Note> {
  const text = m.redact(note.text);
  return { value: text === note.text ? note : { ...note, text }, changed: text !== note.text };
}

/**
 * Any stored value (an item's attributes, a planned mail, a record's JSON) with the person taken
 * out: an address object (`{ address, … }`) of theirs leaves the list it is in (a `to` list left
 * empty keeps one `ERASED_ADDRESS`, as a planned mail needs a recipient), as do their address and
 * Message-IDs standing alone in a list or set; every other text is redacted (`SubjectMatcher.redact`).
 */
export function redactValue<T>(value: T, m: SubjectMatcher): Redacted<T> {
  let changed = false;
  const walk = (v: unknown, key: string | null): unknown => {
    if (typeof v === 'string') {
      const out = m.isMessageId(v) ? (v.trim().startsWith('<') ? `<${ERASED_ADDRESS}>` : ERASED_ADDRESS) : m.redact(v);
      if (out !== v) changed = true;
      return out;
    }
    if (v instanceof Set) {
      const kept = [...v].filter((e) => !isTheirs(e, m)).map((e) => walk(e, null));
      if (kept.length !== v.size) changed = true;
      return new Set(kept);
    }
    if (Array.isArray(v)) {
      const kept = v.filter((e) => !isTheirs(e, m));
      if (kept.length !== v.length) changed = true;
      const out = kept.map((e) => walk(e, null));
      if (key === 'to' && out.length === 0 && v.length > 0 && isAddressObject(v[0])) return [{ ...(v[0] as object), address: ERASED_ADDRESS, name: '' }];
      return out;
    }
    if (isPlainObject(v)) {
      if (isAddressObject(v) && m.isAddress(v.address)) {
        changed = true;
        return { ...v, address: ERASED_ADDRESS, ...('name' in v ? { name: '' } : {}) };
      }
      return Object.fromEntries(Object.entries(v).map(([k, e]) => [k, walk(e, k)]));
    }
    return v;
  };
  const out = walk(value, null) as T;
  return { value: changed ? out : value, changed };
}

function isTheirs(element: unknown, m: SubjectMatcher): boolean {
  if (typeof element === 'string') return m.isAddress(element) || m.isMessageId(element);
  return isAddressObject(element) && m.isAddress(element.address);
}

function isAddressObject(v: unknown): v is { address: string; name?: string } {
  return isPlainObject(v) && typeof v.address === 'string';
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Set) &&
    !(v instanceof Uint8Array) &&
    Object.getPrototypeOf(v) === Object.prototype
  );
}
