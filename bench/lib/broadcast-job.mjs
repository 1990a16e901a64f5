/**
 * Load-generator job `broadcast`, against bench/bare-ws-server.mjs: `clients` raw ws clients each send an op-sized
 * JSON message and wait for the server's echo of it before sending the next (as a ShareDB client waits for its ack);
 * every other client receives it too. Counts, in the measured window after the warm-up, the messages each client
 * received from the others (deliveries/s, as the hot-document scenarios count them) and the messages sent.
 */
import WebSocket from 'ws';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export async function broadcast(job) {
  const sockets = await Promise.all(Array.from({ length: job.clients }, () => new Promise((resolve, reject) => {
    const ws = new WebSocket(job.url);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  })));
  let measuring = false;
  let stop = false;
  let deliveries = 0;
  let sent = 0;
  sockets.forEach((ws, i) => {
    const src = `client-${i}`;
    let seq = 0;
    const send = () => {
      if (stop) return;
      seq++;
      if (measuring) sent++;
      ws.send(JSON.stringify({ a: 'op', c: 'bench', d: 'hot', v: seq, src, seq, op: ['n', { ena: 1 }] }));
    };
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if (message.src === src) send(); // our own echo: the "ack"
      else if (measuring) deliveries++;
    });
    send();
  });
  await sleep(job.warmupMs);
  measuring = true;
  await sleep(job.durationMs);
  measuring = false;
  stop = true;
  for (const ws of sockets) ws.terminate();
  const seconds = job.durationMs / 1000;
  return { clients: job.clients, deliveriesPerSec: Math.round(deliveries / seconds), messagesPerSec: Math.round(sent / seconds) };
}
