#!/usr/bin/env node
// Entry point of the `postroom` command: loads the TypeScript sources through tsx, so the
// command always runs the code in this checkout without a build step.
import { readFileSync } from 'node:fs';
import { register } from 'tsx/esm/api';

// The command runs on the Node the functions run on in Lambda, which `npm install` puts at
// node_modules/.bin/node: npm scripts and `npx postroom` find it first on their PATH.
const wanted = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).devDependencies.node;
if (process.versions.node.split('.')[0] !== wanted.split('.')[0]) {
  process.stderr.write(
    `postroom: running on Node ${process.versions.node}, but Postroom runs on Node ${wanted} (Lambda's runtime); start it with \`npx postroom\` or an npm script\n`,
  );
}
register();
const { main } = await import('../functions/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
