import { request } from 'node:https';
import { DependencyError } from '../../core/errors.ts';
import type { HostGuard } from './host-guard.ts';

export interface GuardedPostOptions {
  readonly guard: HostGuard;
  /** Extra CA certificates to trust (tests, sandbox); the system CAs otherwise. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** The whole exchange, connect to last byte. */
  readonly timeoutMs: number;
  /** Largest response body read. @default 64 KiB */
  readonly maxBytes?: number;
}

export interface PostResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/**
 * POSTs a form to a https URL through the host guard: the name is resolved and vetted first,
 * and the request goes to the vetted address with the name as TLS server name and Host, so
 * DNS cannot rebind between check and connect. No redirects are followed.
 */
export async function postForm(url: string, form: Readonly<Record<string, string>>, options: GuardedPostOptions): Promise<PostResponse> {
  const target = new URL(url);
  // A client secret never travels in clear.
  if (target.protocol !== 'https:') throw new DependencyError('dependency-rejected', `token endpoint ${target.host} is not https`);
  const vetted = await options.guard.vet(target.hostname);
  const body = new URLSearchParams(form).toString();
  const maxBytes = options.maxBytes ?? 64 * 1024;
  const where = `token endpoint ${target.host}`;

  return new Promise<PostResponse>((resolve, reject) => {
    const req = request(
      {
        host: vetted.address,
        family: vetted.family,
        port: target.port || 443,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        servername: vetted.servername ?? undefined,
        ca: options.ca as string | Buffer | (string | Buffer)[] | undefined,
        minVersion: 'TLSv1.2',
        rejectUnauthorized: true,
        agent: false,
        headers: {
          host: target.host,
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          accept: 'application/json',
        },
        timeout: options.timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.destroy();
            reject(new DependencyError('dependency-rejected', `${where} answered more than ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', (error) => reject(unavailable(where, error)));
      },
    );
    const deadline = setTimeout(() => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), options.timeoutMs);
    req.on('close', () => clearTimeout(deadline));
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (error) => reject(unavailable(where, error)));
    req.end(body);
  });
}

const TLS_FAILURES = /CERT|SELF_SIGNED|UNABLE_TO|HOSTNAME|ERR_TLS|ERR_SSL|EPROTO/;

function unavailable(where: string, error: NodeJS.ErrnoException): DependencyError {
  const code = error.code ?? 'error';
  // A certificate that does not verify will not verify on the next attempt either.
  if (TLS_FAILURES.test(code)) return new DependencyError('dependency-rejected', `${where}: TLS verification failed (${code})`);
  return new DependencyError('dependency-unavailable', `${where} unreachable (${code})`);
}
