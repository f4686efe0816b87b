import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Debian's chromium, driven by playwright-core (its own browser download cannot work here). */
export const CHROMIUM = '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);
/** Added to a suite's name when it is skipped, saying how to run it. */
export const SKIPPED = HAVE_CHROMIUM ? '' : ` (SKIPPED: ${CHROMIUM} is missing; install Debian's chromium: apt-get install -y chromium)`;

/** A local HTTP server every payload's remote URL points at: each request it hears is an attempt seen. */
export async function startTrap(): Promise<{ url: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
