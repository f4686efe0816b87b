import { MAIL_KINDS, TARGET_BYTES, generateMail } from '/work/main/bench/mails.ts';
import { MailparserMimeParser } from '/work/main/functions/adapters/mailparser-mime-parser.ts';
const p = new MailparserMimeParser();
for (const k of MAIL_KINDS) { const t = performance.now(); const m = generateMail(k); const g = performance.now() - t; const r = await p.parse(m); console.log(k, m.length, TARGET_BYTES[k], (m.length / TARGET_BYTES[k]).toFixed(4), g.toFixed(0), r.attachments.map(a => a.size), r.text.length, r.html?.length, r.inReplyTo, r.headers.find(h=>h.name==='list-unsubscribe')?.value); }
