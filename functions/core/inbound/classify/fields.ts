/**
 * Reading the header-like bodies of report parts (RFC 3464 §2.1, RFC 5965 §3.1,
 * RFC 8098 §3.1) and picking addresses and message ids out of field values.
 */

/** One field of a report body: lowercase name, unfolded value. */
export interface Field {
  readonly name: string;
  readonly value: string;
}

// Hostile input limit: a report body is a few hundred bytes; never scan megabytes of it.
const MAX_REPORT_CHARS = 64_000;

/**
 * Splits a report body into fields, in order. Continuation lines (RFC 5322 §2.2.3) are
 * unfolded; a blank line yields a `''`-named separator so callers can see group borders.
 */
export function readFields(text: string): Field[] {
  const fields: Field[] = [];
  for (const raw of text.slice(0, MAX_REPORT_CHARS).split(/\r?\n/)) {
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(raw) && raw.trim() !== '' && last && last.name !== '') {
      fields[fields.length - 1] = { name: last.name, value: `${last.value} ${raw.trim()}` };
      continue;
    }
    const line = raw.trim();
    if (line === '') {
      if (last && last.name !== '') fields.push({ name: '', value: '' });
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0 || /\s/.test(line.slice(0, colon))) continue;
    fields.push({ name: line.slice(0, colon).toLowerCase(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

/** The first value of a field, or null. */
export function fieldValue(fields: readonly Field[], name: string): string | null {
  return fields.find((f) => f.name === name)?.value ?? null;
}

// Bounded repetitions (RFC 5321 §4.5.3.1 sizes) keep the scan linear on hostile text.
const ADDRESS = /[a-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?){1,10}/i;

/**
 * The mailbox in an address field such as `rfc822; <User@Example.com>` (RFC 3464 §2.3.2),
 * lowercased; null when the value holds no internet address.
 */
export function addressIn(value: string): string | null {
  const typed = /^\s*(?:rfc822|utf-8)\s*;\s*<?([^\s<>;]+@[^\s<>;]+?)>?\s*$/i.exec(value);
  // A typed value is the address as the MTA saw it, even when not RFC 5322-valid (RFC 3464 §2.3.2).
  if (typed?.[1]) return typed[1].toLowerCase();
  const found = ADDRESS.exec(value.replace(/^\s*x-[\w-]+\s*;/i, ''));
  return found ? found[0].replace(/^\.+|\.+$/g, '').toLowerCase() : null;
}

/** Every mailbox in `text`, lowercased, deduplicated, in order of appearance. */
export function addressesIn(text: string): string[] {
  const global = new RegExp(ADDRESS.source, 'gi');
  const seen = new Set<string>();
  for (const m of text.matchAll(global)) seen.add(m[0].replace(/^\.+|\.+$/g, '').toLowerCase());
  return [...seen];
}

/** A message id without its angle brackets (RFC 5322 §3.6.4), or null when empty. */
export function bareMessageId(value: string | null): string | null {
  if (value === null) return null;
  const bracketed = /<([^<>\s]+)>/.exec(value);
  const id = (bracketed ? bracketed[1] : value.trim().split(/\s+/)[0]) ?? '';
  return id === '' ? null : id;
}

/** The id from a `Message-ID:` line quoted in a body (returned mail copies), or null. */
export function quotedMessageId(text: string): string | null {
  const found = /^[ \t>]*Message-ID:[ \t]*(<[^<>\s]+>|\S+@\S+)/im.exec(text.slice(0, 200_000));
  return found ? bareMessageId(found[1] ?? null) : null;
}
