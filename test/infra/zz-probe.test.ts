import { it } from 'vitest';
import { synthPostroom } from './synth-postroom.ts';
it('probe', () => {
  const { nag, template } = synthPostroom(undefined, { bundle: false });
  console.log(JSON.stringify(nag.violations.map((v) => `${v.ruleName} ${v.violatingConstructs.map((c) => c.constructPath).join(',')}`), null, 1));
  console.log([...new Set(nag.suppressedViolations.map((v) => v.ruleName))].sort().join('\n'));
  const t = template.toJSON();
  for (const [id, r] of Object.entries<any>(t.Resources)) if (id.startsWith('Sources')) console.log(id, r.Type, JSON.stringify(r.Properties).slice(0, 1500));
});
