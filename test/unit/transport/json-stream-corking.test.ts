import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { JsonStream } from '../../../server/dist/transport/websocket/json-stream.js';

/**
 * A ws stand-in whose TCP socket records, per frame written to it, whether it was corked (held for one writev).
 * The frames here are short: a 2-byte header, then the JSON.
 */
function fakeSocket() {
  const events: string[] = [];
  let corks = 0;
  const raw = {
    destroyed: false,
    writable: true,
    cork: () => { corks++; },
    uncork: () => { corks--; events.push('uncork'); },
    write: (frame: Buffer) => events.push(`${corks > 0 ? 'held' : 'sent'} ${(JSON.parse(frame.subarray(2).toString()) as { v: number }).v}`),
  };
  const socket = Object.assign(new EventEmitter(), {
    OPEN: 1, CONNECTING: 0, readyState: 1, bufferedAmount: 0, isPaused: false, _socket: raw,
    pause() {}, resume() {}, close() {}, terminate() {},
  });
  return { socket: socket as unknown as WebSocket, events };
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve)));

describe('JsonStream write coalescing', () => {
  const options = { maxJsonDepth: 100, maxBufferedBytes: 1 << 20, opsPerSec: 0, presencePerSec: 0 };
  const write = (stream: JsonStream, v: number) => new Promise<void>((resolve) => stream.write({ a: 'op', v }, () => resolve()));

  it('sends a lone message at once, and holds the rest of a busy turn for one system call', async () => {
    const { socket, events } = fakeSocket();
    const stream = new JsonStream(socket, options);
    await write(stream, 1);
    await nextTurn();
    expect(events).toEqual(['sent 1']); // a quiet client: no holding at all
    events.length = 0;
    await Promise.all([write(stream, 2), write(stream, 3), write(stream, 4)]);
    await nextTurn();
    expect(events).toEqual(['sent 2', 'held 3', 'held 4', 'uncork']);
  });

  it('holds even the first message of a turn for a client that was busy the turn before', async () => {
    const { socket, events } = fakeSocket();
    const stream = new JsonStream(socket, options);
    await Promise.all([write(stream, 1), write(stream, 2)]);
    await nextTurn();
    events.length = 0;
    await Promise.all([write(stream, 3), write(stream, 4)]);
    await nextTurn();
    expect(events).toEqual(['held 3', 'held 4', 'uncork']);
    events.length = 0;
    await write(stream, 5); // after a busy turn the first is held once more; a quiet turn then resets it
    await nextTurn();
    await write(stream, 6);
    await nextTurn();
    expect(events).toEqual(['held 5', 'uncork', 'sent 6']);
  });
});
