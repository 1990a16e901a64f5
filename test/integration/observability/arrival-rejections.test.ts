/**
 * Ops refused as they arrive (bad names, unknown types, forged src, malformed fields: before ShareDB's submit) are
 * counted in concord_ops_rejected_total with their reason and logged with the `op rejected` line, like ops refused
 * later (by authorization or validation).
 */
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@concord/server';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { openRaw, type RawSocket } from '../transport/raw-socket.js';

const TOKEN = 'arrival-rejections-scrape-token';

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

describe('ops refused on arrival', () => {
  let server: TestServer;
  let raw: RawSocket | undefined;
  afterAll(async () => {
    raw?.socket.close();
    await server?.close();
  });

  it('are counted by reason and logged like other rejections', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const destination = new Writable({
      write(chunk, _enc, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    server = await startTestServer({
      metrics: { token: TOKEN, collections: ['notes'] }, logger: createLogger({ level: 'info', destination }),
    });
    raw = await openRaw(server.wsUrl);
    raw.send(JSON.stringify({ a: 'hs', protocol: 1, protocolMinor: 2 }));
    const { id: conn } = await raw.next((m) => m['a'] === 'hs', 'the handshake reply');

    const create = { type: 'json0', data: {} };
    const refused: Array<[string, Record<string, unknown>]> = [
      ['ERR_INVALID_NAME', { c: 'notes', d: 'bad id!', v: 0, seq: 1, create }],
      ['ERR_UNKNOWN_TYPE', { c: 'notes', d: 'typed', v: 0, seq: 2, create: { type: 'no-such-type' } }],
      ['ERR_FORBIDDEN', { c: 'notes', d: 'forged', v: 0, seq: 3, src: 'someone-else', create }],
      ['ERR_MESSAGE_BADLY_FORMED', { c: 'notes', d: 'seq', v: 0, seq: 1.5, create }],
      ['ERR_MESSAGE_BADLY_FORMED', { c: 'notes', d: 'empty', v: 0, seq: 4 }],
      ['ERR_INVALID_NAME', { c: 'notes', d: 'constructor', v: 1, seq: 5, op: [{ p: ['n'], na: 1 }] }],
    ];
    for (const [code, message] of refused) {
      raw.send(JSON.stringify({ a: 'op', ...message }));
      const reply = await raw.next((m) => m['a'] === 'op' && m['d'] === message['d'] && m['error'] !== undefined, `the refusal of ${String(message['d'])}`);
      expect((reply['error'] as { code: string }).code, String(message['d'])).toBe(code);
    }

    // Not refused: `op: null` is an edit (json1's no-op), as ShareDB reads it, acknowledged as a no-op.
    raw.send(JSON.stringify({ a: 'op', c: 'notes', d: 'j', v: 0, seq: 6, create: { type: 'json1', data: {} } }));
    raw.send(JSON.stringify({ a: 'op', c: 'notes', d: 'j', v: 1, seq: 7, op: null }));
    const ack = await raw.next((m) => m['a'] === 'op' && m['d'] === 'j' && m['seq'] === 7, 'the reply to op: null');
    expect((ack['error'] as { code?: string } | undefined)?.code).toBe('ERR_NO_OP');

    const text = await (await fetch(`${server.httpUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    const rejected = (reason: string): number => sample(text, `concord_ops_rejected_total{collection="notes",reason="${reason}"}`);
    expect(rejected('ERR_INVALID_NAME')).toBe(2);
    expect(rejected('ERR_UNKNOWN_TYPE')).toBe(1);
    expect(rejected('ERR_FORBIDDEN')).toBe(1);
    expect(rejected('ERR_MESSAGE_BADLY_FORMED')).toBe(2);
    expect(server.collab.engine.stats.rejected).toBe(6);

    const logged = await waitFor('six rejection lines', () => {
      const found = lines.filter((l) => l['msg'] === 'op rejected');
      return found.length >= refused.length ? found : undefined;
    });
    expect(logged.map((l) => [l['code'], l['doc']])).toEqual(refused.map(([code, m]) => [code, m['d']]));
    // Who and where, as for other rejections; the connection's own id even when the op carried another src.
    for (const line of logged) expect(line).toMatchObject({ conn, user: 'anonymous', collection: 'notes' });
    expect(logged[5]).toMatchObject({ kind: 'edit', v: 1 });
  });
});
