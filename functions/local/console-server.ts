import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Server } from 'node:net';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ConsoleFile } from '../../console/build.ts';
import { listen } from './listen.ts';

export interface ConsoleServerOptions {
  /** Port on 127.0.0.1; 0 takes a free one. */
  readonly port: number;
  /** The admin API's base URL: `/api/*` of the console's origin goes there. */
  readonly apiUrl: string;
  /** Origins the browser uploads attachments to (the local S3's presigned form): the page's `connect-src`. */
  readonly uploadOrigins: readonly string[];
}

export interface ConsoleServer {
  readonly url: string;
  close(): Promise<void>;
}

/** Request headers the API reads; nothing else (cookies, origin) is passed on. */
const FORWARDED_REQUEST = ['authorization', 'content-type', 'if-match', 'accept'] as const;
/** Answer headers the console reads. */
const FORWARDED_ANSWER = ['content-type', 'etag', 'x-request-id', 'www-authenticate', 'cache-control', 'location'] as const;

/**
 * The agent console of the sandbox at http://127.0.0.1:`port`/, as CloudFront serves it in AWS:
 * the built files under a strict Content-Security-Policy, and `/api/*` passed on to the admin API
 * with the agent's own `Authorization` header (the console calls nothing but the public API, on
 * its own origin, so no CORS is needed). Bundled with esbuild when it starts (a few
 * milliseconds), so what is served is always the current source.
 */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  // Loaded here, not at the top: esbuild is a dev dependency, and a sandbox without it runs on without a console.
  const { CONSOLE_API_PATH, buildConsole, consoleConfig, consolePolicy } = await import('../../console/build.ts');
  const files = new Map<string, ConsoleFile>([...buildConsole(), consoleConfig(CONSOLE_API_PATH)].map((f) => [`/${f.path}`, f]));
  const policy = consolePolicy(options.uploadOrigins);
  const api = options.apiUrl.replace(/\/+$/, '');
  let hosts: ReadonlySet<string> = new Set();

  const server = createServer((req, res) => {
    securityHeaders(res);
    // Only this machine's names: a page elsewhere that rebinds its DNS name to 127.0.0.1 gets nothing.
    if (!hosts.has(String(req.headers.host ?? '').toLowerCase())) {
      answer(res, 421, 'This console answers on 127.0.0.1 and localhost only.\n');
      return;
    }
    const url = req.url ?? '/';
    if (url === CONSOLE_API_PATH || url.startsWith(`${CONSOLE_API_PATH}/`) || url.startsWith(`${CONSOLE_API_PATH}?`)) {
      forward(req, res, `${api}${url.slice(CONSOLE_API_PATH.length) || '/'}`).catch((error: Error) => {
        if (!res.headersSent) answer(res, 502, `The admin API did not answer: ${error.message}\n`);
        else res.destroy();
      });
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      answer(res, 405, 'Method not allowed\n', { allow: 'GET, HEAD' });
      return;
    }
    const pathname = url.split('?', 1)[0] ?? '/';
    const file = files.get(pathname === '/' ? '/index.html' : pathname);
    if (!file) {
      answer(res, 404, 'Not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': file.contentType,
      'content-length': file.body.byteLength,
      'cache-control': 'no-cache',
      ...(file.path === 'index.html' ? { 'content-security-policy': policy } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : file.body);
  });
  const port = await listen(server as unknown as Server, options.port, 'console', 'POSTROOM_CONSOLE_PORT');
  hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      const closing = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closing;
    },
  };
}

/**
 * The sandbox's console when a port is given (`consolePort`), else none. Without esbuild (an
 * install without dev dependencies) it says so and the sandbox runs on without it.
 */
export async function startSandboxConsole(port: number | null | undefined, apiUrl: string, s3Endpoint: string): Promise<ConsoleServer | null> {
  if (port === null || port === undefined) return null;
  try {
    await import('esbuild');
  } catch {
    process.stderr.write('postroom: console off: esbuild is missing (npm install, with dev dependencies, builds the console)\n');
    return null;
  }
  return startConsoleServer({ port, apiUrl, uploadOrigins: [new URL(s3Endpoint).origin] });
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('cross-origin-opener-policy', 'same-origin');
  res.setHeader('cross-origin-resource-policy', 'same-origin');
  res.setHeader('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=()');
}

function answer(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(text);
}

/** One request on to the API, its body streamed both ways (the API applies its own size limit). */
async function forward(req: IncomingMessage, res: ServerResponse, target: string): Promise<void> {
  const headers = new Headers();
  for (const name of FORWARDED_REQUEST) {
    const value = req.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  const response = await fetch(target, {
    method: req.method ?? 'GET',
    headers,
    redirect: 'manual',
    ...(hasBody ? { body: Readable.toWeb(req) as unknown as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
  } as RequestInit);
  const out: Record<string, string> = {};
  for (const name of FORWARDED_ANSWER) {
    const value = response.headers.get(name);
    if (value !== null) out[name] = value;
  }
  res.writeHead(response.status, out);
  if (!response.body) {
    res.end();
    return;
  }
  Readable.fromWeb(response.body as unknown as WebReadableStream<Uint8Array>).pipe(res);
}
