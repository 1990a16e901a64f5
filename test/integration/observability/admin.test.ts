import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { runInNewContext } from 'node:vm';
import express from 'express';
import { afterAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { createCollabServer, createJwtAuthenticator, type CollabServer } from '@concord/server';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { connectStock, create, submit } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';

const SECRET = 'admin-test-secret-admin-test-secret-0123456789';
const sign = (sub: string, roles: string[]) => new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256' })
  .setSubject(sub).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

/**
 * Runs the page's script as a browser at `pageUrl` would, with the DOM stubbed, and resolves with the URL of its
 * first status poll, resolved against the page.
 */
async function firstPollUrl(html: string, pageUrl: string): Promise<string> {
  const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1];
  if (script === undefined) throw new Error('the admin page has no script');
  const element = (): object => ({ textContent: '', value: '', replaceChildren() {}, getContext: () => undefined });
  return new Promise((resolve) => {
    runInNewContext(script, {
      location: new URL(pageUrl),
      document: { getElementById: element, createElement: element },
      sessionStorage: { getItem: () => null, setItem() {} },
      setInterval: () => 0,
      // The first poll is all this needs; it never answers, so the page renders nothing.
      fetch: (url: string) => {
        resolve(new URL(url, pageUrl).href);
        return new Promise(() => undefined);
      },
    });
  });
}

describe('/admin', () => {
  let server: TestServer;
  let mounted: { collab: CollabServer; http: Server } | undefined;
  afterAll(async () => {
    await server?.close();
    if (mounted) {
      await mounted.collab.close();
      mounted.http.closeAllConnections();
      await new Promise((resolve) => mounted?.http.close(resolve));
    }
  });

  it('answers a failure behind /admin/status and /metrics in the JSON error format, not an HTML page', async () => {
    const failing = await startTestServer({
      auth: createJwtAuthenticator({ secret: SECRET }), admin: true, metrics: {},
      authorizer: { authorize: ({ action }) => (action === 'admin' ? Promise.reject(new Error('policy service down')) : true) },
    });
    try {
      const admin = await sign('root', ['admin']);
      const status = await fetch(`${failing.httpUrl}/admin/status`, { headers: { authorization: `Bearer ${admin}` } });
      expect(status.status).toBe(500);
      expect(status.headers.get('content-type')).toMatch(/^application\/json/);
      expect(((await status.json()) as { error: { code: string } }).error.code).toBe('ERR_INTERNAL');
      // The process carries on: /metrics still answers.
      expect((await fetch(`${failing.httpUrl}/metrics`)).status).toBe(200);
    } finally {
      await failing.close();
    }
  });

  it('serves the page, and live status only to the admin role', async () => {
    server = await startTestServer({ auth: createJwtAuthenticator({ secret: SECRET }), admin: true });
    const page = await fetch(`${server.httpUrl}/admin`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Concord: live status');
    expect((await fetch(`${server.httpUrl}/admin/status`)).status).toBe(401);
    const user = await sign('bob', ['user']);
    expect((await fetch(`${server.httpUrl}/admin/status`, { headers: { authorization: `Bearer ${user}` } })).status).toBe(403);

    const admin = await sign('root', ['admin']);
    const client = await connectStock(server.wsUrl, { headers: { authorization: `Bearer ${admin}` } });
    const doc = client.connection.get('notes', 'hot');
    await create(doc, { n: 0 }, 'json0');
    for (let i = 0; i < 5; i++) await submit(doc, [{ p: ['n'], na: 1 }]);
    const status = await waitFor('a sample with ops', async () => {
      const res = await fetch(`${server.httpUrl}/admin/status`, { headers: { authorization: `Bearer ${admin}` } });
      const body = await res.json() as { history: Array<{ opsPerSec: number }>; hottest: Array<{ id: string; opsLastMinute: number }>; connections: { count: number } };
      return body.history.some((s) => s.opsPerSec > 0) ? body : undefined;
    });
    expect(status.connections.count).toBe(1);
    expect(status.hottest[0]).toMatchObject({ id: 'hot', opsLastMinute: 6 });
    client.close();
  });

  it('polls its status next to the page when the router is mounted under a prefix', async () => {
    const collab = createCollabServer({ auth: createJwtAuthenticator({ secret: SECRET }), admin: true });
    const app = express();
    app.use('/collab', collab.router);
    const http = createServer(app);
    mounted = { collab, http };
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

    const html = await (await fetch(`${base}/collab/admin`)).text();
    // With and without a trailing slash, the page asks for /collab/admin/status, which the router serves.
    for (const page of [`${base}/collab/admin`, `${base}/collab/admin/`]) {
      expect(await firstPollUrl(html, page), page).toBe(`${base}/collab/admin/status`);
    }
    const admin = await sign('root', ['admin']);
    const status = await fetch(`${base}/collab/admin/status`, { headers: { authorization: `Bearer ${admin}` } });
    expect(status.status).toBe(200);
    expect(await status.json()).toHaveProperty('connections');
    // At the root, as before.
    expect(await firstPollUrl(html, 'http://collab.example/admin')).toBe('http://collab.example/admin/status');
  });
});
