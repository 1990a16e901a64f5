/**
 * The library embedded in a host Express app that has its own routes, its own 404 handling and its own WebSocket
 * endpoint on the same HTTP server. Concord serves `/api`, `/healthz`, `/readyz` and upgrades on its one path, and
 * leaves everything else (routes, upgrade paths, the server itself) to the host, also when it closes.
 *
 * The host's WebSocket server uses `noServer` with its own 'upgrade' routing, as the ws documentation prescribes
 * for several endpoints on one server: a `new WebSocketServer({ server, path })` answers every *other* path's
 * upgrade with 400 itself, so it cannot share a server with any other WebSocket endpoint (Concord's or not).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import express from 'express';
import WebSocket, { WebSocketServer } from 'ws';
import { createCollabServer, type CollabServer } from '@concord/server';
import { connectStock, create, subscribe, submit, type StockClient } from '../../helpers/stock-client.js';
import { once, waitFor } from '../../helpers/wait-for.js';

interface Host {
  http: Server;
  collab: CollabServer;
  hostWss: WebSocketServer;
  base: string;
  wsBase: string;
}

async function startHost(): Promise<Host> {
  const app = express();
  app.use(express.json());
  app.get('/hello', (_req, res) => void res.type('text/plain').send('hello from the host'));
  app.post('/api-host/x', (req, res) => void res.status(202).json({ host: true, got: req.body as unknown }));
  const collab = createCollabServer({ auth: 'none' });
  app.use(collab.router);
  // The host's own 404, for everything that is neither the host's nor Concord's.
  app.use((req, res) => void res.status(404).type('text/plain').send(`host has no ${req.path}`));

  const http = createServer(app);
  const hostWss = new WebSocketServer({ noServer: true });
  hostWss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
  http.on('upgrade', (req, socket, head) => {
    const { pathname } = new URL(req.url ?? '/', 'http://host');
    if (pathname === '/collab') return; // Concord's
    if (pathname === '/host-ws') return hostWss.handleUpgrade(req, socket, head, (ws) => hostWss.emit('connection', ws, req));
    // The host's own answer to upgrades nobody serves.
    socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  collab.attach(http, { path: '/collab' });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return { http, collab, hostWss, base: `http://127.0.0.1:${port}`, wsBase: `ws://127.0.0.1:${port}` };
}

async function openEcho(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url);
  await once(socket, 'open');
  return socket;
}

async function echo(socket: WebSocket, text: string): Promise<string> {
  const reply = once<[Buffer]>(socket, 'message');
  socket.send(text);
  const [data] = await reply;
  return data.toString();
}

describe('embedding in a host Express app', () => {
  let host: Host;
  const stock: StockClient[] = [];

  beforeAll(async () => {
    host = await startHost();
  });

  afterAll(async () => {
    for (const client of stock) client.close();
    await host.collab.close();
    for (const socket of host.hostWss.clients) socket.terminate();
    host.hostWss.close();
    host.http.closeAllConnections();
    await new Promise<void>((resolve) => host.http.close(() => resolve()));
  });

  it('leaves the host routes and the host 404 alone', async () => {
    const hello = await fetch(`${host.base}/hello`);
    expect(hello.status).toBe(200);
    expect(await hello.text()).toBe('hello from the host');

    const posted = await fetch(`${host.base}/api-host/x`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ n: 1 }),
    });
    expect(posted.status).toBe(202);
    expect(await posted.json()).toEqual({ host: true, got: { n: 1 } });

    const missing = await fetch(`${host.base}/no-such-page`);
    expect(missing.status).toBe(404);
    expect(await missing.text()).toBe('host has no /no-such-page');
  });

  it('answers unknown paths under /api with its own 404 JSON, and serves its own routes', async () => {
    const missing = await fetch(`${host.base}/api/no-such-route`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: { code: 'ERR_NOT_FOUND', message: expect.any(String) as string } });

    expect(await (await fetch(`${host.base}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${host.base}/readyz`)).json()).toEqual({ status: 'ok' });
    const created = await fetch(`${host.base}/api/docs/embedded/rest`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'json0', data: { a: 1 } }),
    });
    expect(created.status).toBe(201);
  });

  it('serves the host WebSocket and a stock ShareDB client side by side', async () => {
    const echoSocket = await openEcho(`${host.wsBase}/host-ws`);
    expect(await echo(echoSocket, 'ping 1')).toBe('ping 1');

    const alice = await connectStock(`${host.wsBase}/collab`);
    const bob = await connectStock(`${host.wsBase}/collab`);
    stock.push(alice, bob);
    const aliceDoc = alice.connection.get('embedded', 'ws');
    await create(aliceDoc, { n: 0 }, 'json0');
    const bobDoc = bob.connection.get('embedded', 'ws');
    await subscribe(bobDoc);
    await submit(aliceDoc, [{ p: ['n'], na: 5 }]);
    await waitFor('bob to see alice\'s op', () => (bobDoc.data as { n: number }).n === 5);
    expect(host.collab.connectionCount).toBe(2);

    expect(await echo(echoSocket, 'ping 2')).toBe('ping 2');
    echoSocket.close();
    await once(echoSocket, 'close');
  });

  it('takes upgrades on its path only, with any query string', async () => {
    for (const path of ['/ws', '/collab/', '/collabx', '/collab/sub']) {
      const stray = new WebSocket(`${host.wsBase}${path}`);
      stray.on('error', () => undefined);
      const [, res] = await once<[unknown, { statusCode?: number }]>(stray, 'unexpected-response');
      // The host's 404: Concord neither answered nor interfered.
      expect(res.statusCode, path).toBe(404);
      stray.terminate();
    }
    const withQuery = await connectStock(`${host.wsBase}/collab?room=1`);
    stock.push(withQuery);
    await waitFor('three Concord connections', () => host.collab.connectionCount === 3);
  });

  it('closes only its own sockets on close(); the host server and its WebSocket carry on', async () => {
    const echoSocket = await openEcho(`${host.wsBase}/host-ws`);
    expect(await echo(echoSocket, 'before')).toBe('before');
    const [alice] = stock;
    if (!alice) throw new Error('no stock client');

    await host.collab.close();

    expect((await alice.closed).code).toBe(1001);
    await waitFor('Concord to have no connections', () => host.collab.connectionCount === 0);
    expect(echoSocket.readyState).toBe(WebSocket.OPEN);
    expect(await echo(echoSocket, 'after')).toBe('after');
    expect(host.http.listening).toBe(true);
    const hello = await fetch(`${host.base}/hello`);
    expect(await hello.text()).toBe('hello from the host');
    // New host WebSocket connections are still accepted.
    const fresh = await openEcho(`${host.wsBase}/host-ws`);
    expect(await echo(fresh, 'new')).toBe('new');
    fresh.close();
    echoSocket.close();
  });
});
