import { describe, expect, it } from 'vitest';
import * as wsModule from 'ws';
import { frameMessage, textFrame } from '../../../server/dist/transport/websocket/serialize.js';

// ws's frame parser and framer: exported at runtime, not in its type definitions.
interface WsInternals {
  Receiver: new (options: object) => NodeJS.WritableStream & { on(event: string, listener: (...args: never[]) => void): void };
  Sender: { frame(data: Buffer, options: object): Buffer[] };
}
const { Receiver, Sender } = wsModule as unknown as WsInternals;

/** What a WebSocket client reads from the bytes: ws's own (client-side) frame parser. */
function readFrames(bytes: Buffer): Array<{ text: string; binary: boolean }> {
  const out: Array<{ text: string; binary: boolean }> = [];
  const receiver = new Receiver({ isServer: false, allowSynchronousEvents: true });
  receiver.on('message', (data: Buffer, binary: boolean) => out.push({ text: data.toString(), binary }));
  receiver.on('error', (err: Error) => {
    throw err;
  });
  receiver.write(bytes);
  return out;
}

/** The bytes ws's `send(text)` writes for the same message on a server socket. */
function wsBytes(text: string): Buffer {
  return Buffer.concat(Sender.frame(Buffer.from(text), { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false }));
}

describe('textFrame', () => {
  // Every payload-length encoding and its edges (7-bit, 16-bit, 64-bit), with multi-byte UTF-8.
  const texts = ['', 'x', 'a'.repeat(125), 'a'.repeat(126), 'é'.repeat(63), 'a'.repeat(65_535), 'a'.repeat(65_536),
    `{"s":"${'日本語😀'.repeat(20_000)}"}`, 'lone \ud800 surrogate'];

  it('writes the same bytes as ws for every payload-length form', () => {
    for (const text of texts) expect(textFrame(text).equals(wsBytes(text))).toBe(true);
  });

  it('is read back by a WebSocket client as one text message with the same text', () => {
    for (const text of texts) {
      expect(readFrames(textFrame(text))).toEqual([{ text: Buffer.from(text).toString(), binary: false }]);
    }
  });
});

describe('frameMessage', () => {
  const op = [{ p: ['n'], na: 1 }];
  const message = (extra: Record<string, unknown> = {}) => ({ a: 'op', c: 'notes', d: 'x', v: 7, src: 's', seq: 3, op, ...extra });
  const read = (frame: Buffer): unknown => {
    const [only, ...rest] = readFrames(frame);
    expect(rest).toEqual([]);
    return JSON.parse(only!.text);
  };

  it('frames the JSON of the message, reusing the frame for the same op to every recipient', () => {
    const first = frameMessage(message());
    expect(read(first)).toEqual(message());
    expect(frameMessage(message())).toBe(first);
  });

  it('never reuses a frame when any field differs', () => {
    frameMessage(message());
    for (const change of [{ v: 8 }, { c: 'other' }, { d: 'y' }, { src: 't' }, { seq: 4 }]) {
      expect(read(frameMessage(message(change)))).toEqual(message(change));
    }
    const withExtra = { ...message(), x: 1 };
    expect(read(frameMessage(withExtra))).toEqual(withExtra);
    const create = { a: 'op', c: 'notes', d: 'x', v: 7, src: 's', seq: 3, create: { type: 't' } };
    expect(read(frameMessage(create))).toEqual(create);
  });

  it('frames other messages (acks, replies) as their JSON', () => {
    const ack = { a: 'op', c: 'notes', d: 'x', v: 9, src: 's', seq: 4 };
    expect(read(frameMessage(ack))).toEqual(ack);
    const reply = { a: 's', c: 'notes', d: 'x', data: { v: 3, type: 'json1', data: { t: 'ü' } } };
    expect(read(frameMessage(reply))).toEqual(reply);
  });
});
