import type { MailAddress } from '../../core/model/message.ts';
import { cleanHeaderText } from './header-text.ts';

/** An address entry as mailparser's addressparser produces it; groups nest. */
interface ParsedAddress {
  readonly address?: unknown;
  readonly name?: unknown;
  readonly group?: unknown;
}

function isParsedAddress(value: unknown): value is ParsedAddress {
  return typeof value === 'object' && value !== null;
}

/** The `value` list of a mailparser address header object, whatever shape it arrived in. */
function entriesOf(header: unknown): unknown[] {
  const objects = Array.isArray(header) ? header : [header];
  return objects.flatMap((object) => {
    const value = isParsedAddress(object) ? (object as { value?: unknown }).value : undefined;
    return Array.isArray(value) ? value : [];
  });
}

// A lone local part such as `MAILER-DAEMON (Mail Delivery System)`, which addressparser
// reports as a name without address.
const BARE_LOCAL_PART = /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+$/i;

function flatten(entries: readonly unknown[], into: MailAddress[], depth: number, promoteBare: boolean): void {
  for (const entry of entries) {
    if (!isParsedAddress(entry)) continue;
    // RFC 5322 groups ("undisclosed-recipients: a@b;") are flattened into their members.
    if (Array.isArray(entry.group)) {
      if (depth < 4) flatten(entry.group, into, depth + 1, false);
      continue;
    }
    const name = typeof entry.name === 'string' ? cleanHeaderText(entry.name) : '';
    const address = normalizeAddress(entry.address);
    if (address) into.push({ address, name });
    else if (promoteBare && BARE_LOCAL_PART.test(name)) into.push({ address: name.toLowerCase(), name: '' });
  }
}

/** Lowercases and trims an address and drops control characters; empty when unusable. */
export function normalizeAddress(value: unknown): string {
  if (typeof value !== 'string') return '';
  return value
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, '')
    .trim()
    .toLowerCase();
}

/** All addresses of a mailparser address header (From, To, Cc, ...), groups flattened. */
export function toAddressList(header: unknown): MailAddress[] {
  const addresses: MailAddress[] = [];
  flatten(entriesOf(header), addresses, 0, false);
  return addresses;
}

/**
 * The first address of a From or Sender header, or null. Here a bare local part (no domain)
 * counts as the address: bounce classification needs `mailer-daemon` / `postmaster` senders.
 */
export function toFirstAddress(header: unknown): MailAddress | null {
  const addresses: MailAddress[] = [];
  flatten(entriesOf(header), addresses, 0, true);
  return addresses[0] ?? null;
}
