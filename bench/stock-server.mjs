/**
 * Stock ShareDB 7 as its README / examples set it up: an in-memory DB and in-process pub/sub (`new ShareDB()`),
 * an HTTP server, `ws` and  `@teamwork/websocket-json-stream`, with json1 and rich-text registered. Nothing of
 * Concord is loaded here. PORT (0 = any free port) on 127.0.0.1; prints `listening on http://127.0.0.1:PORT`.
 */
import http from 'node:http';
import ShareDB from 'sharedb';
import { WebSocketServer } from 'ws';
import WebSocketJSONStream from '@teamwork/websocket-json-stream';
import json1 from 'ot-json1';
import richText from 'rich-text';

ShareDB.types.register(json1.type);
ShareDB.types.register(richText.type);

const backend = new ShareDB();
const server = http.createServer();
const wss = new WebSocketServer({ server }); // ws's ESM name for WebSocket.Server
wss.on('connection', (ws) => {
  const stream = new WebSocketJSONStream(ws);
  backend.listen(stream);
});

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening on http://127.0.0.1:${server.address().port}\n`);
});
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
