/**
 * REST requests per client address: a burst within the limit passes, the next request is answered
 * `429 ERR_RATE_LIMITED` with `Retry-After`, another address is not affected, and health checks are never limited.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';

describe('REST rate limit per address', () => {
  let server: TestServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(server!.httpUrl + path, { headers });

  it('answers 429 ERR_RATE_LIMITED with Retry-After once an address has used its window', async () => {
    // 2 per second over the 10 s window: 20 requests.
    server = await startTestServer({ limits: { restPerSec: 2 } });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await get('/api/docs/notes/missing')).status);
    expect(statuses).toEqual(Array(20).fill(404));

    const limited = await get('/api/docs/notes/missing');
    expect(limited.status).toBe(429);
    expect(await limited.json()).toMatchObject({ error: { code: 'ERR_RATE_LIMITED' } });
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(10);
    expect(limited.headers.get('ratelimit-policy')).toBe('20;w=10');

    expect((await get('/healthz')).status).toBe(200); // not under /api
  });

  it('lets a page of an allowed origin read the 429 and its Retry-After (CORS headers on it too)', async () => {
    server = await startTestServer({ limits: { restPerSec: 1 } });
    const origin = 'http://localhost:5173'; // allowed by the development default
    for (let i = 0; i < 10; i++) expect((await get('/api/docs/notes/x', { origin })).status).toBe(404);
    const limited = await get('/api/docs/notes/x', { origin });
    expect(limited.status).toBe(429);
    // Without Access-Control-Allow-Origin a browser reports a network error instead of the 429, and without
    // Access-Control-Expose-Headers it hides Retry-After from the page.
    expect(limited.headers.get('access-control-allow-origin')).toBe(origin);
    expect(limited.headers.get('access-control-expose-headers')?.toLowerCase().split(/\s*,\s*/)).toContain('retry-after');
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // A preflight is answered with the CORS headers as well, not counted into a refusal the browser cannot read.
    const preflight = await fetch(server.httpUrl + '/api/docs/notes/x', { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(origin);
    // Other origins get no CORS headers, in refusals or otherwise.
    const foreign = await get('/api/docs/notes/x', { origin: 'https://evil.example' });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('counts each address on its own (X-Forwarded-For only behind a trusted proxy)', async () => {
    server = await startTestServer({ limits: { restPerSec: 1 }, trustProxy: true });
    for (let i = 0; i < 10; i++) expect((await get('/api/docs/notes/x', { 'x-forwarded-for': '203.0.113.7' })).status).toBe(404);
    expect((await get('/api/docs/notes/x', { 'x-forwarded-for': '203.0.113.7' })).status).toBe(429);
    expect((await get('/api/docs/notes/x', { 'x-forwarded-for': '203.0.113.8' })).status).toBe(404);
  });

  it('is off with 0', async () => {
    server = await startTestServer({ limits: { restPerSec: 0 } });
    const statuses = await Promise.all(Array.from({ length: 60 }, () => get('/api/docs/notes/x').then((r) => r.status)));
    expect(new Set(statuses)).toEqual(new Set([404]));
  });
});
