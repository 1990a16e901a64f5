/** An in-process server on port 0: the library inside a plain Express app, as a host app would embed it. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createCollabServer, type CollabServer, type CollabServerOptions } from '@concord/server';

export interface TestServer {
  readonly collab: CollabServer;
  readonly http: Server;
  readonly httpUrl: string;
  readonly wsUrl: string;
  close(): Promise<void>;
}

export async function startTestServer(options: Partial<CollabServerOptions> = {}): Promise<TestServer> {
  const collab = createCollabServer({ auth: 'none', ...options });
  const app = express();
  app.use(collab.router);
  const http = createServer(app);
  collab.attach(http, { path: '/ws' });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    collab,
    http,
    httpUrl: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    async close() {
      await collab.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
