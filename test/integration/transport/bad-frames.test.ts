/**
 * Hostile or broken WebSocket frames against the real transport (library in Express, port 0). A frame that is not a
 * ShareDB message at all ends only its own socket, with the documented close code; a protocol error inside a valid
 * JSON object gets a ShareDB error reply and the socket stays usable. Everything runs in this process, so an
 * unhandled 'error' anywhere in the transport would fail the test run itself. Meanwhile honest stock clients keep
 * editing and converging.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Doc } from 'sharedb/lib/client/index.js';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { connectStock, create, submit, subscribe, type StockClient } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';
import { handshake, openRaw, type Message, type RawSocket } from './raw-socket.js';

const MAX_MESSAGE_BYTES = 64 * 1024;
const DEEP = 10_000;

interface ClosingCase {
  name: string;
  frame: () => string | Buffer;
  binary?: boolean;
  code: number;
  /** Expected close reason; undefined when `ws` itself closes (no reason of ours). */
  reason?: string;
}

const closingCases: ClosingCase[] = [
  { name: 'a text frame that is not JSON', frame: () => '{"a":"s","c":', code: 1007, reason: 'ERR_MESSAGE_BADLY_FORMED' },
  { name: 'the frame null', frame: () => 'null', code: 1007, reason: 'ERR_MESSAGE_BADLY_FORMED' },
  { name: 'the frame 42', frame: () => '42', code: 1007, reason: 'ERR_MESSAGE_BADLY_FORMED' },
  { name: 'the frame "str"', frame: () => '"str"', code: 1007, reason: 'ERR_MESSAGE_BADLY_FORMED' },
  { name: 'the frame []', frame: () => '[]', code: 1007, reason: 'ERR_MESSAGE_BADLY_FORMED' },
  {
    name: `arrays nested ${DEEP} deep`,
    frame: () => '['.repeat(DEEP) + ']'.repeat(DEEP),
    code: 1007, reason: 'ERR_MESSAGE_BADLY_FORMED',
  },
  {
    name: `objects nested ${DEEP} deep`,
    frame: () => '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP),
    code: 1007, reason: 'ERR_MESSAGE_BADLY_FORMED',
  },
  {
    name: `an op message whose op nests ${DEEP} deep`,
    frame: () => `{"a":"op","c":"docs","d":"bomb","v":1,"seq":1,"op":${'['.repeat(DEEP)}${']'.repeat(DEEP)}}`,
    code: 1007, reason: 'ERR_MESSAGE_BADLY_FORMED',
  },
  {
    name: 'a binary frame', frame: () => Buffer.from('{"a":"hs","id":null}'), binary: true,
    code: 1003, reason: 'ERR_BINARY_FRAME',
  },
  {
    // ws validates UTF-8 itself and closes with 1007.
    name: 'a text frame that is not UTF-8', frame: () => Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), code: 1007,
  },
  {
    // Refused by ws's maxPayload as the frame header arrives, before it is buffered whole.
    name: `a message over maxMessageBytes (${MAX_MESSAGE_BYTES})`,
    frame: () => JSON.stringify({ a: 'op', c: 'docs', d: 'big', v: 1, seq: 1, op: ['x'.repeat(MAX_MESSAGE_BYTES)] }),
    code: 1009,
  },
];

interface ReplyCase {
  name: string;
  frame: string;
  /** Recognizes the error reply to this frame. */
  isReply: (m: Message) => boolean;
}

const isError = (m: Message): boolean =>
  typeof m['error'] === 'object' && m['error'] !== null &&
  (m['error'] as { code?: unknown }).code === 'ERR_MESSAGE_BADLY_FORMED';

const replyCases: ReplyCase[] = [
  { name: 'an unknown action', frame: '{"a":"zz"}', isReply: (m) => m['a'] === 'zz' && isError(m) },
  { name: 'a message without an action', frame: '{"x":1}', isReply: (m) => m['x'] === 1 && isError(m) },
  { name: 'wrong field types', frame: '{"a":"s","c":1,"d":{}}', isReply: (m) => m['a'] === 's' && isError(m) },
  {
    name: 'a version that is not a number',
    frame: '{"a":"f","c":"docs","d":"honest","v":"one"}',
    isReply: (m) => m['a'] === 'f' && m['v'] === 'one' && isError(m),
  },
  {
    name: 'a prototype-polluting id',
    frame: '{"a":"f","c":"docs","d":"__proto__"}',
    isReply: (m) => m['a'] === 'f' && m['d'] === '__proto__' && isError(m),
  },
];

/** Sends the frame on a fresh socket and resolves with how the server closed it. */
async function expectClosed(server: TestServer, testCase: ClosingCase): Promise<void> {
  const raw = await openRaw(server.wsUrl);
  await handshake(raw);
  raw.send(testCase.frame(), { binary: testCase.binary ?? false });
  const { code, reason } = await raw.closed;
  expect(code, testCase.name).toBe(testCase.code);
  if (testCase.reason !== undefined) expect(reason, testCase.name).toBe(testCase.reason);
}

/** Sends the frame, expects a ShareDB error reply, then proves the socket still serves a fetch. */
async function expectReplyAndUsable(server: TestServer, testCase: ReplyCase, docId: string): Promise<RawSocket> {
  const raw = await openRaw(server.wsUrl);
  await handshake(raw);
  raw.send(testCase.frame);
  await raw.next(testCase.isReply, `error reply to ${testCase.name}`);
  raw.send(JSON.stringify({ a: 'f', c: 'docs', d: docId }));
  const fetched = await raw.next((m) => m['a'] === 'f' && m['d'] === docId && m['error'] === undefined,
    `fetch after ${testCase.name}`);
  expect((fetched['data'] as { v?: unknown } | undefined)?.v, testCase.name).toBeGreaterThanOrEqual(1);
  expect(raw.socket.readyState, testCase.name).toBe(WebSocket.OPEN);
  return raw;
}

describe('bad frames', () => {
  let server: TestServer;
  let writer: StockClient;
  let reader: StockClient;
  let writerDoc: Doc;
  let readerDoc: Doc;

  beforeAll(async () => {
    server = await startTestServer({ limits: { maxMessageBytes: MAX_MESSAGE_BYTES } });
    writer = await connectStock(server.wsUrl);
    reader = await connectStock(server.wsUrl);
    writerDoc = writer.connection.get('docs', 'honest');
    await create(writerDoc, { n: 0 }, 'json0');
    readerDoc = reader.connection.get('docs', 'honest');
    await subscribe(readerDoc);
  });

  afterAll(async () => {
    writer?.close();
    reader?.close();
    await server?.close();
  });

  for (const testCase of closingCases) {
    it(`closes the socket on ${testCase.name} with ${testCase.code}`, async () => {
      await expectClosed(server, testCase);
    });
  }

  for (const testCase of replyCases) {
    it(`answers ${testCase.name} with a ShareDB error and keeps the socket`, async () => {
      const raw = await expectReplyAndUsable(server, testCase, 'honest');
      raw.socket.close();
      await raw.closed;
    });
  }

  it('keeps honest clients converging during a barrage of every bad frame', async () => {
    const startVersion = writerDoc.version ?? 0;
    const startN = (writerDoc.data as { n: number }).n;
    let barrageDone = false;
    let acked = 0;
    // The honest editor: one op at a time, each awaited (acked), for as long as the barrage lasts and at least 20.
    const editing = (async () => {
      while (!barrageDone || acked < 20) {
        await submit(writerDoc, [{ p: ['n'], na: 1 }]);
        acked++;
      }
    })();
    const rounds = 3;
    const open: RawSocket[] = [];
    const barrage = async (): Promise<void> => {
      for (let round = 0; round < rounds; round++) {
        await Promise.all([
          ...closingCases.map((testCase) => expectClosed(server, testCase)),
          ...replyCases.map(async (testCase) => void open.push(await expectReplyAndUsable(server, testCase, 'honest'))),
        ]);
      }
    };
    try {
      await barrage();
    } finally {
      barrageDone = true;
    }
    await editing;

    expect(writer.socket.readyState).toBe(WebSocket.OPEN);
    expect(reader.socket.readyState).toBe(WebSocket.OPEN);
    expect(writerDoc.hasPending()).toBe(false);
    expect(writerDoc.version).toBe(startVersion + acked);
    expect((writerDoc.data as { n: number }).n).toBe(startN + acked);
    // The other honest client sees every one of those ops.
    await waitFor('reader to converge', () => readerDoc.version === writerDoc.version);
    expect(readerDoc.data).toEqual(writerDoc.data);

    // The reply-case sockets were still usable; every closed socket is gone from the server's count.
    for (const raw of open) raw.socket.close();
    await Promise.all(open.map((raw) => raw.closed));
    await waitFor('only the honest clients to remain', () => server.collab.connectionCount === 2);

    // And the server still takes new clients, which see the same document.
    const late = await connectStock(server.wsUrl);
    try {
      const lateDoc = late.connection.get('docs', 'honest');
      await subscribe(lateDoc);
      expect(lateDoc.data).toEqual(writerDoc.data);
    } finally {
      late.close();
    }
  });
});
