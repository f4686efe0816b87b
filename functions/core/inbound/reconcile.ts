import { BusyError, NotFoundError } from '../errors.ts';
import type { ReceiptVerdicts } from '../model/classification.ts';
import type { InboundMail } from '../model/inbound-record.ts';
import type { Clock } from '../ports/clock.ts';
import type { ChannelDirectory, FailedMailStore, RawMailStore } from '../ports/inbound.ts';
import type { ReceiveOutcome } from './receive-mail.ts';

/*
 * Reconciliation of raw mail with processing records: SES's S3 action stored a mail, but the
 * Lambda action that should have followed never ran it (SES could not invoke the function, or
 * the event was dropped). Such a mail has a raw object, and neither a processing record nor a
 * failed entry.
 *
 * The SES receipt event is gone, and with it the envelope recipients and SES's verdicts: the S3
 * action keeps only the mail, whose verdict fields (`X-SES-…`, `Authentication-Results`) a sender
 * can write as well. Recipients are recovered from the mail's own header section, most
 * trusted first (`recipientTiers`); a mail whose headers name no channel address is listed as
 * failed (`lost-invocation`), visible and replayable. Verdicts are unknown: every check is
 * `PROCESSING_FAILED`, so the mail is tagged `verdict-processing-failed` and its sender counts as
 * unauthenticated (a follow-up by ticket number or reply token is flagged, never trusted).
 */

/** One raw mail object: its key and when S3 stored it (ISO 8601). */
export interface RawMailObject {
  readonly key: string;
  readonly lastModified: string;
}

export interface RawMailPage {
  readonly objects: readonly RawMailObject[];
  /** Where the next page starts; null after the last. */
  readonly cursor: string | null;
}

/** Raw mail objects under the receipt rules' prefix, a page at a time in key order (S3 lists in no other order). */
export interface RawMailListing {
  list(cursor: string | null): Promise<RawMailPage>;
}

/** Whether a mail id has anything under its inbound partition: a processing record on any channel, or a failed entry. */
export interface InboundRecordsLookup {
  exists(mailId: string): Promise<boolean>;
}

export interface ReconcileDeps {
  readonly listing: RawMailListing;
  readonly records: InboundRecordsLookup;
  readonly rawMail: RawMailStore;
  readonly channels: ChannelDirectory;
  readonly failed: FailedMailStore;
  readonly clock: Clock;
  /** `receiveMail` on the inbound function's adapters: the path the lost invocation would have taken. */
  readonly receive: (mail: InboundMail) => Promise<ReceiveOutcome>;
}

export interface ReconcileOptions {
  /** Key prefix of raw mail (`RAW_MAIL_PREFIX`): key = prefix + mail id. */
  readonly rawKeyPrefix: string;
  /** Objects stored longer ago than this are left alone (an earlier run had them). */
  readonly windowMs: number;
  /** Objects stored more recently than this are left alone: their invocation may still be running or retried. */
  readonly graceMs: number;
  /** Raw objects checked against the table in one run, oldest first. */
  readonly maxChecks: number;
  /** Mails without a record that one run replays or lists; the rest wait for the next run. */
  readonly maxRecoveries: number;
  /** When the run stops taking work: listing stops halfway there, so checks get the rest. */
  readonly deadline: Date;
}

/** Why a run did not cover its whole window; the next run goes on, and the report says so for the alarm. */
export type Shortfall = 'listing-time' | 'check-time' | 'max-checks' | 'max-recoveries';

export interface ReconciledMail {
  readonly sesMessageId: string;
  /** Which headers named the channel (`received`, `delivery`, `addressed`: see `recipientTiers`). */
  readonly source: RecipientSource;
  readonly outcomes: readonly ReceiveOutcome[];
}

export interface LostMail {
  readonly sesMessageId: string;
  readonly rawKey: string;
  readonly reason: string;
}

export interface ReconcileReport {
  /** Objects listed under the prefix. */
  readonly listed: number;
  /** Objects in the window that an SES invocation was due for (not a mailbox source's, not SES's setup test). */
  readonly due: number;
  readonly checked: number;
  /** Mails without a record, run through the inbound path now. */
  readonly reconciled: readonly ReconciledMail[];
  /** Mails without a record whose headers name no channel: listed as failed (`lost-invocation`). */
  readonly lost: readonly LostMail[];
  /** Mails another attempt holds right now (a late invocation): left to it. */
  readonly busy: number;
  readonly errors: readonly { readonly sesMessageId: string; readonly error: unknown }[];
  readonly shortfall: Shortfall | null;
}

/** Code of the failed entry of a lost mail whose channel could not be recovered. */
export const LOST_INVOCATION = 'lost-invocation';

/** What SES's verdicts become when the receipt event is gone: every check unknown (`verdict-processing-failed`, sender unauthenticated). */
export const UNKNOWN_VERDICTS: ReceiptVerdicts = {
  spamVerdict: 'PROCESSING_FAILED',
  virusVerdict: 'PROCESSING_FAILED',
  spfVerdict: 'PROCESSING_FAILED',
  dkimVerdict: 'PROCESSING_FAILED',
  dmarcVerdict: 'PROCESSING_FAILED',
};

/**
 * Ids under the prefix that no SES invocation is due for: mail a mailbox source or an import
 * stored (`sourceMailId`: the mailbox keeps it until its poll, retried and dead-lettered, settles
 * it) and the object SES writes to test the bucket when a rule is created.
 */
export const SOURCE_MAIL_ID_PREFIX = 'src-';
const SES_SETUP_NOTIFICATION = 'AMAZON_SES_SETUP_NOTIFICATION';

/**
 * Compares the raw mail stored within the window (`now - windowMs` to `now - graceMs`) with the
 * processing records, and recovers each mail that has none: run through `receive` once per channel
 * its headers name, else listed as failed. Idempotent (the inbound path is, by mail id): a run
 * that overlaps another, or a late SES invocation, finds the record and does nothing twice.
 *
 * Bounded: the listing stops halfway to the deadline, then at most `maxChecks` objects are looked
 * up (oldest first: they leave the window soonest) and `maxRecoveries` recovered; the report names
 * any shortfall. Errors of one mail are collected, not thrown, so one bad mail stops no other.
 */
export async function reconcileRawMail(deps: ReconcileDeps, options: ReconcileOptions): Promise<ReconcileReport> {
  const start = deps.clock.now().getTime();
  const listUntil = start + (options.deadline.getTime() - start) / 2;
  const from = start - options.windowMs;
  const to = start - options.graceMs;
  const listing = await listDue(deps, options.rawKeyPrefix, from, to, listUntil);
  const due = [...listing.due].sort((a, b) => a.lastModified.localeCompare(b.lastModified) || a.key.localeCompare(b.key));

  let shortfall: Shortfall | null = listing.complete ? null : 'listing-time';
  let checked = 0;
  let busy = 0;
  const reconciled: ReconciledMail[] = [];
  const lost: LostMail[] = [];
  const errors: { sesMessageId: string; error: unknown }[] = [];
  for (const object of due) {
    if (checked >= options.maxChecks) {
      shortfall ??= 'max-checks';
      break;
    }
    if (deps.clock.now().getTime() >= options.deadline.getTime()) {
      shortfall ??= 'check-time';
      break;
    }
    const sesMessageId = object.key.slice(options.rawKeyPrefix.length);
    checked += 1;
    try {
      if (await deps.records.exists(sesMessageId)) continue;
      if (reconciled.length + lost.length >= options.maxRecoveries) {
        shortfall ??= 'max-recoveries';
        break;
      }
      const result = await recover(deps, object, sesMessageId);
      if (result.reconciled) reconciled.push(result.reconciled);
      if (result.lost) lost.push(result.lost);
      busy += result.busy;
      for (const error of result.errors) errors.push({ sesMessageId, error });
    } catch (error) {
      errors.push({ sesMessageId, error });
    }
  }
  return { listed: listing.listed, due: due.length, checked, reconciled, lost, busy, errors, shortfall };
}

async function listDue(deps: ReconcileDeps, prefix: string, from: number, to: number, until: number) {
  const due: RawMailObject[] = [];
  let listed = 0;
  let cursor: string | null = null;
  do {
    if (deps.clock.now().getTime() >= until) return { due, listed, complete: false };
    const page: RawMailPage = await deps.listing.list(cursor);
    listed += page.objects.length;
    for (const object of page.objects) {
      const at = Date.parse(object.lastModified);
      if (at >= from && at <= to && isSesMail(object.key, prefix)) due.push(object);
    }
    cursor = page.cursor;
  } while (cursor !== null);
  return { due, listed, complete: true };
}

/** A key SES's S3 action wrote for a received mail: directly under the prefix, not a source's or the setup test object. */
function isSesMail(key: string, prefix: string): boolean {
  if (!key.startsWith(prefix)) return false;
  const id = key.slice(prefix.length);
  return id.length > 0 && !id.includes('/') && !id.startsWith(SOURCE_MAIL_ID_PREFIX) && id !== SES_SETUP_NOTIFICATION;
}

interface Recovery {
  readonly reconciled?: ReconciledMail;
  readonly lost?: LostMail;
  readonly busy: number;
  readonly errors: readonly unknown[];
}

/** Runs one mail without a record through the inbound path for each channel its headers name, else lists it as failed. */
async function recover(deps: ReconcileDeps, object: RawMailObject, sesMessageId: string): Promise<Recovery> {
  let raw: Uint8Array;
  try {
    raw = await deps.rawMail.get(object.key);
  } catch (error) {
    // Expired or deleted since the listing: nothing left to process.
    if (error instanceof NotFoundError) return { busy: 0, errors: [] };
    throw error;
  }
  const tiers = recipientTiers(headerSection(raw), sesMessageId);
  const base = { sesMessageId, rawKey: object.key, verdicts: UNKNOWN_VERDICTS, receivedAt: new Date(object.lastModified).toISOString() };
  for (const tier of tiers) {
    const byChannel = await channelsOf(deps.channels, tier.addresses);
    if (byChannel.size === 0) continue;
    const outcomes: ReceiveOutcome[] = [];
    const errors: unknown[] = [];
    let busy = 0;
    // As SES runs one rule per channel a mail is for, each channel gets its own record.
    for (const recipients of byChannel.values()) {
      try {
        outcomes.push(await deps.receive({ ...base, recipients }));
      } catch (error) {
        if (error instanceof BusyError) busy += 1;
        else errors.push(error);
      }
    }
    return { ...(outcomes.length > 0 ? { reconciled: { sesMessageId, source: tier.source, outcomes } } : {}), busy, errors };
  }
  const named = [...new Set(tiers.flatMap((t) => t.addresses))];
  const reason = `SES stored the mail but the inbound function never ran for it, and its headers name no channel address (${named.slice(0, 5).join(', ') || 'none'})`;
  // The addresses stay on the mail, so a replay after a channel or alias is added for one of them finds it.
  await deps.failed.put({
    sesMessageId,
    channelId: null,
    rawKey: object.key,
    code: LOST_INVOCATION,
    reason,
    failedAt: deps.clock.now().toISOString(),
    mail: { ...base, recipients: named },
  });
  return { lost: { sesMessageId, rawKey: object.key, reason }, busy: 0, errors: [] };
}

/** Addresses looked up per tier: a hostile To list must not turn into thousands of lookups. */
const MAX_ADDRESSES = 50;

/** The addresses that name a channel, grouped by it (a mail for two channels gets a record on each). */
async function channelsOf(channels: ChannelDirectory, addresses: readonly string[]): Promise<Map<string, string[]>> {
  const byChannel = new Map<string, string[]>();
  for (const address of addresses.slice(0, MAX_ADDRESSES)) {
    const channel = await channels.findByRecipients([address]);
    if (channel) byChannel.set(channel.id, [...(byChannel.get(channel.id) ?? []), address]);
  }
  return byChannel;
}

export type RecipientSource = 'received' | 'delivery' | 'addressed';

export interface RecipientTier {
  readonly source: RecipientSource;
  /** Lowercase, unique, in header order. */
  readonly addresses: readonly string[];
}

/** Bytes of a raw mail read for its header section; the addresses sit near the top. */
export const HEADER_SECTION_BYTES = 64 * 1024;

/** The header section of a raw mail (up to the first empty line), read as Latin-1: addresses are ASCII. */
export function headerSection(raw: Uint8Array): string {
  const head = raw.subarray(0, HEADER_SECTION_BYTES);
  let text = '';
  for (let i = 0; i < head.length; i += 8192) text += String.fromCharCode(...head.subarray(i, i + 8192));
  const end = text.search(/\r?\n\r?\n/);
  return end < 0 ? text : text.slice(0, end);
}

/**
 * Candidate recipients from a header section, most trusted first:
 * - `received`: the `for` clause of a Received field whose SMTP id is this mail's SES message id.
 *   SES's own trace field; the id is drawn when SES accepts the mail, so a sender cannot forge it.
 * - `delivery`: Delivered-To, X-Original-To, X-Forwarded-To and Envelope-To, which a forwarding
 *   server writes with the envelope recipient it delivered to.
 * - `addressed`: To and Cc, what the sender addressed (Bcc recipients are in neither).
 * Every tier comes from headers a sender may write, except the first; a wrong one only chooses
 * among this deployment's own channels, since the mail reached SES for one of our domains.
 */
export function recipientTiers(section: string, sesMessageId: string): RecipientTier[] {
  const fields = headerFields(section);
  const values = (...names: string[]) => fields.filter((f) => names.includes(f.name)).map((f) => f.value);
  const received = values('received').flatMap((value) => {
    const id = /\bid\s+<?([^\s<>;]+)>?/i.exec(value)?.[1];
    if (id?.toLowerCase() !== sesMessageId.toLowerCase()) return [];
    return [...value.matchAll(/\bfor\s+<?([^\s<>;,]+@[^\s<>;,]+?)>?(?=[\s;,]|$)/gi)].map((m) => m[1] ?? '');
  });
  const tiers: RecipientTier[] = [
    { source: 'received', addresses: unique(received) },
    { source: 'delivery', addresses: unique(values('delivered-to', 'x-original-to', 'x-forwarded-to', 'envelope-to').flatMap(addressesIn)) },
    { source: 'addressed', addresses: unique(values('to', 'cc').flatMap(addressesIn)) },
  ];
  return tiers.filter((t) => t.addresses.length > 0);
}

/** Fields of a header section, unfolded, names lowercase. */
function headerFields(section: string): { readonly name: string; readonly value: string }[] {
  return section
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/)
    .flatMap((line) => {
      const colon = line.indexOf(':');
      return colon > 0 ? [{ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim() }] : [];
    });
}

/**
 * The address-shaped words of a header value. Display names and comments may hold some too; they
 * are matched only against channel addresses, so a stray one can only name one of our channels.
 */
function addressesIn(value: string): string[] {
  return [...value.matchAll(/[^\s<>()[\]"',;:@]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,63}/g)].map((m) => m[0]);
}

function unique(addresses: readonly string[]): string[] {
  return [...new Set(addresses.map((a) => a.toLowerCase()).filter((a) => a.includes('@')))];
}
