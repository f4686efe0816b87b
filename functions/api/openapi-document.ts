import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createAdminApp, openApiDocument } from './app.ts';
import type { AdminApiDeps } from './deps.ts';

/** Where the committed OpenAPI document lives (a test fails when it is stale). */
export const OPENAPI_PATH = 'docs/openapi.json';

/** Dependencies that are never called: building the document registers routes and runs none. */
const unused = new Proxy({} as AdminApiDeps, {
  get(_target, name) {
    throw new Error(`the OpenAPI document needs no dependency (${String(name)} was read)`);
  },
});

/** The document's exact text, generated from the app's zod schemas. */
export function openApiText(): string {
  const app = createAdminApp(unused, { authenticate: () => null });
  return `${JSON.stringify(openApiDocument(app), null, 2)}\n`;
}

// `npm run openapi` writes it.
if (process.argv[1] && import.meta.filename === process.argv[1]) {
  await writeFile(join(import.meta.dirname, '../..', OPENAPI_PATH), openApiText());
  process.stdout.write(`wrote ${OPENAPI_PATH}\n`);
}
