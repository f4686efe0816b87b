import { buildSync } from 'esbuild';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/*
 * The console as files: `index.html`, `console.css`, and `console.js` bundled from `src/` with
 * esbuild (a dev dependency, as for the functions' bundles). The sandbox builds it in memory when
 * it starts; the stack builds it at synthesis and uploads it. `config.json` (where the API is)
 * comes from whoever serves it.
 */

export interface ConsoleFile {
  /** Path below the console's root, without a leading `/`. */
  readonly path: string;
  readonly contentType: string;
  readonly body: Uint8Array;
}

/** Where the console reaches the API: on its own origin, passed on to the API unchanged (sandbox server, CloudFront). */
export const CONSOLE_API_PATH = '/api';

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

/** Bundles the console; throws with esbuild's messages when the sources do not build. */
export function buildConsole(): ConsoleFile[] {
  const result = buildSync({
    entryPoints: [here('src/main.ts')],
    bundle: true,
    format: 'esm',
    // Browsers that have `<dialog>`, `srcdoc` with CSP inheritance and `structuredClone`.
    target: ['chrome114', 'firefox115', 'safari16.4'],
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    write: false,
    outfile: 'console.js',
    logLevel: 'silent',
  });
  const script = result.outputFiles.find((f) => f.path.endsWith('console.js'));
  if (!script) throw new Error('esbuild wrote no console.js');
  return [
    { path: 'index.html', contentType: 'text/html; charset=utf-8', body: readFileSync(here('index.html')) },
    { path: 'console.css', contentType: 'text/css; charset=utf-8', body: readFileSync(here('console.css')) },
    { path: 'console.js', contentType: 'text/javascript; charset=utf-8', body: script.contents },
  ];
}

/** `config.json`: where the console finds the API. */
export function consoleConfig(api: string = CONSOLE_API_PATH): ConsoleFile {
  return { path: 'config.json', contentType: 'application/json', body: new TextEncoder().encode(`${JSON.stringify({ api })}\n`) };
}

/** Writes the built console (and its `config.json`) into `dir`, for an upload. */
export function writeConsole(dir: string, api: string = CONSOLE_API_PATH): void {
  mkdirSync(dir, { recursive: true });
  for (const file of [...buildConsole(), consoleConfig(api)]) writeFileSync(join(dir, file.path), file.body);
}

/**
 * The console page's Content-Security-Policy, the one definition the sandbox's server and the
 * CloudFront distribution send.
 *
 * - Script only from the console's own origin: no inline script, no `eval`.
 * - Mail is shown in sandboxed `srcdoc` frames, which inherit this policy on top of their own
 *   (`console/src/mail-frame.ts`: no script, images only `data:`). For their inline styles to
 *   apply, `style-src` allows inline styles, and for the remote images an agent asks for,
 *   `img-src` allows `http:`/`https:`; the frame's own policy is what holds them back otherwise.
 * - `connect-src`: the console's origin (the API) and where attachments are uploaded (S3's
 *   presigned form), nothing else.
 */
export function consolePolicy(uploadOrigins: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: http: https:",
    `connect-src 'self'${uploadOrigins.map((o) => ` ${o}`).join('')}`,
    "frame-src 'none'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
