// Temporary converter: raw mail -> ParsedMessage via mailparser (measurement only, not shipped).
import { simpleParser, type AddressObject } from 'mailparser';
import libmime from 'libmime';
import type { ParsedMessage, Header, MailAddress } from '../functions/core/model/message.ts';

const REPORT_TYPES = new Set([
  'message/delivery-status', 'message/global-delivery-status',
  'message/feedback-report', 'message/disposition-notification',
]);
const ENCLOSED_TYPES = new Set(['message/rfc822', 'text/rfc822-headers', 'message/global', 'message/global-headers']);

function decode(v: string): string {
  try { return libmime.decodeWords(v); } catch { return v; }
}

export function splitHeaders(block: string): Header[] {
  const end = block.search(/\r?\n\r?\n/);
  const head = end < 0 ? block : block.slice(0, end);
  const out: Header[] = [];
  for (const line of head.split(/\r?\n(?![ \t])/)) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    out.push({ name: line.slice(0, i).trim().toLowerCase(), value: decode(line.slice(i + 1).replace(/\r?\n[ \t]+/g, ' ').trim()) });
  }
  return out;
}

function addrs(a: AddressObject | AddressObject[] | undefined): MailAddress[] {
  if (!a) return [];
  const list = Array.isArray(a) ? a : [a];
  const out: MailAddress[] = [];
  const walk = (vs: any[]) => { for (const v of vs) { if (v.group) walk(v.group); else if (v.address) out.push({ address: v.address.toLowerCase(), name: v.name ?? '' }); } };
  for (const o of list) walk(o.value);
  return out;
}

export async function toParsed(raw: Buffer): Promise<ParsedMessage> {
  const p = await simpleParser(raw, { keepDeliveryStatus: true } as any);
  const headers: Header[] = p.headerLines.map((l) => {
    const i = l.line.indexOf(':');
    return { name: l.key.toLowerCase(), value: decode(l.line.slice(i + 1).replace(/\r?\n[ \t]+/g, ' ').trim()) };
  });
  const ct: any = p.headers.get('content-type');
  const reports = p.attachments.filter((a) => REPORT_TYPES.has(a.contentType.toLowerCase()))
    .map((a) => ({ contentType: a.contentType.toLowerCase(), text: a.content.toString('utf8') }));
  const enc = p.attachments.find((a) => ENCLOSED_TYPES.has(a.contentType.toLowerCase()));
  const strip = (s: string | undefined | null) => (s ? s.trim().replace(/^<|>$/g, '') : null);
  const refs = p.references ? (Array.isArray(p.references) ? p.references : [p.references]) : [];
  const from = addrs(p.from)[0] ?? null;
  return {
    messageId: strip(p.messageId), inReplyTo: strip(p.inReplyTo), references: refs.map((r) => strip(r)!),
    subject: p.subject ?? '', from, sender: null, replyTo: addrs(p.replyTo), to: addrs(p.to), cc: addrs(p.cc),
    date: p.date && !isNaN(p.date.getTime()) ? p.date.toISOString() : null,
    contentType: (ct?.value ?? 'text/plain').toLowerCase(),
    reportType: ct?.params?.['report-type']?.toLowerCase() ?? null,
    headers, text: p.text ?? '', html: typeof p.html === 'string' ? p.html : null,
    attachments: p.attachments.map((a) => ({ filename: a.filename ?? null, contentType: a.contentType, size: a.size, inline: a.contentDisposition === 'inline', contentId: a.contentId ?? null, checksum: a.checksum ?? null })),
    reports, enclosedHeaders: enc ? splitHeaders(enc.content.toString('utf8')) : null, size: raw.length,
  };
}
