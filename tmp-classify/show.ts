import { readFileSync } from 'node:fs';
import { toParsed } from './convert.ts';
for (const f of process.argv.slice(2)) {
  const m = await toParsed(readFileSync(f.startsWith('/') ? f : '/work/shared/corpus/' + f));
  console.log('=====', f, '|', m.from?.address, '|', m.subject, '|', m.headers.filter(h=>/auto|precedence|return-path|x-failed|list-|x-loop/.test(h.name)).map(h=>h.name+': '+h.value).join(' ; '));
  console.log(m.text.slice(0, Number(process.env.N ?? 1500)));
  for (const r of m.reports) console.log('--report', r.contentType, '\n' + r.text.slice(0, 800));
}
