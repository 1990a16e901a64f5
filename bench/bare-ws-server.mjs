/**
 * The transport's ceiling: a bare `ws` server that broadcasts every message it receives to every connected client
 * (the sender included, as its "ack"), with no ShareDB and no Concord. PORT (0 = any free port) on 127.0.0.1;
 * prints `listening on http://127.0.0.1:PORT`.
 */
import http from 'node:http';
import { WebSocketServer } from 'ws';

const server = http.createServer();
const wss = new WebSocketServer({ server });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    for (const client of wss.clients) client.send(data, { binary: isBinary });
  });
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
