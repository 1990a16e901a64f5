/**
 * `kill -9` of one of three server processes (one SQLite DATA_DIR, one Redis) while nine stock ShareDB clients,
 * three per instance, fire marker ops (every op inserts a unique marker) at a json0 list and a text-unicode text
 * without waiting for acks. The killed instance's clients get a new socket to a surviving instance, bound to
 * their existing Connection (`bindToSocket`): they resume their connection id and resend their in-flight and
 * pending ops. Afterwards: every marker acknowledged before the kill is stored exactly once, every submitted
 * marker is acknowledged and stored exactly once, nothing is stored twice or invented, and the op log has no
 * (src, seq) twice. The killed instance's presence (a cursor of its user) disappears at the others within 5 s.
 */
import { describe, expect, it } from 'vitest';
import type { Presence } from 'sharedb/lib/client/index.js';
import { call, create, subscribe } from '../helpers/stock-client.js';
import { waitFor } from '../helpers/wait-for.js';
import { seedFrom } from '../integration/convergence/random.js';
import { skipWithoutRedis } from './helpers/redis.js';
import { clusterLifecycle, connectAs, crashLines, getOps, rebind, type Instance } from './helpers/cluster.js';
import {
  COLLECTION, countMarkers, describeLag, openLoadClient, outstanding, runLoad, totalAcked, waitConverged,
  type LoadClient, type MarkerDocSpec,
} from './helpers/marker-load.js';

const INSTANCES = 3;
const CLIENTS_PER_INSTANCE = 3;
const KILLED = 1; // "instance 2"
const ACKS_BEFORE_KILL = 150;
const ACKS_AFTER_REBIND = 15; // per moved client, before the load stops
const PRESENCE_CLEARED_MS = 5_000;

const lifecycle = clusterLifecycle();
const { clients } = lifecycle;

type Remote = { user?: { sub?: string } } | null;
const usersIn = (presence: Presence): string[] =>
  Object.values(presence.remotePresences as Record<string, Remote>).map((p) => p?.user?.sub ?? '?').sort();

describe.skipIf(skipWithoutRedis())('kill -9 of one instance under load', () => {
  it('its clients move to another instance and every op is applied exactly once; its presence is cleared', async () => {
    const seed = seedFrom(process.env);
    console.log(`[kill-instance] seed=${seed} (replay with SEED=${seed})`);
    const started = Date.now();
    const { cluster } = await lifecycle.start(INSTANCES);
    const { instances } = cluster;
    const at = (i: number): Instance => instances[i] as Instance;
    const specs: MarkerDocSpec[] = [{ id: `list-${seed}`, kind: 'json0' }, { id: `text-${seed}`, kind: 'text-unicode' }];

    const load: LoadClient[] = [];
    for (let i = 0; i < INSTANCES * CLIENTS_PER_INSTANCE; i++) {
      const lc = await openLoadClient(at(i % INSTANCES), `k${i}`, specs, seed);
      clients.push(lc.client);
      load.push(lc);
    }

    // One presence user per instance (p<i> on instance i), each with a cursor in a quiet room document.
    const roomId = `room-${seed}`;
    const presences: Presence[] = [];
    for (let i = 0; i < INSTANCES; i++) {
      const client = await connectAs(at(i), `p${i}`);
      clients.push(client);
      const doc = client.connection.get(COLLECTION, roomId);
      if (i === 0) await create(doc, 'room', 'text-unicode');
      await subscribe(doc);
      const presence = client.connection.getDocPresence(COLLECTION, roomId);
      await call((cb) => presence.subscribe(cb));
      const cursor = presence.create(`cursor-p${i}`);
      await call((cb) => cursor.submit({ index: i, length: 0 }, cb));
      presences.push(presence);
    }
    for (let i = 0; i < INSTANCES; i++) {
      const others = ['p0', 'p1', 'p2'].filter((u) => u !== `p${i}`);
      await waitFor(`p${i} sees ${others.join(', ')}`, () => JSON.stringify(usersIn(presences[i] as Presence)) === JSON.stringify(others), 10_000);
    }

    let stopped = false;
    // Op frames each client sent, to count the resends after the move.
    const sentOps = new Map<LoadClient, string[]>();
    for (const lc of load) {
      const sent: string[] = [];
      sentOps.set(lc, sent);
      lc.client.connection.on('send', (message: { a?: string; d?: string; seq?: number }) => {
        if (message.a === 'op') sent.push(`${message.d}#${message.seq}`);
      });
    }
    const loading = runLoad(load, { specs, maxOutstanding: 4, minPauseMs: 3, maxPauseMs: 12, stop: () => stopped });
    try {
      await waitFor(`${ACKS_BEFORE_KILL} acks under load`, () => totalAcked(load) >= ACKS_BEFORE_KILL, 60_000);

      const killed = load.filter((lc) => lc.instance.index === KILLED);
      const ackedAtKill = new Set(load.flatMap((lc) => [...lc.acked]));
      const outstandingAtKill = killed.reduce((t, lc) => t + outstanding(lc), 0);
      at(KILLED).child.kill('SIGKILL');
      const killedAt = Date.now();
      await at(KILLED).child.exited;

      // Presence of the killed instance's user disappears at the surviving instances.
      const presenceGone = Promise.all([0, 2].map((i) => waitFor(`p1's cursor gone at p${i}`,
        () => (usersIn(presences[i] as Presence).includes('p1') ? undefined : Date.now() - killedAt), 15_000, 20)));

      // Its clients: new sockets to the survivors, same Connection (same id, pending ops resent).
      const ackedBeforeMove = new Map<LoadClient, number>();
      const sentBeforeMove = new Map<LoadClient, { count: number; keys: Set<string> }>();
      await Promise.all(killed.map(async (lc, n) => {
        await waitFor(`${lc.name} notices the kill`, () => lc.client.connection.state === 'disconnected', 15_000);
        const target = at(n % 2 === 0 ? 0 : 2);
        ackedBeforeMove.set(lc, lc.acked.size);
        const sent = sentOps.get(lc) ?? [];
        sentBeforeMove.set(lc, { count: sent.length, keys: new Set(sent) });
        await rebind(lc.client, target, lc.name);
        lc.instance = target;
      }));
      const movedAt = Date.now();
      await waitFor(`moved clients acknowledged ${ACKS_AFTER_REBIND} more ops each`,
        () => killed.every((lc) => lc.acked.size - (ackedBeforeMove.get(lc) ?? 0) >= ACKS_AFTER_REBIND), 60_000);
      const acksAfterMove = Math.min(...killed.map((lc) => lc.acked.size - (ackedBeforeMove.get(lc) ?? 0)));
      // Ops sent before the kill and sent again (same doc and seq) after the move: the resends.
      const resent = killed.reduce((t, lc) => t + (sentOps.get(lc) ?? []).slice(sentBeforeMove.get(lc)?.count ?? 0)
        .filter((key) => sentBeforeMove.get(lc)?.keys.has(key)).length, 0);
      stopped = true;
      await loading;

      const clearedAfter = await presenceGone;
      console.log(`[kill-instance] presence of p1 cleared at p0 / p2 after ${clearedAfter.join(' / ')} ms`);
      expect(Math.max(...clearedAfter)).toBeLessThan(PRESENCE_CLEARED_MS);
      // The survivors' users are still there.
      expect(usersIn(presences[0] as Presence)).toEqual(['p2']);
      expect(usersIn(presences[2] as Presence)).toEqual(['p0']);

      let stored;
      try {
        stored = await waitConverged(load, specs, at(0), 60_000);
      } catch (err) {
        throw new Error(`${String(err)}\n${describeLag(load, undefined)}`);
      }

      let submittedTotal = 0;
      let storedTotal = 0;
      let duplicates = 0;
      for (const spec of specs) {
        const state = stored.get(spec.id);
        if (!state) throw new Error(`no ${spec.id}`);
        const counts = countMarkers(spec.kind, state.data);
        const submitted = load.flatMap((lc) => lc.submitted.get(spec.id) ?? []);
        submittedTotal += submitted.length;
        storedTotal += [...counts.values()].reduce((t, c) => t + c, 0);
        duplicates += [...counts.values()].filter((c) => c > 1).length;
        const submittedSet = new Set(submitted);
        expect([...counts.keys()].filter((m) => !submittedSet.has(m)), `${spec.id}: stored markers nobody submitted`).toEqual([]);
        expect([...counts].filter(([, c]) => c !== 1).map(([m]) => m), `${spec.id}: markers stored more than once`).toEqual([]);
        expect(submitted.filter((m) => counts.get(m) !== 1), `${spec.id}: submitted markers not stored exactly once`).toEqual([]);
        expect([...ackedAtKill].filter((m) => submittedSet.has(m) && counts.get(m) !== 1), `${spec.id}: acked before the kill, not stored once`).toEqual([]);
        // The op log: one create, then exactly one op per submitted marker, no (src, seq) twice.
        const ops = await getOps(at(2), COLLECTION, spec.id);
        expect(ops.length).toBe(state.v);
        expect(ops.filter((op) => op.op !== undefined).length, `${spec.id}: ops in the log vs markers submitted`).toBe(submitted.length);
        const keys = ops.map((op) => `${op.src}#${op.seq}`);
        expect(keys.length - new Set(keys).size, `${spec.id}: (src, seq) committed twice`).toBe(0);
      }
      for (const lc of load) {
        expect(lc.errors, `${lc.name} errors`).toEqual([]);
        expect(lc.failures, `${lc.name} failed submits`).toEqual([]);
        expect([...lc.docs.values()].some((d) => d.hasPending()), `${lc.name} pending`).toBe(false);
        const submitted = [...lc.submitted.values()].reduce((t, l) => t + l.length, 0);
        expect(lc.acked.size, `${lc.name} acks`).toBe(submitted);
      }
      const ackedTotal = totalAcked(load);
      const storedOfAckedAtKill = [...ackedAtKill].filter((m) => specs.some((spec) =>
        countMarkers(spec.kind, stored.get(spec.id)?.data).get(m) === 1)).length;
      expect(storedOfAckedAtKill).toBe(ackedAtKill.size);
      console.log(`[kill-instance] seed=${seed} acknowledged before kill=${ackedAtKill.size} stored exactly once of those=${storedOfAckedAtKill} ` +
        `(outstanding on the killed instance's clients at the kill: ${outstandingAtKill}, resent after the move: ${resent}); after convergence: ` +
        `submitted=${submittedTotal} acknowledged=${ackedTotal} stored=${storedTotal} duplicates=${duplicates}; ` +
        `moved clients reconnected ${movedAt - killedAt} ms after the kill (at least ${acksAfterMove} acks each after the move)`);
      expect(ackedTotal).toBe(submittedTotal);
      expect(storedTotal).toBe(submittedTotal);

      for (const i of [0, 2]) {
        expect(cluster.alive(at(i))).toBe(true);
        expect(crashLines(at(i).child.output())).toEqual([]);
      }
      console.log(`[kill-instance] total ${Date.now() - started} ms`);
    } finally {
      stopped = true;
      await loading;
    }
  }, 300_000);
});
