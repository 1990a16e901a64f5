/**
 * Presence across a pub/sub outage. Redis pub/sub delivers at most once: a presence update published while an
 * instance's subscriber is disconnected never reaches it. Ops missed that way are re-read from storage (gap
 * recovery), but presence is stored nowhere, and a withdrawal that is lost leaves the cursor on every client of the
 * deaf instance for good: the sender's instance is alive and heartbeating, so presence liveness never clears it.
 *
 * As in the second part of redis-restart.test.ts, the loss is made certain: every instance's subscriber connection
 * is killed and kept out (maxclients) while the publishers stay connected; meanwhile a user on instance 2 withdraws
 * its cursor (acknowledged, so published, to nobody). Once the subscribers are back, the user on instance 1 must
 * stop seeing that cursor, and must still see the cursor of a user who stayed.
 */
import { describe, expect, it } from 'vitest';
import type { Presence } from 'sharedb/lib/client/index.js';
import { call, create, subscribe } from '../helpers/stock-client.js';
import { waitFor } from '../helpers/wait-for.js';
import { RedisAdmin, skipWithoutRedis } from './helpers/redis.js';
import { clusterLifecycle, connectAs, crashLines, readyz, type Instance } from './helpers/cluster.js';

const COLLECTION = 'mpp';
const INSTANCES = 2;
/** The contract's bound for a departed user's cursor, plus the time the subscribers take to reconnect. */
const CLEARED_WITHIN_MS = 10_000;

const lifecycle = clusterLifecycle();
const { clients } = lifecycle;

type Remote = { user?: { sub?: string } } | null;
const usersIn = (presence: Presence): string[] =>
  Object.values(presence.remotePresences as Record<string, Remote>).filter(Boolean).map((p) => p?.user?.sub ?? '?').sort();

describe.skipIf(skipWithoutRedis())('presence across a pub/sub outage', () => {
  it('a withdrawal published while the subscribers were down does not leave a ghost cursor', async () => {
    const { redis, cluster } = await lifecycle.start(INSTANCES);
    const at = (i: number): Instance => cluster.instances[i] as Instance;
    const allReady = (what: string): Promise<unknown> => Promise.all(cluster.instances.map((inst) =>
      waitFor(`instance ${inst.index + 1} /readyz ${what}`, async () => {
        const r = await readyz(inst);
        return r?.status === 200 && (r.body as { status?: string }).status === what ? r : undefined;
      }, 30_000, 50)));

    // a on instance 1 watches; b (leaves during the outage) and c (stays) are on instance 2.
    const users = [['a', 0], ['b', 1], ['c', 1]] as const;
    const presences = new Map<string, Presence>();
    const cursors = new Map<string, ReturnType<Presence['create']>>();
    for (const [sub, index] of users) {
      const client = await connectAs(at(index), sub);
      clients.push(client);
      const doc = client.connection.get(COLLECTION, 'room');
      if (sub === 'a') await create(doc, 'room', 'text-unicode');
      await subscribe(doc);
      const presence = client.connection.getDocPresence(COLLECTION, 'room');
      await call((cb) => presence.subscribe(cb));
      presences.set(sub, presence);
      if (sub !== 'a') {
        const cursor = presence.create(`cursor-${sub}`);
        await call((cb) => cursor.submit({ index: 1, length: 0 }, cb));
        cursors.set(sub, cursor);
      }
    }
    const watcher = presences.get('a') as Presence;
    await waitFor('a sees b and c', () => JSON.stringify(usersIn(watcher)) === '["b","c"]', 10_000);

    const admin = await RedisAdmin.connect(redis.socketPath);
    try {
      // The two publishers and this connection: the subscribers cannot get back in.
      expect(await admin.command('CONFIG', 'SET', 'maxclients', String(INSTANCES + 1))).toBe('+OK');
      expect(await admin.command('CLIENT', 'KILL', 'TYPE', 'pubsub')).toBe(`:${INSTANCES}`);
      await allReady('degraded');
      // Acknowledged once published: to no subscriber.
      await call((cb) => cursors.get('b')?.submit(null, cb));
      expect(await admin.command('CONFIG', 'SET', 'maxclients', '10000')).toBe('+OK');
    } finally {
      await admin.command('CONFIG', 'SET', 'maxclients', '10000').catch(() => undefined);
      admin.close();
    }
    const backAt = Date.now();
    await allReady('ok');

    await waitFor("b's withdrawn cursor gone at a", () => !usersIn(watcher).includes('b'), CLEARED_WITHIN_MS, 50);
    console.log(`[presence-outage] b's cursor cleared at a ${Date.now() - backAt} ms after the subscribers were let back in`);
    // c, who stayed, is (again) shown.
    await waitFor('a still sees c', () => JSON.stringify(usersIn(watcher)) === '["c"]', CLEARED_WITHIN_MS, 50);
    for (const instance of cluster.instances) {
      expect(cluster.alive(instance)).toBe(true);
      expect(crashLines(instance.child.output())).toEqual([]);
    }
  }, 120_000);
});

describe.skipIf(skipWithoutRedis())('presence of an instance that stalls', () => {
  it('is shown again when the instance resumes, after the others cleared it for silence', async () => {
    const { cluster } = await lifecycle.start(INSTANCES);
    const at = (i: number): Instance => cluster.instances[i] as Instance;
    const a = await connectAs(at(0), 'a');
    const b = await connectAs(at(1), 'b');
    clients.push(a, b);
    const doc = a.connection.get(COLLECTION, 'stall');
    await create(doc, 'room', 'text-unicode');
    const watcher = a.connection.getDocPresence(COLLECTION, 'stall');
    await call((cb) => watcher.subscribe(cb));
    await subscribe(b.connection.get(COLLECTION, 'stall'));
    const bPresence = b.connection.getDocPresence(COLLECTION, 'stall');
    await call((cb) => bPresence.subscribe(cb));
    const cursor = bPresence.create('cursor-b');
    await call((cb) => cursor.submit({ index: 1, length: 0 }, cb));
    await waitFor('a sees b', () => usersIn(watcher).includes('b'), 10_000);

    // Instance 2's event loop stops (a long GC pause, a stop inside SQLite, SIGSTOP): silent past the timeout, the
    // others take it for dead and clear its users' presence.
    at(1).child.kill('SIGSTOP');
    try {
      await waitFor("b's cursor cleared at a while instance 2 is silent", () => !usersIn(watcher).includes('b'), 15_000, 50);
    } finally {
      at(1).child.kill('SIGCONT');
    }
    const resumedAt = Date.now();
    // b never left: once instance 2 is heard again, a sees b again, though b did not move.
    await waitFor("b's cursor back at a", () => usersIn(watcher).includes('b'), 10_000, 50);
    console.log(`[presence-outage] b's cursor back at a ${Date.now() - resumedAt} ms after instance 2 resumed`);
    for (const instance of cluster.instances) {
      expect(cluster.alive(instance)).toBe(true);
      expect(crashLines(instance.child.output())).toEqual([]);
    }
  }, 120_000);
});
