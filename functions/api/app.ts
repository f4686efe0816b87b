import { OpenAPIHono } from '@hono/zod-openapi';
import { randomUUID } from 'node:crypto';
import { bodyLimit } from 'hono/body-limit';
import { resolveCaller } from '../core/admin/agent-directory.ts';
import type { Authenticate } from './auth.ts';
import type { AdminApp, AdminEnv } from './context.ts';
import type { AdminApiDeps, ApiLogger } from './deps.ts';
import { validationIssues } from '../core/validation.ts';
import { errorAnswer } from './errors.ts';
import { sourceRoutes } from './routes/sources.ts';
import { retentionRoutes } from './routes/retention.ts';
import { agentRoutes } from './routes/agents.ts';
import { auditRoutes } from './routes/audit.ts';
import { channelRoutes } from './routes/channels.ts';
import { conversationRoutes } from './routes/conversations.ts';
import { credentialRoutes } from './routes/credentials.ts';
import { failedRoutes } from './routes/failed.ts';
import { ruleRoutes } from './routes/rules.ts';
import { skillRoutes } from './routes/skills.ts';
import { suppressionRoutes } from './routes/suppressions.ts';
import { templateRoutes } from './routes/templates.ts';
import { workRoutes } from './routes/work.ts';
import { privacyRoutes } from './routes/privacy.ts';
import { calendarRoutes } from './routes/calendars.ts';

export type { AdminApp, AdminEnv } from './context.ts';

export interface AdminAppOptions {
  readonly authenticate: Authenticate;
  readonly logger?: ApiLogger;
  /** A JWT claim whose values name roles (`cognito:groups`, `groups`, `scope`); see `resolveCaller`. */
  readonly roleClaim?: string | undefined;
}

/** The largest request body: API Gateway's own payload limit. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

export const OPENAPI_INFO = {
  openapi: '3.1.0',
  info: {
    title: 'Postroom admin and agent API',
    version: '1.0.0',
    description:
      'Channels, skills, routing rules, templates, signatures, credentials, suppression list, conversations and failed mail of a Postroom installation. Every route but this document needs authorization: AWS SigV4 (IAM) or a JWT behind API Gateway, a bearer token in the sandbox.',
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
      const issues = validationIssues(result.error).map((i) => ({ field: header ? i.path.replace(/^if-match$/, 'If-Match') : i.path, problem: i.message }));
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
    const identity = options.authenticate(c);
    if (!identity) {
      return c.json({ error: { code: 'unauthorized', message: 'authorization required', issues: [] } }, 401, { 'WWW-Authenticate': 'Bearer' });
    }
    const caller = await resolveCaller(deps.agentDirectory, identity, { roleClaim: options.roleClaim });
    if (!caller) {
      return c.json(
        {
          error: {
            code: 'forbidden',
            message: `no agent is set up for this identity (${identity.kind}); an admin adds it to an agent's identities`,
            issues: [],
          },
        },
        403,
      );
    }
    c.set('caller', caller);
    c.set('actor', { kind: identity.kind, id: identity.id, agentId: caller.agentId, role: caller.role });
    return next();
  });

  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) =>
        c.json(
          { error: { code: 'validation', message: `the request body is over ${MAX_BODY_BYTES} bytes`, issues: [{ field: 'body', problem: 'too large' }] } },
          413,
        ),
    }),
  );

  app.onError((error, c) => {
    const requestId = c.get('requestId') ?? 'unknown';
    const result = errorAnswer(error, requestId);
    // The cause goes to the (redacting) log only; the client gets the mapped body.
    if (result.log) options.logger?.error('request failed', { requestId, path: c.req.path, method: c.req.method, error });
    return c.json(result.body, result.status, result.headers ?? {});
  });

  app.notFound((c) => c.json({ error: { code: 'not-found', message: `no route ${c.req.method} ${c.req.path}`, issues: [] } }, 404));

  app.openAPIRegistry.registerComponent('securitySchemes', 'sigv4', {
    type: 'apiKey',
    name: 'Authorization',
    in: 'header',
    description: 'AWS Signature Version 4 (IAM), the default behind API Gateway.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'A JWT (when configured), or the sandbox token.',
  });

  channelRoutes(app, deps);
  ruleRoutes(app, deps);
  skillRoutes(app, deps);
  conversationRoutes(app, deps);
  failedRoutes(app, deps);
  suppressionRoutes(app, deps);
  credentialRoutes(app, deps);
  templateRoutes(app, deps);
  auditRoutes(app, deps);
  agentRoutes(app, deps);
  sourceRoutes(app, deps);
  retentionRoutes(app, deps);
  workRoutes(app, deps);
  privacyRoutes(app, deps);
  calendarRoutes(app, deps);

  app.doc31('/openapi.json', { ...OPENAPI_INFO, security: [{ sigv4: [] }, { bearer: [] }] });
  return app;
}

/** The OpenAPI document of the app, as `GET /openapi.json` serves it (and `docs/openapi.json` commits it). */
export function openApiDocument(app: AdminApp): unknown {
  return app.getOpenAPI31Document({ ...OPENAPI_INFO, security: [{ sigv4: [] }, { bearer: [] }] });
}
