import { z } from '@hono/zod-openapi';
import { route } from '../roles.ts';
import { IdSchema } from '../../core/model/fields.ts';
import { randomBytes } from 'node:crypto';
import { consentUrl, credentialStatus, exchangeCode, setSecret, testCredentials } from '../../core/admin/credential-admin.ts';
import { adminRequest, type AdminApp } from '../context.ts';
import type { AdminApiDeps } from '../deps.ts';
import { ERRORS, json, jsonBody } from '../http.ts';
import {
  ClientSecretInputSchema,
  ConsentInputSchema,
  ConsentOutSchema,
  CredentialStatusOutSchema,
  ExchangeInputSchema,
  PasswordInputSchema,
  SourcePasswordInputSchema,
  TestInputSchema,
} from '../schemas.ts';

const tags = ['credentials'];
const Params = z.object({ channelId: IdSchema });
const status = json(CredentialStatusOutSchema, 'Whether each secret is set, since when, and the last health check; never a value');

/** Write-only credentials of a channel's SMTP transport: set, rotate, exchange, test; reads say only whether they are set. */
export function credentialRoutes(app: AdminApp, deps: AdminApiDeps): void {
  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'get',
        path: '/channels/{channelId}/credentials',
        tags,
        summary: 'Whether credentials are set, when, and whether they work',
        request: { params: Params },
        responses: { 200: status, ...ERRORS },
      },
    ),
    async (c) => c.json(await credentialStatus(deps, c.req.valid('param').channelId), 200),
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'put',
        path: '/channels/{channelId}/credentials/smtp-password',
        tags,
        summary: 'Set or rotate the SMTP password (stored encrypted)',
        request: { params: Params, ...jsonBody(PasswordInputSchema) },
        responses: { 200: status, ...ERRORS },
      },
    ),
    async (c) => c.json(await setSecret(deps, adminRequest(c), c.req.valid('param').channelId, 'smtpPassword', c.req.valid('json').password), 200),
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'put',
        path: '/channels/{channelId}/credentials/source-password',
        tags,
        summary: "Set or rotate the mailbox source's password (IMAP, POP3; stored encrypted)",
        request: { params: Params, ...jsonBody(SourcePasswordInputSchema) },
        responses: { 200: status, ...ERRORS },
      },
    ),
    async (c) => c.json(await setSecret(deps, adminRequest(c), c.req.valid('param').channelId, 'sourcePassword', c.req.valid('json').password), 200),
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'put',
        path: '/channels/{channelId}/credentials/oauth-client',
        tags,
        summary: 'Set or rotate the OAuth 2.0 client secret (stored encrypted)',
        request: { params: Params, ...jsonBody(ClientSecretInputSchema) },
        responses: { 200: status, ...ERRORS },
      },
    ),
    async (c) => c.json(await setSecret(deps, adminRequest(c), c.req.valid('param').channelId, 'oauthClientSecret', c.req.valid('json').clientSecret), 200),
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'post',
        path: '/channels/{channelId}/credentials/oauth/consent',
        tags,
        summary: 'The consent page to open for the authorization code',
        request: { params: Params, ...jsonBody(ConsentInputSchema) },
        responses: { 200: json(ConsentOutSchema, 'Open `url`; the provider redirects back with `?code=` and `state`'), ...ERRORS },
      },
    ),
    async (c) => {
      const input = c.req.valid('json');
      const state = input.state ?? randomBytes(16).toString('base64url');
      const consent = await consentUrl(deps, c.req.valid('param').channelId, { state, redirectUri: input.redirectUri });
      return c.json({ url: consent.url, state, expiresAt: consent.expiresAt }, 200);
    },
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'post',
        path: '/channels/{channelId}/credentials/oauth/exchange',
        tags,
        summary: "Exchange the authorization code and the consent's state for a refresh token (stored encrypted, never shown)",
        request: { params: Params, ...jsonBody(ExchangeInputSchema) },
        responses: { 200: status, ...ERRORS },
      },
    ),
    async (c) => c.json(await exchangeCode(deps, adminRequest(c), c.req.valid('param').channelId, c.req.valid('json')), 200),
  );

  app.openapi(
    route(
      { role: 'admin' },
      {
        method: 'post',
        path: '/channels/{channelId}/credentials/test',
        tags,
        summary: 'Log in to the SMTP server (and send a test mail) and record the health',
        request: { params: Params, ...jsonBody(TestInputSchema) },
        responses: { 200: status, ...ERRORS },
      },
    ),
    async (c) => c.json(await testCredentials(deps, adminRequest(c), c.req.valid('param').channelId, c.req.valid('json').to ?? null), 200),
  );
}
