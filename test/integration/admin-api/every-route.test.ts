import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiText } from '../../../functions/api/openapi-document.ts';
import { ROLE_EXTENSION } from '../../../functions/api/roles.ts';
import { ROLES, hasRole, type Role } from '../../../functions/core/model/agent.ts';
import { TOKEN, startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';

let h: AdminHarness;
beforeAll(async () => {
  h = await startAdminHarness();
});
afterAll(async () => h.stop());

interface Operation {
  readonly [ROLE_EXTENSION]?: string;
  readonly requestBody?: { readonly content: Record<string, unknown> };
}
const doc = JSON.parse(openApiText()) as { paths: Record<string, Record<string, Operation>> };
const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
  Object.entries(methods).map(([method, op]) => ({
    method: method.toUpperCase(),
    path,
    access: op[ROLE_EXTENSION] ?? '',
    mail: Boolean(op.requestBody?.content['message/rfc822']),
  })),
);
/** A user of each role, as the harness seeds them. */
const USER_OF: Record<Role, string> = { agent: 'agent-1', supervisor: 'supervisor-1', admin: 'admin' };
/** A concrete URL for a documented path: the caller's own agent id, every other parameter a value that names nothing. */
const concrete = (path: string, user: string) => path.replace(/\{[^}]+\}/g, (p) => (p === '{index}' ? '0' : p === '{agentId}' ? user : 'missing'));
const request = (op: (typeof operations)[number], user: string) => {
  const body =
    op.method === 'GET' || op.method === 'DELETE'
      ? {}
      : op.mail
        ? { raw: 'Subject: x\r\n\r\nbody', headers: { 'content-type': 'message/rfc822' } }
        : { body: {} };
  return h.as(user, op.method, concrete(op.path, user), { ...body, headers: { 'if-match': '"1"', ...('headers' in body ? body.headers : {}) } });
};

describe('every documented route', () => {
  it('is documented at all (the list is not empty), each with the role it needs', () => {
    expect(operations.length).toBeGreaterThan(45);
    for (const op of operations) expect(op.access, `${op.method} ${op.path}`).toMatch(/^(agent|supervisor|admin)(:own)?$/);
  });

  it.each(operations)('$method $path ($access) refuses a caller without a token (401)', async ({ method, path }) => {
    // Act
    const anonymous = await h.call(method, concrete(path, 'admin'), { token: null });
    // Assert
    expect(anonymous.status).toBe(401);
  });

  it.each(operations.flatMap((op) => ROLES.map((role) => ({ ...op, role }))))('$method $path ($access) as $role', async (op) => {
    // Arrange
    const needed = op.access.split(':')[0] as Role;
    // Act
    const res = await request(op, USER_OF[op.role]);
    const text = await res.text();
    // Assert
    if (hasRole(op.role, needed)) {
      expect([401, 403], text).not.toContain(res.status);
      expect(res.status, text).toBeLessThan(500);
    } else {
      expect(res.status, text).toBe(403);
      expect(JSON.parse(text)).toMatchObject({ error: { code: 'forbidden', message: expect.stringContaining(`needs the ${needed} role`) } });
    }
    if (res.status >= 400)
      expect(JSON.parse(text)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String), issues: expect.any(Array) } });
  });

  it.each(operations.filter((op) => op.access.endsWith(':own')))("$method $path: an agent cannot use another agent's, an admin can", async (op) => {
    // Act
    const other = await h.as('agent-1', op.method, op.path.replace('{agentId}', 'agent-2'), op.method === 'PUT' ? { body: { text: 'x' } } : {});
    const admin = await h.as('admin', op.method, op.path.replace('{agentId}', 'agent-2'), op.method === 'PUT' ? { body: { text: 'x' } } : {});
    // Assert
    expect(other.status).toBe(403);
    expect(admin.status).not.toBe(403);
  });

  it('refuses an identity without an agent record with 403, and an unknown token with 401', async () => {
    // Arrange: a token the authorizer accepts for a user who has no agent record
    const { bearerTokens } = await import('../../../functions/api/auth.ts');
    const { createAdminApp } = await import('../../../functions/api/app.ts');
    const app = createAdminApp(h.deps, { authenticate: bearerTokens({ 'ghost-token-0123456789': 'ghost', [TOKEN]: 'admin' }) });
    // Act
    const ghost = await app.request('/me', { headers: { authorization: 'Bearer ghost-token-0123456789' } });
    const unknown = await h.call('GET', '/me', { token: 'not-a-token-of-anyone' });
    // Assert
    expect(ghost.status).toBe(403);
    expect(((await ghost.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    expect(unknown.status).toBe(401);
  });

  it('serves the OpenAPI document without a token', async () => {
    // Act
    const res = await h.call('GET', '/openapi.json', { token: null });
    // Assert
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ openapi: '3.1.0' });
  });

  it('answers a body that is not JSON with a 400 naming the body', async () => {
    // Act
    const res = await h.app.request('/channels', {
      method: 'POST',
      body: '{nope',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    });
    // Assert
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { issues: { field: string }[] } }).error.issues[0]?.field).toBe('body');
  });

  it.each([
    ['text/plain', 'hello'],
    ['application/x-www-form-urlencoded', 'name=vip'],
    ['multipart/form-data; boundary=x', '--x\r\n\r\nv\r\n--x--'],
    ['', '{"name":"vip"}'],
  ])('answers a body sent as %j with 415 naming the content type', async (type, body) => {
    // Act
    const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
    if (type) headers['content-type'] = type;
    const res = await h.app.request('/skills', { method: 'POST', body, headers });
    // Assert
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { issues: { field: string }[] } }).error.issues[0]?.field).toBe('Content-Type');
  });
});
