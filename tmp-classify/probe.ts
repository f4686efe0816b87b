import { simpleParser } from 'mailparser';
import { readFileSync } from 'node:fs';
for (const f of process.argv.slice(2)) {
  for (const keep of [false, true]) {
    const p = await simpleParser(readFileSync(f), { keepDeliveryStatus: keep } as any);
    console.log(f, 'keep=', keep, 'ct=', p.headers.get('content-type'));
    for (const a of p.attachments) console.log('  att', a.contentType, a.contentDisposition, a.filename, a.size, JSON.stringify(a.content.toString('utf8').slice(0, 120)));
    console.log('  text:', JSON.stringify((p.text ?? '').slice(0, 600)));
  }
}
