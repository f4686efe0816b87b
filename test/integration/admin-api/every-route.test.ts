import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiText } from '../../../functions/api/openapi-document.ts';
import { startAdminHarness, type AdminHarness } from '../../support/admin-api.ts';

let h: AdminHarness;
beforeAll(async () => {
  h = await startAdminHarness();
});
afterAll(async () => h.stop());

const doc = JSON.parse(openApiText()) as { paths: Record<string, Record<string, unknown>> };
const operations = Object.entries(doc.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })));
/** A concrete URL for a documented path: every parameter a value that names nothing. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, (p) => (p === '{index}' ? '0' : 'missing'));

describe('every documented route', () => {
  it('is documented at all (the list is not empty)', () => {
    expect(operations.length).toBeGreaterThan(40);
  });

  it.each(operations)('$method $path refuses a caller without the token (401) and answers one with it without a 401 or 500', async ({ method, path }) => {
    // Act
    const body = method === 'GET' ? {} : { body: {} };
    const anonymous = await h.call(method, concrete(path), { token: null, ...body });
    const authorized = await h.call(method, concrete(path), { ...body, headers: { 'if-match': '"1"' } });
    // Assert
    expect(anonymous.status).toBe(401);
    expect(authorized.status).not.toBe(401);
    expect(authorized.status).toBeLessThan(500);
    const text = await authorized.text();
    if (authorized.status >= 400) expect(JSON.parse(text)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String), issues: expect.any(Array) } });
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
    const res = await h.app.request('/channels', { method: 'POST', body: '{nope', headers: { authorization: `Bearer ${'test-admin-token-0123456789'}`, 'content-type': 'application/json' } });
    // Assert
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { issues: { field: string }[] } }).error.issues[0]?.field).toBe('body');
  });
});
