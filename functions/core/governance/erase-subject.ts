import { ANSWERING_LANES } from '../model/classification.ts';
import type { StoredMessage } from '../model/stored-message.ts';
import type { Finding, MailContents, MailRedactor, SubjectData, SubjectEraser } from '../ports/privacy.ts';
import { bareMessageId, type SubjectMatcher } from './address-match.ts';
import { authoredBy, erasedStub, messageIdsOf, namesOf, redactNote, redactValue, referencedIdsOf } from './redact-records.ts';

export interface ErasureDeps {
  readonly data: SubjectData;
  readonly eraser: SubjectEraser;
  readonly mail: MailRedactor;
  readonly contents: MailContents;
}

/** What one run of an erasure did and learned; the job keeps it between runs. */
export interface ErasureTally {
  readonly counts: Record<string, number>;
  /** Conversations left untouched under a legal hold. */
  readonly held: Set<string>;
  readonly configuration: Set<string>;
  /** Conversations done in this run: another finding of one is not worked again. */
  readonly done: Set<string>;
  /** Grows with the names and Message-IDs the person's messages show. */
  matcher: SubjectMatcher;
}

/** Merged conversations point at the one they were merged into; followed this far at most. */
const MAX_MERGE_FOLLOW = 5;

const isHeld = (tally: ErasureTally, conversationId: string | null | undefined): boolean => Boolean(conversationId && tally.held.has(conversationId));

function add(tally: ErasureTally, name: string, n = 1): void {
  if (n > 0) tally.counts[name] = (tally.counts[name] ?? 0) + n;
}

/** Erases or redacts what one finding names. Idempotent: a finding worked twice changes nothing more. */
export async function eraseFinding(deps: ErasureDeps, tally: ErasureTally, finding: Finding): Promise<void> {
  switch (finding.kind) {
    case 'conversation':
      return eraseConversation(deps, tally, finding.conversationId);
    case 'loose-message':
      return eraseLooseMessage(deps, tally, finding.message);
    case 'mail':
      return eraseMail(deps, tally, finding);
    case 'suppression':
    case 'keyed':
      // A claim or record of a held conversation is kept with it (its conversation finding comes first).
      if (finding.kind === 'keyed' && isHeld(tally, finding.conversationId)) return;
      // The key names the address: an item can only go. The hashed entry replaces suppressions.
      await deps.eraser.deleteItem(finding.ref);
      return add(tally, finding.kind === 'suppression' ? 'suppressionEntriesDeleted' : 'itemsDeleted');
    case 'record': {
      if (isHeld(tally, finding.conversationId)) return;
      const redacted = redactValue(finding.item, tally.matcher);
      if (!redacted.changed) return;
      await deps.eraser.replaceItem(finding.ref, { ...redacted.value });
      return add(tally, 'itemsRedacted');
    }
    case 'configuration':
      tally.configuration.add(finding.what);
  }
}

/**
 * One conversation: nothing under a legal hold. Otherwise the person's messages (those they
 * wrote, and ours written to them alone) are erased whole: raw copy, records, the claims of
 * their own Message-IDs and of ids they refer to that no one else's message uses. With nobody else's message left the conversation
 * goes entirely; shared with others it stays, the person's messages as stubs, and every other
 * message, raw copy, planned mail, record and note is redacted of the person, and the person
 * leaves the participants.
 */
export async function eraseConversation(deps: ErasureDeps, tally: ErasureTally, conversationId: string, hops = 0): Promise<void> {
  if (tally.done.has(conversationId)) return;
  tally.done.add(conversationId);
  const bundle = await deps.data.conversation(conversationId);
  if (!bundle) return;
  if (bundle.conversation.legalHold) {
    tally.held.add(conversationId);
    return;
  }
  const mine = bundle.messages.filter((message) => authoredBy(message, tally.matcher));
  // Shared when another person wrote or was written to; a machine's answer (a bounce, an
  // out-of-office) to the person's mail goes with the rest of it.
  const shared = bundle.messages.some(
    (message) => !authoredBy(message, tally.matcher) && (message.direction === 'outbound' || !ANSWERING_LANES.includes(message.lane)),
  );
  const theirs = shared ? mine : bundle.messages;
  const others = shared ? bundle.messages.filter((message) => !mine.includes(message)) : [];
  tally.matcher = tally.matcher.with({
    names: bundle.messages.flatMap((message) => namesOf(message, tally.matcher)),
    messageIds: theirs.flatMap(messageIdsOf),
  });
  const usedByOthers = new Set(others.flatMap((o) => [...messageIdsOf(o), ...referencedIdsOf(o)]).map(normalId));
  const owners = theirs.map((t) => t.messageId);
  for (const message of theirs) {
    // Its own Message-IDs go even when others' messages refer to them (the claim's key may name
    // the person); ids it only refers to stay while someone else's message uses them too.
    const ids = [...messageIdsOf(message), ...referencedIdsOf(message).filter((id) => !usedByOthers.has(normalId(id)))];
    await eraseMessageWhole(deps, tally, message, ids, owners);
    if (shared) await deps.eraser.putMessage(erasedStub(message));
    else await deps.eraser.deleteMessage(message);
    add(tally, 'messagesErased');
  }
  if (shared) {
    for (const other of others) await redactOthersMessage(deps, tally, other);
    for (const note of bundle.notes) {
      const redacted = redactNote(note, tally.matcher);
      if (!redacted.changed) continue;
      await deps.eraser.putNote(redacted.value);
      add(tally, 'notesRedacted');
    }
    if (await deps.eraser.redactConversation(conversationId, tally.matcher)) add(tally, 'conversationsRedacted');
  } else {
    add(tally, 'itemsDeleted', await deps.eraser.deleteConversation(bundle));
    add(tally, 'conversationsDeleted');
  }
  const into = bundle.conversation.mergedInto;
  if (into && hops < MAX_MERGE_FOLLOW) await eraseConversation(deps, tally, into, hops + 1);
}

/** Everything of a message but its item: claims, records, raw copy or planned mail, attachments. */
async function eraseMessageWhole(
  deps: ErasureDeps,
  tally: ErasureTally,
  message: StoredMessage,
  ids: readonly string[],
  owners: readonly string[],
): Promise<void> {
  add(tally, 'claimsDeleted', await deps.eraser.releaseClaims(message.channelId, ids, owners));
  if (message.direction === 'inbound') {
    await eraseInboundParts(deps, tally, { sesMessageId: message.sesMessageId, rawKey: message.rawKey, messageId: message.messageId });
  } else {
    add(tally, 'mailPartsDeleted', await deps.eraser.eraseOutbound(message));
  }
}

/** Someone else's message: its item, raw copy or planned mail, and records, without the person. */
async function redactOthersMessage(deps: ErasureDeps, tally: ErasureTally, message: StoredMessage): Promise<void> {
  const m = tally.matcher;
  if (await deps.eraser.redactMessage(message, m)) add(tally, 'messagesRedacted');
  if (message.direction === 'inbound') {
    // A raw copy a held conversation shares (the same mail to another channel) stays as the hold keeps it.
    const raw = (await heldSharing(deps, tally, message.sesMessageId)).length > 0 ? null : await deps.data.rawMail(message.rawKey);
    if (raw) {
      const redacted = deps.mail.redact(raw, m);
      if (redacted.changed) {
        await deps.eraser.putRawMail(message.rawKey, redacted.value);
        add(tally, 'rawMailsRedacted');
      }
    }
    add(tally, 'itemsRedacted', await deps.eraser.redactInboundRecords(message.sesMessageId, m));
    return;
  }
  const plan = await deps.data.plan(message.channelId, message.messageId);
  if (plan) {
    const redacted = redactValue(plan, m);
    if (redacted.changed) {
      await deps.eraser.putPlan(message.channelId, message.messageId, redacted.value);
      add(tally, 'plansRedacted');
    }
  }
  if (await deps.eraser.redactOutboundRecord(message, m)) add(tally, 'itemsRedacted');
}

/** A message without a conversation: erased whole when it is the person's, redacted otherwise. */
async function eraseLooseMessage(deps: ErasureDeps, tally: ErasureTally, message: StoredMessage): Promise<void> {
  if (!authoredBy(message, tally.matcher)) return redactOthersMessage(deps, tally, message);
  tally.matcher = tally.matcher.with({ names: namesOf(message, tally.matcher), messageIds: messageIdsOf(message) });
  await eraseMessageWhole(deps, tally, message, [...messageIdsOf(message), ...referencedIdsOf(message)], [message.messageId]);
  await deps.eraser.deleteMessage(message);
  add(tally, 'messagesErased');
}

/**
 * A mail known by its processing record or failed-mail item: its conversation first (which may
 * be held); then the raw copy, if one is left, decides: the person's mail (From) goes whole,
 * anyone else's is redacted with its records.
 */
async function eraseMail(deps: ErasureDeps, tally: ErasureTally, mail: Extract<Finding, { kind: 'mail' }>): Promise<void> {
  if (mail.conversationId) {
    await eraseConversation(deps, tally, mail.conversationId);
    if (tally.held.has(mail.conversationId)) return;
  }
  // A raw copy a held conversation shares stays as it is (its records are redacted below).
  const raw = mail.rawKey && (await heldSharing(deps, tally, mail.sesMessageId)).length === 0 ? await deps.data.rawMail(mail.rawKey) : null;
  if (raw && mail.rawKey) {
    const read = await deps.contents.read(raw);
    if (read.from.some((a) => tally.matcher.isAddress(a))) {
      add(tally, 'mailPartsDeleted', await deps.eraser.eraseInboundMail({ sesMessageId: mail.sesMessageId, rawKey: mail.rawKey, messageId: null }));
      return;
    }
    const redacted = deps.mail.redact(raw, tally.matcher);
    if (redacted.changed) {
      await deps.eraser.putRawMail(mail.rawKey, redacted.value);
      add(tally, 'rawMailsRedacted');
    }
  }
  add(tally, 'itemsRedacted', await deps.eraser.redactInboundRecords(mail.sesMessageId, tally.matcher));
}

function normalId(id: string): string {
  return bareMessageId(id).toLowerCase();
}

/** The held conversations that share this mail's raw copy (one mail to two channels), noted as held: the erasure leaves them. */
async function heldSharing(deps: ErasureDeps, tally: ErasureTally, sesMessageId: string): Promise<readonly string[]> {
  const held = await deps.eraser.heldSharers(sesMessageId);
  for (const id of held) tally.held.add(id);
  return held;
}

/** An inbound mail whole, unless a held conversation shares it: then only the records of the others go. */
async function eraseInboundParts(
  deps: ErasureDeps,
  tally: ErasureTally,
  mail: { readonly sesMessageId: string; readonly rawKey: string | null; readonly messageId: string | null },
): Promise<void> {
  const held = await heldSharing(deps, tally, mail.sesMessageId);
  const removed = held.length > 0 ? await deps.eraser.eraseInboundRecordsOnly(mail.sesMessageId, held) : await deps.eraser.eraseInboundMail(mail);
  add(tally, 'mailPartsDeleted', removed);
}
