import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

const TLS_DIR = resolve(import.meta.dirname, '../fixtures/tls');
/** The test-only CA and server certificate (CN/SAN localhost, 127.0.0.1, ::1). */
export const TEST_TLS = {
  ca: readFileSync(resolve(TLS_DIR, 'test-only-ca.crt'), 'utf8'),
  cert: readFileSync(resolve(TLS_DIR, 'test-only-server.crt'), 'utf8'),
  key: readFileSync(resolve(TLS_DIR, 'test-only-server.key'), 'utf8'),
};

export const SMTP_USER = 'support@example.com';
export const SMTP_PASSWORD = 'smtp-pass-1-secret';

export interface ReceivedMail {
  readonly from: string;
  readonly to: readonly string[];
  readonly raw: string;
  readonly user: string | undefined;
  readonly secure: boolean;
}

export interface TestSmtpOptions {
  /** `tls`: implicit TLS; `starttls`: STARTTLS offered; `none`: no TLS at all (STARTTLS unknown). */
  readonly security: 'tls' | 'starttls' | 'none';
  readonly authMethods?: SMTPServerOptions['authMethods'];
  /** Decides an XOAUTH2 token. */
  readonly acceptToken?: (accessToken: string) => boolean;
  /** Reply to DATA with this code instead of 250 (e.g. 550, 451). */
  readonly dataError?: { readonly code: number; readonly message: string };
}

export interface TestSmtp {
  readonly port: number;
  readonly received: ReceivedMail[];
  readonly authMethodsSeen: string[];
  close(): Promise<void>;
}

/** A real smtp-server on 127.0.0.1 and a random port. */
export async function startSmtp(options: TestSmtpOptions): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  const authMethodsSeen: string[] = [];
  const noTls = options.security === 'none';
  const server = new SMTPServer({
    secure: options.security === 'tls',
    key: TEST_TLS.key,
    cert: TEST_TLS.cert,
    hideSTARTTLS: noTls,
    disabledCommands: noTls ? ['STARTTLS'] : [],
    authMethods: options.authMethods ?? ['PLAIN', 'LOGIN', 'XOAUTH2'],
    logger: false,
    onAuth(auth, _session, callback) {
      authMethodsSeen.push(auth.method);
      if (auth.method === 'XOAUTH2') {
        if (auth.username === SMTP_USER && auth.accessToken && options.acceptToken?.(auth.accessToken)) return callback(null, { user: auth.username });
        return callback(null, { data: { status: '401', schemes: 'bearer', scope: 'https://mail.google.com/' } });
      }
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) return callback(null, { user: auth.username });
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (options.dataError) {
          return callback(Object.assign(new Error(options.dataError.message), { responseCode: options.dataError.code }));
        }
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: session.user as string | undefined,
          secure: session.secure,
        });
        callback(null, `2.0.0 Ok: queued as Q${received.length}X${randomBytes(3).toString('hex').toUpperCase()}`);
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const port = (server.server.address() as AddressInfo).port;
  return { port, received, authMethodsSeen, close: () => new Promise((done) => server.close(() => done())) };
}

export const CLIENT_ID = 'postroom-client';
export const CLIENT_SECRET = 'client-secret-1-secret';
export const REDIRECT_URI = 'https://admin.example.com/oauth/callback';

/**
 * A real OAuth 2.0 token endpoint over https on 127.0.0.1: authorization codes, refresh
 * tokens (optionally rotated, reuse of a rotated one refused), access tokens that expire or
 * are revoked, and outages on demand.
 */
export class TestTokenEndpoint {
  url = '';
  expiresIn = 3600;
  rotate = false;
  /** HTTP statuses to answer the next requests with, in order. */
  failNext: number[] = [];
  readonly grants: string[] = [];
  private readonly codes = new Set<string>();
  private readonly refreshTokens = new Map<string, { revoked: boolean }>();
  private readonly accessTokens = new Map<string, { expiresAt: number }>();
  private server: Server | null = null;

  async start(): Promise<this> {
    this.server = createServer({ key: TEST_TLS.key, cert: TEST_TLS.cert }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        const answer = (status: number, json: object): void => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
        };
        const failure = this.failNext.shift();
        if (failure) return answer(failure, { error: 'temporarily_unavailable' });
        const form = new URLSearchParams(body);
        this.grants.push(form.get('grant_type') ?? '');
        if (req.method !== 'POST' || req.url !== '/oauth2/token') return answer(404, { error: 'not_found' });
        if (form.get('client_id') !== CLIENT_ID || form.get('client_secret') !== CLIENT_SECRET) return answer(401, { error: 'invalid_client' });
        if (form.get('grant_type') === 'authorization_code') {
          const code = form.get('code') ?? '';
          if (!this.codes.delete(code) || form.get('redirect_uri') !== REDIRECT_URI) {
            return answer(400, { error: 'invalid_grant', error_description: 'AADSTS54005: OAuth2 Authorization code was already redeemed.' });
          }
          return answer(200, this.tokens(this.newRefreshToken()));
        }
        if (form.get('grant_type') === 'refresh_token') {
          const used = form.get('refresh_token') ?? '';
          const known = this.refreshTokens.get(used);
          if (!known || known.revoked) {
            return answer(400, { error: 'invalid_grant', error_description: 'AADSTS70008: The refresh token has expired or was revoked.' });
          }
          if (!this.rotate) return answer(200, this.tokens(null));
          known.revoked = true; // a rotated refresh token is good for one use
          return answer(200, this.tokens(this.newRefreshToken()));
        }
        return answer(400, { error: 'unsupported_grant_type' });
      });
    });
    await new Promise<void>((done) => this.server?.listen(0, '127.0.0.1', done));
    this.url = `https://localhost:${(this.server.address() as AddressInfo).port}/oauth2/token`;
    return this;
  }

  /** A code as the consent redirect would carry it. */
  authorizationCode(): string {
    const code = `code-${randomBytes(8).toString('hex')}`;
    this.codes.add(code);
    return code;
  }

  /** A refresh token as if an admin had consented earlier. */
  newRefreshToken(): string {
    const token = `rt-${randomBytes(12).toString('hex')}`;
    this.refreshTokens.set(token, { revoked: false });
    return token;
  }

  revoke(refreshToken: string): void {
    const known = this.refreshTokens.get(refreshToken);
    if (known) known.revoked = true;
  }

  /** Ends every access token now, as a server-side revocation or a clock ahead of ours. */
  expireAccessTokens(): void {
    for (const token of this.accessTokens.values()) token.expiresAt = 0;
  }

  isValid(accessToken: string): boolean {
    return (this.accessTokens.get(accessToken)?.expiresAt ?? 0) > Date.now();
  }

  close(): Promise<void> {
    return new Promise((done) => (this.server ? this.server.close(() => done()) : done()));
  }

  private tokens(refreshToken: string | null): object {
    const accessToken = `at-${randomBytes(12).toString('hex')}`;
    this.accessTokens.set(accessToken, { expiresAt: Date.now() + this.expiresIn * 1000 });
    return {
      token_type: 'Bearer',
      access_token: accessToken,
      expires_in: this.expiresIn,
      scope: 'https://mail.google.com/',
      ...(refreshToken ? { refresh_token: refreshToken } : {}),
    };
  }
}
