import { OpenAPIHono } from '@hono/zod-openapi';
import { randomUUID } from 'node:crypto';
import type { Authenticate } from './auth.ts';
import type { AdminApp, AdminEnv } from './context.ts';
import type { AdminApiDeps, ApiLogger } from './deps.ts';
import { errorAnswer, fieldOf } from './errors.ts';
import { auditRoutes } from './routes/audit.ts';
import { channelRoutes } from './routes/channels.ts';
import { conversationRoutes } from './routes/conversations.ts';
import { credentialRoutes } from './routes/credentials.ts';
import { failedRoutes } from './routes/failed.ts';
import { ruleRoutes } from './routes/rules.ts';
import { skillRoutes } from './routes/skills.ts';
import { suppressionRoutes } from './routes/suppressions.ts';
import { templateRoutes } from './routes/templates.ts';

export type { AdminApp, AdminEnv } from './context.ts';

export interface AdminAppOptions {
  readonly authenticate: Authenticate;
  readonly logger?: ApiLogger;
}

export const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'Postroom admin and agent API',
    version: '1.0.0',
    description: 'Channels, skills, routing rules, templates, signatures, credentials, suppression list, conversations and failed mail of a Postroom installation. Every route but this document needs authorization: AWS SigV4 (IAM) or a JWT behind API Gateway, a bearer token in the sandbox.',
  },
} as const;

/**
 * The admin API: one Hono app that runs the same on Lambda (`hono/aws-lambda`) and on Node
 * (`@hono/node-server`, the sandbox). zod validates every input; a bad one gets a 400 naming
 * each field and its problem. `GET /openapi.json` serves the OpenAPI 3.1 document generated
 * from the same schemas, without authorization.
 */
export function createAdminApp(deps: AdminApiDeps, options: AdminAppOptions): AdminApp {
  const app: AdminApp = new OpenAPIHono<AdminEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const header = result.target === 'header';
      const issues = result.error.issues.map((i) => ({ field: header ? fieldOf(i.path).replace(/^if-match$/, 'If-Match') : fieldOf(i.path), problem: i.message }));
      return c.json({ error: { code: 'validation', message: issues.map((i) => `${i.field}: ${i.problem}`).join('; '), issues } }, 400);
    },
  });

  app.use('*', async (c, next) => {
    const lambda = (c.env as { lambdaContext?: { awsRequestId?: string } } | undefined)?.lambdaContext;
    const requestId = lambda?.awsRequestId ?? randomUUID();
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    c.header('Cache-Control', 'no-store');
    if (c.req.path === '/openapi.json') return next();
    const actor = options.authenticate(c);
    if (!actor) {
      return c.json({ error: { code: 'unauthorized', message: 'authorization required', issues: [] } }, 401, { 'WWW-Authenticate': 'Bearer' });
    }
    c.set('actor', actor);
    return next();
  });

  app.onError((error, c) => {
    const requestId = c.get('requestId') ?? 'unknown';
    const result = errorAnswer(error, requestId);
    // The cause goes to the (redacting) log only; the client gets the mapped body.
    if (result.log) options.logger?.error('request failed', { requestId, path: c.req.path, method: c.req.method, error });
    return c.json(result.body, result.status, result.headers ?? {});
  });

  app.notFound((c) => c.json({ error: { code: 'not-found', message: `no route ${c.req.method} ${c.req.path}`, issues: [] } }, 404));

  app.openAPIRegistry.registerComponent('securitySchemes', 'sigv4', {
    type: 'apiKey', name: 'Authorization', in: 'header', description: 'AWS Signature Version 4 (IAM), the default behind API Gateway.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'A JWT (when configured), or the sandbox token.' });

  channelRoutes(app, deps);
  ruleRoutes(app, deps);
  skillRoutes(app, deps);
  conversationRoutes(app, deps);
  failedRoutes(app, deps);
  suppressionRoutes(app, deps);
  credentialRoutes(app, deps);
  templateRoutes(app, deps);
  auditRoutes(app, deps);

  app.doc31('/openapi.json', { ...OPENAPI_INFO, security: [{ sigv4: [] }, { bearer: [] }] });
  return app;
}

/** The OpenAPI document of the app, as `GET /openapi.json` serves it (and `docs/openapi.json` commits it). */
export function openApiDocument(app: AdminApp): unknown {
  return app.getOpenAPI31Document({ ...OPENAPI_INFO, security: [{ sigv4: [] }, { bearer: [] }] });
}
