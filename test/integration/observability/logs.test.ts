/** Logs carry who/where/what happened, never tokens or document content (searched for markers placed in both). */
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { createJwtAuthenticator, createLogger } from '@concord/server';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { connectStock, create, subscribe } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';

const SECRET = 'logs-test-secret-logs-test-secret-0123456789';
const CONTENT_MARKER = 'CONTENT-MARKER-7f3a9';
const NAME_MARKER = 'NAME-MARKER-51c2e';

describe('logs', () => {
  const lines: string[] = [];
  let server: TestServer;
  afterAll(async () => server?.close());

  it('log connections and rejections with ids, and never a token or document content', async () => {
    const destination = new Writable({ write(chunk, _enc, done) { lines.push(...chunk.toString().split('\n').filter(Boolean)); done(); } });
    server = await startTestServer({
      auth: createJwtAuthenticator({ secret: SECRET }),
      logger: createLogger({ level: 'trace', destination }),
    });
    const token = await new SignJWT({ name: NAME_MARKER, roles: ['user'] })
      .setProtectedHeader({ alg: 'HS256' }).setSubject('alice').setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));

    // Token in a header, and in the query string (which must be redacted).
    const viaHeader = await connectStock(server.wsUrl, { headers: { authorization: `Bearer ${token}` } });
    const viaQuery = await connectStock(`${server.wsUrl}?token=${token}`);
    const doc = viaHeader.connection.get('notes', 'logged');
    await create(doc, { text: CONTENT_MARKER, list: [] }, 'json0');
    await subscribe(viaQuery.connection.get('notes', 'logged'));
    // REST with content and the token.
    const rest = await fetch(`${server.httpUrl}/api/docs/notes/rest-logged?token=${token}`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'json0', data: { t: CONTENT_MARKER } }),
    });
    expect(rest.status).toBe(201);
    // A bad frame with content, and a bad token.
    const raw = new WebSocket(server.wsUrl, { headers: { authorization: `Bearer ${token}` } });
    await new Promise((resolve) => raw.once('open', resolve));
    const replies: Array<{ a?: string; error?: { code: string } }> = [];
    raw.on('message', (data) => replies.push(JSON.parse(data.toString()) as { a?: string }));
    // A rejected op carrying content (sent raw: the stock client would refuse it locally).
    raw.send(JSON.stringify({ a: 'hs', protocol: 1, protocolMinor: 2 }));
    raw.send(JSON.stringify({ a: 'op', c: 'notes', d: 'logged', v: 1, seq: 1, op: [{ p: ['text', 0], li: CONTENT_MARKER }] }));
    const rejection = await waitFor('rejection', () => replies.find((r) => r.a === 'op' && r.error));
    expect(rejection.error?.code).toBeTruthy();
    raw.send(`not json ${CONTENT_MARKER}`);
    await new Promise((resolve) => raw.once('close', resolve));
    await fetch(`${server.httpUrl}/api/docs/notes/x?token=${token}x`);
    viaHeader.close();
    viaQuery.close();

    await waitFor('close lines', () => lines.filter((l) => l.includes('websocket closed')).length >= 3);
    const all = lines.join('\n');
    expect(all).toContain('websocket opened');
    expect(lines.some((l) => l.includes('op rejected') && l.includes('"user":"alice"') && l.includes('"doc":"logged"') && l.includes('"conn"'))).toBe(true);
    expect(all).toContain('token=[redacted]');
    expect(all).not.toContain(token);
    expect(all).not.toContain(token.split('.')[1]); // not even the payload part
    expect(all).not.toContain(CONTENT_MARKER);
    expect(all).not.toContain(NAME_MARKER);
  });
});
