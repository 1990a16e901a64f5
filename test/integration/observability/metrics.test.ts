import { afterAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { startChildServer, type ChildServer } from '../../helpers/child-server.js';
import { connectStock, create, submit, subscribe } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';

function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

describe('/metrics', () => {
  const servers: Array<TestServer | ChildServer> = [];
  afterAll(async () => {
    for (const s of servers) {
      if ('collab' in s) await s.close();
      else s.kill('SIGKILL');
    }
  });

  it('counts ops by configured collection, commit and delivery latency, connections, behind a bearer token', async () => {
    const server = await startTestServer({ metrics: { token: 'scrape-me', collections: ['notes'] } });
    servers.push(server);
    expect((await fetch(`${server.httpUrl}/metrics`)).status).toBe(401);
    const scrape = async () => (await fetch(`${server.httpUrl}/metrics`, { headers: { authorization: 'Bearer scrape-me' } })).text();

    const writer = await connectStock(server.wsUrl);
    const reader = await connectStock(server.wsUrl);
    const doc = writer.connection.get('notes', 'm1');
    await create(doc, { n: 0 }, 'json0');
    const mirror = reader.connection.get('notes', 'm1');
    await subscribe(mirror);
    await submit(doc, [{ p: ['n'], na: 1 }]);
    await create(writer.connection.get('secret-project-name', 'x'), { a: 1 }, 'json0');
    await waitFor('delivery', () => (mirror.data as { n: number }).n === 1);

    const text = await waitFor('delivery histogram', async () => {
      const t = await scrape();
      return sample(t, 'concord_commit_to_delivery_seconds_count') >= 1 ? t : undefined;
    });
    expect(sample(text, 'concord_ops_submitted_total{collection="notes",kind="edit"}')).toBe(1);
    expect(sample(text, 'concord_ops_committed_total{collection="notes",type="json0"}')).toBe(2);
    expect(sample(text, 'concord_ops_committed_total{collection="other",type="json0"}')).toBe(1);
    expect(text).not.toContain('secret-project-name');
    expect(text).not.toContain('m1');
    expect(sample(text, 'concord_connections')).toBe(2);
    expect(sample(text, 'concord_submit_to_commit_seconds_count')).toBe(3);
    // Timed with a sub-millisecond clock: a millisecond one (Date.now()) sums to whole milliseconds.
    const wholeMs = (seconds: number): boolean => Math.abs(seconds * 1000 - Math.round(seconds * 1000)) < 1e-6;
    expect(wholeMs(sample(text, 'concord_submit_to_commit_seconds_sum'))).toBe(false);
    expect(wholeMs(sample(text, 'concord_commit_to_delivery_seconds_sum'))).toBe(false);
    expect(text).toContain('concord_process_nodejs_eventloop_lag_seconds');
    writer.close();
    reader.close();
  });

  it('is 404 in production without METRICS_TOKEN, and bearer-protected with it', async () => {
    const env = { NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(40), STORAGE: 'memory' };
    const closed = await startChildServer(env);
    servers.push(closed);
    expect((await fetch(`${closed.httpUrl}/metrics`)).status).toBe(404);
    const open = await startChildServer({ ...env, METRICS_TOKEN: 'tok-123-0123456789' });
    servers.push(open);
    expect((await fetch(`${open.httpUrl}/metrics`)).status).toBe(401);
    const ok = await fetch(`${open.httpUrl}/metrics`, { headers: { authorization: 'Bearer tok-123-0123456789' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('concord_connections 0');
  });
});
