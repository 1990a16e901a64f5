/**
 * The client package in Node against a real server (the library in Express, port 0): status and pending count,
 * edits made while the network is gone arriving exactly once after it returns, and close codes the real server
 * sends. A TCP proxy between client and server plays the network.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { openDoc, submitEdit } from '@concord/client';
import { createJwtAuthenticator } from '@concord/server';
import type { TestServer } from '../../helpers/test-server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { client, docId, proxyTo, runCleanup, server, serverDoc, type } from './client-fixture.js';
import { signTestToken, TEST_SECRET } from './jwt.js';

afterEach(runCleanup);

/** Lets ShareDB send what was submitted (it sends on the next tick), then checks it awaits the ack. */
async function sent(doc: object): Promise<void> {
  await new Promise((resolve) => process.nextTick(resolve));
  expect((doc as { inflightOp?: unknown }).inflightOp, 'an op awaiting its ack').toBeTruthy();
}

/** A text document at `data` on a server and client whose message limit is 4 KiB, edited through submitEdit. */
async function underLimit(data: string, options: { behindProxy?: boolean } = {}) {
  const s = await server({ limits: { maxMessageBytes: 4096 } });
  const proxy = options.behindProxy ? await proxyTo(s) : undefined;
  const { c, errors } = client(proxy ? proxy.rewrite(s.wsUrl) : s.wsUrl, { maxMessageBytes: 4096 });
  const id = docId();
  const doc = await openDoc<string>(c.connection, 'notes', id, { type: 'text-unicode', data });
  await waitFor('created', () => c.status.pending === 0);
  const refusals: Error[] = [];
  const edit = (op: unknown[]): boolean => submitEdit(doc, op, {}, (err) => refusals.push(err));
  const stored = (): Promise<{ v: number; text: string }> => serverText(s, id);
  return { c, errors, doc, proxy, refusals, edit, stored };
}

/** The text document as the server has it. */
async function serverText(s: TestServer, id: string): Promise<{ v: number; text: string }> {
  const { v, data } = await serverDoc<string>(s, 'notes', id);
  return { v, text: data };
}

describe('connect() against a real server', () => {
  it('goes online, counts edits until the server acknowledges them, and closes', async () => {
    const s = await server();
    const { c, errors } = client(s.wsUrl);
    const states: string[] = [];
    c.on('status', (status) => states.push(`${status.state}:${status.pending}`));
    expect(c.status).toEqual({ state: 'connecting', pending: 0 });
    await waitFor('online', () => c.status.state === 'online');
    const doc = await openDoc<string>(c.connection, 'notes', docId(), { type: 'text-unicode', data: '' });
    type(doc, 0, 'a');
    type(doc, 1, 'b');
    type(doc, 2, 'c');
    expect(c.status).toEqual({ state: 'online', pending: 3 });
    await waitFor('acknowledged', () => c.status.pending === 0);
    expect(states).toContain('online:3');
    c.close();
    expect(c.status.state).toBe('closed');
    expect(errors).toEqual([]);
  });

  it('a network that dies silently while an edit awaits its ack shows offline 2 × ackTimeoutMs after that edit', async () => {
    // With only the heartbeat (here 60 s; 10 s by default) the status said online for 20-30 s after such a death,
    // while the user went on typing into it.
    const s = await server();
    const proxy = await proxyTo(s);
    const { c, errors } = client(proxy.rewrite(s.wsUrl), { heartbeatMs: 60_000, ackTimeoutMs: 1_000 });
    const id = docId();
    const doc = await openDoc<string>(c.connection, 'notes', id, { type: 'text-unicode', data: 'base.' });
    await waitFor('created', () => c.status.pending === 0);
    proxy.blackhole();
    const diedAt = Date.now();
    type(doc, 5, ' typed into the void');
    await waitFor('no longer online', () => c.status.state !== 'online', 5_000);
    // The clock counts from the edit, the first one sent after the server was last heard (the create's ack): a ping
    // after 1 s, the drop after 2 s. Counted from the create instead, it dropped only after a third second.
    const noticedMs = Date.now() - diedAt;
    expect(noticedMs).toBeGreaterThanOrEqual(2_000);
    expect(noticedMs).toBeLessThan(2_700);
    proxy.restore();
    await waitFor('back online and acknowledged', () => c.status.state === 'online' && c.status.pending === 0, 15_000);
    expect(await serverText(s, id)).toEqual({ v: 2, text: 'base. typed into the void' });
    expect(errors).toEqual([]);
  });

  it('edits made while cut off wait, then arrive exactly once when the network returns', async () => {
    const s = await server();
    const proxy = await proxyTo(s);
    const { c, errors } = client(proxy.rewrite(s.wsUrl));
    const id = docId();
    const doc = await openDoc<string>(c.connection, 'notes', id, { type: 'text-unicode', data: 'base.' });
    const before = await serverText(s, id);
    proxy.cut();
    await waitFor('offline', () => c.status.state === 'offline');
    type(doc, 5, ' one');
    type(doc, 9, ' two');
    type(doc, 13, ' three');
    expect(c.status).toEqual({ state: 'offline', pending: 3 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await serverText(s, id)).toEqual(before);
    proxy.restore();
    await waitFor('back online and acknowledged', () => c.status.state === 'online' && c.status.pending === 0, 15_000);
    const after = await serverText(s, id);
    expect(after.text).toBe('base. one two three');
    expect(errors).toEqual([]);
  });

  it('an edit whose acknowledgement was lost is applied once after reconnecting', async () => {
    const s = await server();
    const proxy = await proxyTo(s);
    const { c } = client(proxy.rewrite(s.wsUrl));
    const id = docId();
    const doc = await openDoc<string>(c.connection, 'notes', id, { type: 'text-unicode', data: '' });
    const { v } = await serverText(s, id);
    proxy.dropReplies();
    type(doc, 0, 'once');
    await waitFor('the server applied it', async () => (await serverText(s, id)).text === 'once');
    expect(c.status.pending).toBe(1);
    proxy.cut();
    await waitFor('offline', () => c.status.state === 'offline');
    proxy.restore();
    await waitFor('acknowledged after reconnect', () => c.status.state === 'online' && c.status.pending === 0, 15_000);
    expect(await serverText(s, id)).toEqual({ v: v + 1, text: 'once' });
    expect(doc.data).toBe('once');
  });

  it('4401 from the real server: a fresh token is fetched once; still refused, the client is unauthenticated', async () => {
    const s = await server({ auth: createJwtAuthenticator({ secret: TEST_SECRET }) });
    let calls = 0;
    const { c, errors } = client(s.wsUrl, { token: async () => (calls++, signTestToken({ sub: 'u1', ttlSec: -60 })) });
    await waitFor('unauthenticated', () => c.status.state === 'unauthenticated');
    expect(calls).toBe(2);
    expect((errors.at(-1) as { code?: string }).code).toBe('ERR_UNAUTHENTICATED');
  });

  it('4401 from the real server: an expired token is replaced by a fresh one and the client goes online', async () => {
    const s = await server({ auth: createJwtAuthenticator({ secret: TEST_SECRET }) });
    let calls = 0;
    const { c } = client(s.wsUrl, { token: async () => signTestToken({ sub: 'u1', ttlSec: calls++ === 0 ? -60 : 600 }) });
    await waitFor('online', () => c.status.state === 'online');
    expect(calls).toBe(2);
  });

  it('an edit over maxMessageBytes is refused and rolled back; the connection and later edits carry on', async () => {
    // Sent, it would make the server close the connection for good (1009, below), and everything typed after it
    // would stay unsent: one oversized paste ended the session.
    const s = await server({ limits: { maxMessageBytes: 4096 } });
    const { c, errors } = client(s.wsUrl, { maxMessageBytes: 4096 });
    const id = docId();
    const doc = await openDoc<string>(c.connection, 'notes', id, { type: 'text-unicode', data: 'before ' });
    const refused = new Promise<unknown>((resolve) => doc.submitOp([7, 'x'.repeat(10_000)], {}, resolve));
    expect(doc.data).toBe(`before ${'x'.repeat(10_000)}`);
    expect((await refused) as { code?: string }).toMatchObject({ code: 'ERR_MESSAGE_TOO_BIG' });
    expect(doc.data).toBe('before '); // rolled back, as an op the server refuses
    type(doc, 7, 'after');
    await waitFor('acknowledged', () => c.status.pending === 0);
    expect(c.status.state).toBe('online');
    expect(await serverText(s, id)).toEqual({ v: 2, text: 'before after' });
    expect(errors).toEqual([]);
  });

  it('submitEdit refuses an edit over the limit unsent, leaving the edits queued before and after it', async () => {
    // doc.submitOp queues the big edit behind the inflight 'a' and composes it with 'b' before it and 'c' after it;
    // the refusal at the socket then rolls back all three.
    const { c, errors, doc, refusals, edit, stored } = await underLimit('before ');
    expect(edit([7, 'a'])).toBe(true);
    await sent(doc); // what is submitted before ShareDB sends is composed
    expect(edit([8, 'b'])).toBe(true);
    expect(edit([9, 'x'.repeat(10_000)])).toBe(false);
    expect(refusals).toMatchObject([{ code: 'ERR_MESSAGE_TOO_BIG' }]);
    expect(refusals[0]?.message).toMatch(/^this edit is \d+ bytes, over the server's 4096/);
    expect(doc.data).toBe('before ab');
    expect(edit([9, 'c'])).toBe(true);
    await waitFor('acknowledged', () => c.status.pending === 0);
    expect(await stored()).toEqual({ v: 3, text: 'before abc' }); // 'c' composed into the queued 'b'
    expect(refusals).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it('submitEdit composes queued edits only up to half the limit, so two large ones are not one message over it', async () => {
    const { c, errors, doc, refusals, edit, stored } = await underLimit('');
    const half = 'y'.repeat(2_500);
    edit(['a']);
    await sent(doc); // the rest queue behind it
    edit([1, half]);
    edit([2_501, half]);
    edit([5_001, 'b']);
    const queued = (): number => (doc as unknown as { pendingOps: unknown[] }).pendingOps.length;
    expect(queued()).toBe(3); // composed, the two halves would be one message over the limit
    await waitFor('acknowledged', () => c.status.pending === 0);
    expect(refusals).toEqual([]);
    expect(await stored()).toEqual({ v: 5, text: `a${half}${half}b` });
    expect(doc.preventCompose).toBe(false); // as it was
    edit([5_002, 'c']);
    await sent(doc);
    edit([5_003, 'd']);
    edit([5_004, 'e']);
    expect(queued()).toBe(1); // small edits compose again
    await waitFor('acknowledged', () => c.status.pending === 0);
    expect(errors).toEqual([]);
  });

  it('submitEdit: edits made offline that together would be over the limit arrive, as several messages', async () => {
    // doc.submitOp composes them all into one op, refused when the network returns: every one of them lost.
    const { c, errors, proxy, refusals, edit, stored } = await underLimit('', { behindProxy: true });
    proxy?.cut();
    await waitFor('offline', () => c.status.state === 'offline');
    const line = (i: number): string => `line ${String(i).padStart(3, '0')} of the offline notes\n`;
    let text = '';
    for (let i = 0; i < 150; i++) {
      expect(edit([text.length, line(i)])).toBe(true);
      text += line(i);
    }
    expect(text.length).toBeGreaterThan(4096);
    proxy?.restore();
    await waitFor('back online and acknowledged', () => c.status.state === 'online' && c.status.pending === 0, 15_000);
    const { v, text: storedText } = await stored();
    expect(storedText).toBe(text);
    expect(v).toBeGreaterThan(3); // several messages, each under the limit
    expect(refusals).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('1009 from the real server: an oversized message stops the client with ERR_MESSAGE_TOO_BIG', async () => {
    const s = await server({ limits: { maxMessageBytes: 4096 } });
    const { c, errors } = client(s.wsUrl); // not told the server's limit: its own is the default 1 MiB
    const doc = await openDoc<string>(c.connection, 'notes', docId(), { type: 'text-unicode', data: '' });
    type(doc, 0, 'x'.repeat(10_000));
    await waitFor('closed', () => c.status.state === 'closed');
    expect(errors.map((err) => (err as { code?: string }).code)).toContain('ERR_MESSAGE_TOO_BIG');
  });
});
