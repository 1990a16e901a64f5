/**
 * Identity binding: connection ids are issued by the server and bound to the principal; a handshake resumes an id
 * only for the same principal, and an op may only carry its own connection's id as src.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConcordError } from '@concord/shared';
import type { Authenticator } from '@concord/server';
import { startTestServer, type TestServer } from '../../helpers/test-server.js';
import { connectStock, create, submit, subscribe, type StockClient } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';

/** Token `user:<sub>` authenticates as `<sub>`: enough to have two principals without JWT plumbing. */
const tokenAuth: Authenticator = {
  required: true,
  authenticate: ({ token }) => {
    const sub = /^user:(\w+)$/.exec(token ?? '')?.[1];
    return sub ? Promise.resolve({ sub, roles: [] }) : Promise.reject(new ConcordError('ERR_UNAUTHENTICATED', 'bad token'));
  },
};

/** A raw protocol peer: sends JSON messages and collects replies. */
class RawPeer {
  readonly messages: Array<Record<string, unknown>> = [];
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push(JSON.parse(data.toString()) as Record<string, unknown>));
  }
  static async open(url: string, token: string): Promise<RawPeer> {
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    const peer = new RawPeer(socket);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return peer;
  }
  send(message: Record<string, unknown>): void {
    this.socket.send(JSON.stringify(message));
  }
  async reply(match: (m: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
    return waitFor('a matching reply', () => this.messages.find(match));
  }
  async handshake(id?: string): Promise<string> {
    this.send({ a: 'hs', protocol: 1, protocolMinor: 2, ...(id ? { id } : {}) });
    const hs = await this.reply((m) => m['a'] === 'hs');
    return hs['id'] as string;
  }
  close(): void {
    this.socket.close();
  }
}

describe('identity binding', () => {
  let server: TestServer;
  const clients: Array<StockClient | RawPeer> = [];
  beforeAll(async () => {
    server = await startTestServer({ auth: tokenAuth });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await server.close();
  });

  it('refuses an op that reuses another connection\'s src and seq, and the victim\'s edit is applied', async () => {
    const victim = await connectStock(server.wsUrl, { headers: { authorization: 'Bearer user:alice' } });
    clients.push(victim);
    const doc = victim.connection.get('notes', 'spoof');
    await create(doc, { log: [] }, 'json0');
    await subscribe(doc);
    const victimId = victim.connection.id;
    expect(victimId).toMatch(/^[\w-]+\.[\w-]+$/);

    const attacker = await RawPeer.open(server.wsUrl, 'user:mallory');
    clients.push(attacker);
    await attacker.handshake();
    const nextSeq = (victim.connection as unknown as { seq: number }).seq;
    attacker.send({ a: 'op', c: 'notes', d: 'spoof', v: doc.version, src: victimId, seq: nextSeq, op: [{ p: ['log', 0], li: 'forged' }] });
    const refused = await attacker.reply((m) => m['a'] === 'op' && m['error'] !== undefined);
    expect((refused['error'] as { code: string }).code).toBe('ERR_FORBIDDEN');

    await submit(doc, [{ p: ['log', 0], li: 'genuine' }]);
    const state = await server.collab.docs.get({ principal: { sub: 'alice', roles: [] }, remoteAddress: '', transport: 'internal' }, 'notes', 'spoof');
    expect(state.data).toEqual({ log: ['genuine'] });
  });

  it('resumes an id for the same principal so a resent op applies exactly once', async () => {
    const first = await RawPeer.open(server.wsUrl, 'user:bob');
    clients.push(first);
    const id = await first.handshake();
    first.send({ a: 'op', c: 'notes', d: 'resume', v: null, src: id, seq: 1, create: { type: 'http://sharejs.org/types/JSONv0', data: { n: 0 } } });
    await first.reply((m) => m['a'] === 'op' && m['seq'] === 1);
    first.send({ a: 'op', c: 'notes', d: 'resume', v: 1, src: id, seq: 2, op: [{ p: ['n'], na: 1 }] });
    await first.reply((m) => m['a'] === 'op' && m['seq'] === 2);
    first.close();

    // The client did not see the ack (say) and resends after reconnecting with its id.
    const second = await RawPeer.open(server.wsUrl, 'user:bob');
    clients.push(second);
    expect(await second.handshake(id)).toBe(id);
    second.send({ a: 'op', c: 'notes', d: 'resume', v: 1, src: id, seq: 2, op: [{ p: ['n'], na: 1 }] });
    const ack = await second.reply((m) => m['a'] === 'op' && m['seq'] === 2);
    expect(ack['error']).toBeUndefined();
    const state = await server.collab.docs.get({ principal: { sub: 'bob', roles: [] }, remoteAddress: '', transport: 'internal' }, 'notes', 'resume');
    expect(state).toMatchObject({ v: 2, data: { n: 1 } });
  });

  it('does not give an id to another principal who presents it', async () => {
    const owner = await RawPeer.open(server.wsUrl, 'user:carol');
    clients.push(owner);
    const id = await owner.handshake();
    const thief = await RawPeer.open(server.wsUrl, 'user:dave');
    clients.push(thief);
    const given = await thief.handshake(id);
    expect(given).not.toBe(id);
    thief.send({ a: 'op', c: 'notes', d: 'theft', v: null, src: id, seq: 1, create: { type: 'http://sharejs.org/types/JSONv0', data: {} } });
    const refused = await thief.reply((m) => m['a'] === 'op' && m['error'] !== undefined);
    expect((refused['error'] as { code: string }).code).toBe('ERR_FORBIDDEN');
  });
});
