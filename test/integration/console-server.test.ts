import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consolePolicy } from '../../console/build.ts';
import { startConsoleServer, type ConsoleServer } from '../../functions/local/console-server.ts';

/** What the stand-in API heard. */
interface Heard {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const UPLOADS = 'http://127.0.0.1:4566';
let api: Server;
let apiUrl: string;
let heard: Heard[] = [];
let server: ConsoleServer;

beforeAll(async () => {
  api = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      heard.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json', etag: '"7"', 'x-request-id': 'r-1', 'set-cookie': 'x=1' });
      res.end(JSON.stringify({ path: req.url }));
    });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  server = await startConsoleServer({ port: 0, apiUrl, uploadOrigins: [UPLOADS] });
});

afterAll(async () => {
  await server?.close();
  await new Promise<void>((resolve) => api.close(() => resolve()));
});

/** A raw request, so the Host header can be anything (fetch sets its own). */
function raw(path: string, host: string): Promise<{ status: number; body: string }> {
  const url = new URL(path, server.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the sandbox console server', () => {
  it('serves the page under the strict policy, with its script and styles from its own origin and no inline script', async () => {
    // Act
    const page = await fetch(server.url);
    const html = await page.text();
    const script = await fetch(new URL('console.js', server.url));
    const config = await fetch(new URL('config.json', server.url));
    // Assert
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(consolePolicy([UPLOADS]));
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self';");
    expect(page.headers.get('content-security-policy')).not.toMatch(/unsafe-eval|script-src[^;]*unsafe-inline/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(html).toContain('<script type="module" src="console.js"></script>');
    expect(html.match(/<script[^>]*>[^<]+<\/script>/g) ?? []).toEqual([]);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await script.text()).length).toBeGreaterThan(5_000);
    expect(await config.json()).toEqual({ api: '/api' });
  });

  it('answers 404 for any other path and 405 for a write to a file', async () => {
    // Act
    const missing = await fetch(new URL('secrets.json', server.url));
    const post = await fetch(server.url, { method: 'POST', body: 'x' });
    // Assert
    expect(missing.status).toBe(404);
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('answers only to its own host names, so a rebound DNS name reaches nothing', async () => {
    // Arrange
    const port = new URL(server.url).port;
    // Act
    const rebound = await raw('/', `attacker.example:${port}`);
    const proxied = await raw('/api/me', `attacker.example:${port}`);
    const local = await raw('/', `localhost:${port}`);
    // Assert
    expect(rebound.status).toBe(421);
    expect(proxied.status).toBe(421);
    expect(local.status).toBe(200);
  });

  it("passes /api/* on to the API without the prefix: method, path, query, body and the agent's own Authorization, nothing else", async () => {
    // Arrange
    heard = [];
    // Act
    const answer = await fetch(new URL('api/conversations/c-1/reply?x=1', server.url), {
      method: 'POST',
      headers: {
        authorization: 'Bearer agent-token',
        'content-type': 'application/json',
        'if-match': '"3"',
        cookie: 'session=1',
        'x-forwarded-for': '10.0.0.1',
      },
      body: JSON.stringify({ text: 'Hello' }),
    });
    // Assert
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ path: '/conversations/c-1/reply?x=1' });
    expect(answer.headers.get('etag')).toBe('"7"');
    expect(answer.headers.get('x-request-id')).toBe('r-1');
    expect(answer.headers.get('set-cookie')).toBeNull();
    expect(heard).toHaveLength(1);
    expect(heard[0]).toMatchObject({ method: 'POST', url: '/conversations/c-1/reply?x=1', body: '{"text":"Hello"}' });
    expect(heard[0]?.headers).toMatchObject({ authorization: 'Bearer agent-token', 'content-type': 'application/json', 'if-match': '"3"' });
    expect(heard[0]?.headers.cookie).toBeUndefined();
    expect(heard[0]?.headers['x-forwarded-for']).toBeUndefined();
  });

  it("passes the API's refusals on as they are, and says so when the API is down", async () => {
    // Arrange
    const down = await startConsoleServer({ port: 0, apiUrl: 'http://127.0.0.1:9', uploadOrigins: [] });
    try {
      // Act
      const missing = await fetch(new URL('api/missing', server.url));
      const unreachable = await fetch(new URL('api/me', down.url));
      // Assert
      expect(missing.status).toBe(404);
      expect(unreachable.status).toBe(502);
      expect(await unreachable.text()).toMatch(/^The admin API did not answer/);
    } finally {
      await down.close();
    }
  });
});
