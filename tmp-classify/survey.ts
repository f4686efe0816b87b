import { readFileSync } from 'node:fs';
import { toParsed } from './convert.ts';
const rows = readFileSync('/work/shared/corpus/index.csv', 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
for (const r of rows) {
  const [source, file, category] = r;
  if (!/bounce|delay|warning/.test(category!)) continue;
  const m = await toParsed(readFileSync('/work/shared/corpus/' + file));
  console.log([file, category, m.contentType, m.reportType, m.reports.map((x) => x.contentType).join('+') || '-', m.enclosedHeaders ? 'enc' : '-', m.from?.address, JSON.stringify(m.subject).slice(0, 60)].join(' | '));
}
