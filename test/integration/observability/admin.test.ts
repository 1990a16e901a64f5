import { afterAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { createJwtAuthenticator } from '@concord/server';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { connectStock, create, submit } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';

const SECRET = 'admin-test-secret-admin-test-secret-0123456789';
const sign = (sub: string, roles: string[]) => new SignJWT({ roles }).setProtectedHeader({ alg: 'HS256' })
  .setSubject(sub).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

describe('/admin', () => {
  let server: TestServer;
  afterAll(async () => server?.close());

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
});
