/**
 * The standalone server owns its HTTP server, so an upgrade on a path it does not serve is answered (404 with the
 * catalogue's body) instead of being left open until the client times out; `/ws` keeps working beside it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createLogger, loadConfig, startServer, type RunningServer } from '@concord/server';

let server: RunningServer;

beforeAll(async () => {
  server = await startServer(loadConfig({ PORT: '0', HOST: '127.0.0.1', STORAGE: 'memory', LOG_LEVEL: 'silent' }), createLogger({ level: 'silent' }));
});
afterAll(async () => {
  await server?.close();
});

/** What the server answers an upgrade on `path`: the HTTP refusal, or 'open'. */
function upgrade(path: string): Promise<{ status: number; body: string } | 'open'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}${path}`);
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += String(chunk)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', reject);
  });
}

describe('standalone server upgrades', () => {
  it.each(['/', '/socket', '/ws/extra', '/api/docs'])('refuses an upgrade on %s with 404 ERR_NOT_FOUND', async (path) => {
    const answer = await upgrade(path);
    expect(answer).not.toBe('open');
    if (answer === 'open') return;
    expect(answer.status).toBe(404);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'ERR_NOT_FOUND' } });
  });

  it('still serves /ws (with a query string too)', async () => {
    expect(await upgrade('/ws')).toBe('open');
    expect(await upgrade('/ws?x=1')).toBe('open');
  });
});
