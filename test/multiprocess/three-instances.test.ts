/**
 * Three server processes sharing one SQLite DATA_DIR and one Redis (each test starts its own redis-server on a unix
 * socket). Nine stock ShareDB clients, three per instance, each a distinct JWT user, edit one document of every OT
 * type at once with the seeded random op generators of the convergence test, never waiting for acks. Afterwards
 * every client holds the stored document at the stored version (the same on all three instances), every marker is
 * there exactly once, and the stored versions are exactly the committed (acked, not transformed away) ops.
 * Then: a cursor set on instance 1 reaches clients on instances 2 and 3, stamped with the sender's user; and the
 * latency from a commit on instance 1 to delivery at a subscriber on instance 2 (p50/p99, printed, loosely bounded).
 *
 * Seed: `SEED=<n>` to replay (it fixes each client's op choices; the interleaving still depends on timing).
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { Doc } from 'sharedb/lib/client/index.js';
import { call, create, submit, subscribe, type StockClient } from '../helpers/stock-client.js';
import { once, waitFor } from '../helpers/wait-for.js';
import { editConcurrently, type EditPlan, type Editor } from '../integration/convergence/drive.js';
import type { OpGenerator } from '../integration/convergence/generator.js';
import { json0Generator } from '../integration/convergence/generators/json0.js';
import { json1Generator } from '../integration/convergence/generators/json1.js';
import { richTextGenerator } from '../integration/convergence/generators/rich-text.js';
import { textUnicodeGenerator } from '../integration/convergence/generators/text-unicode.js';
import { deriveSeed, mulberry32, seedFrom } from '../integration/convergence/random.js';
import { isWellFormed } from '../integration/convergence/text-model.js';
import { skipWithoutRedis } from './helpers/redis.js';
import {
  clusterLifecycle, connectAs, crashLines, getDoc, percentile, plain, type Instance, type StoredDoc,
} from './helpers/cluster.js';

const COLLECTION = 'mp3';
const INSTANCES = 3;
const CLIENTS_PER_INSTANCE = 3;
const GENERATORS: OpGenerator[] = [json0Generator, json1Generator, richTextGenerator, textUnicodeGenerator];
// 9 clients x 4 documents = 36 editors on two shared cores, next to three server processes and a Redis.
const PLAN: EditPlan = { opsPerClient: 30, minOpsPerClient: 12, editMs: 4_000, maxOutstanding: 3 };
const SETTLE_MS = 90_000;
const LATENCY_OPS = 200;

const lifecycle = clusterLifecycle();
const { clients } = lifecycle;

describe.skipIf(skipWithoutRedis())('three server processes, one SQLite, one Redis', () => {
  it('clients spread across the instances converge on every type; presence and ops cross instances', async () => {
    const seed = seedFrom(process.env);
    console.log(`[three-instances] seed=${seed} (replay with SEED=${seed})`);
    const started = Date.now();
    const { cluster } = await lifecycle.start(INSTANCES);
    const { instances } = cluster;
    const at = (i: number): Instance => instances[i % INSTANCES] as Instance;

    // Client i is user u<i> on instance i % 3: three per instance.
    const conns: StockClient[] = [];
    for (let i = 0; i < INSTANCES * CLIENTS_PER_INSTANCE; i++) {
      const client = await connectAs(at(i), `u${i}`);
      clients.push(client);
      conns.push(client);
    }

    // One editor per (client, type); a client's editors share its connection.
    const editorsByType = new Map<string, Editor[]>();
    const acksAhead: string[] = [];
    const docIds = new Map<string, string>();
    for (const generator of GENERATORS) {
      const id = `${generator.type}-${seed}`;
      docIds.set(generator.type, id);
      const editors = conns.map((client, index): Editor => {
        const doc = client.connection.get(COLLECTION, id);
        doc.preventCompose = true; // one server op per submitOp, so acks and versions can be counted
        const editor: Editor = {
          index, client, doc, rng: mulberry32(deriveSeed(seed, generator.type, index)),
          submitted: 0, acked: 0, noOps: 0, failures: [], errors: [], markers: [], nextId: 0,
        };
        doc.on('error', (err) => editor.errors.push(err));
        return editor;
      });
      editorsByType.set(generator.type, editors);
      // Created through instance 2's client, subscribed by all.
      await create((editors[1] as Editor).doc, generator.initialData(), generator.type);
      await Promise.all(editors.map((e) => subscribe(e.doc)));
    }
    conns.forEach((client, index) => {
      client.connection.on('error', (err) => editorsByType.get(GENERATORS[0]!.type)?.[index]?.errors.push(err));
      client.connection.on('receive', (request: { data: { a?: string; d?: string; v?: number; src?: string; seq?: number; op?: unknown; error?: { code?: string } } }) => {
        const { data } = request;
        if (data.a === 'op' && data.op === undefined && data.error === undefined) {
          // An ack: the server must have sent every op before it first (the stock client warns and refetches
          // otherwise), on every instance, even when ops from the others arrive over Redis out of order.
          // Like the stock client, match src as well as seq: seq counts per connection, and a subscribe may
          // replay another client's create (no `op` either) whose seq equals this client's inflight one.
          for (const generator of GENERATORS) {
            const doc = docIds.get(generator.type) === data.d ? editorsByType.get(generator.type)?.[index]?.doc : undefined;
            const inflight = (doc as { inflightOp?: { src?: string; seq?: number } } | undefined)?.inflightOp;
            if (doc && inflight?.src === data.src && inflight?.seq === data.seq && doc.version !== data.v) acksAhead.push(`u${index} ${data.d}: at v${doc.version}, ack v${data.v}`);
          }
        }
        if (data.a !== 'op' || data.error?.code !== 'ERR_NO_OP') return;
        for (const generator of GENERATORS) {
          if (docIds.get(generator.type) === request.data.d) {
            const editor = editorsByType.get(generator.type)?.[index];
            if (editor) editor.noOps++;
          }
        }
      });
    });

    const editStart = Date.now();
    await Promise.all(GENERATORS.map((g) => editConcurrently(editorsByType.get(g.type) ?? [], g, PLAN)));
    const editMs = Date.now() - editStart;

    // Converged: nothing pending anywhere, every client at the stored version of each document.
    const all = [...editorsByType.values()].flat();
    const settleStart = Date.now();
    const stored = await waitFor('every client idle at the stored version', async () => {
      if (all.some((e) => e.doc.hasPending())) return undefined;
      const docs = new Map<string, StoredDoc>();
      for (const [type, id] of docIds) docs.set(type, await getDoc(at(0), COLLECTION, id));
      for (const [type, editors] of editorsByType) {
        if (editors.some((e) => e.doc.version !== docs.get(type)?.v)) return undefined;
      }
      return docs;
    }, SETTLE_MS, 50);
    const settleMs = Date.now() - settleStart;

    for (const generator of GENERATORS) {
      const editors = editorsByType.get(generator.type) ?? [];
      const id = docIds.get(generator.type) ?? '';
      const state = stored.get(generator.type) as StoredDoc;
      const acked = editors.reduce((t, e) => t + e.acked, 0);
      const noOps = editors.reduce((t, e) => t + e.noOps, 0);
      const submitted = editors.reduce((t, e) => t + e.submitted, 0);
      console.log(`[three-instances ${generator.type}] seed=${seed} submitted=${submitted} acked=${acked} noOpAcks=${noOps} ` +
        `storedVersion=${state.v} perInstance=${instances.map((inst) => editors.filter((e) => e.index % INSTANCES === inst.index).reduce((t, e) => t + e.acked, 0)).join('/')}`);
      // One truth: every instance serves the same stored document.
      for (const instance of instances) {
        const there = await getDoc(instance, COLLECTION, id);
        expect({ v: there.v, data: there.data }, `${generator.type} at instance ${instance.index + 1}`).toEqual({ v: state.v, data: state.data });
      }
      for (const editor of editors) {
        const who = `${generator.type} client u${editor.index} (instance ${(editor.index % INSTANCES) + 1})`;
        expect(editor.errors, `${who} errors`).toEqual([]);
        expect(editor.failures, `${who} failed submits`).toEqual([]);
        expect(editor.acked, `${who} acks`).toBe(editor.submitted);
        expect(editor.doc.version, `${who} version`).toBe(state.v);
        expect(plain(editor.doc.data), `${who} data`).toEqual(plain(state.data));
        const missing = editor.markers.filter((m) => generator.markerCount(state.data, m) !== 1);
        expect(missing, `${who} markers not present exactly once`).toEqual([]);
        expect(editor.submitted, `${who} took part`).toBeGreaterThanOrEqual(PLAN.minOpsPerClient);
      }
      // Each committed op exactly once: versions after the create are the acked ops not transformed away.
      expect(state.v - 1, `${generator.type} stored ops vs acked - no-op acks`).toBe(acked - noOps);
      if (generator.textOf) expect(isWellFormed(generator.textOf(state.data))).toBe(true);
    }
    console.log(`[three-instances] edit phase ${editMs} ms, converged ${settleMs} ms after it`);
    expect(acksAhead, 'acks that arrived before the ops preceding them').toEqual([]);

    // Presence crosses instances: a cursor set via u0 (instance 1) appears at u2 (instance 3) and u1 (instance 2),
    // stamped with u0's user by the server.
    const richId = docIds.get('rich-text') ?? '';
    const presences = [0, 1, 2].map((i) => (conns[i] as StockClient).connection.getDocPresence(COLLECTION, richId));
    await Promise.all(presences.map((p) => call((cb) => p.subscribe(cb))));
    const cursor = presences[0]!.create('cursor-u0');
    await call((cb) => cursor.submit({ index: 1, length: 2 }, cb));
    for (const i of [2, 1]) {
      const seen = await waitFor(`u0's cursor at u${i} (instance ${i + 1})`, () => presences[i]!.remotePresences['cursor-u0'], 10_000);
      expect(seen).toMatchObject({ index: 1, length: 2, user: { sub: 'u0', name: 'User u0' } });
    }
    await call((cb) => cursor.submit(null, cb));
    await waitFor('u0 cursor cleared at u2', () => presences[2]!.remotePresences['cursor-u0'] == null, 10_000);

    // Latency: u0 (instance 1) commits; u1 (instance 2) and u3 (instance 1, for comparison) receive.
    const latencyId = `latency-${seed}`;
    const writer = conns[0]!.connection.get(COLLECTION, latencyId);
    await create(writer, { n: 0 }, 'json0');
    const remote: Doc = conns[1]!.connection.get(COLLECTION, latencyId);
    const local: Doc = conns[3]!.connection.get(COLLECTION, latencyId);
    await Promise.all([subscribe(writer), subscribe(remote), subscribe(local)]);
    const cross: number[] = [];
    const same: number[] = [];
    const acks: number[] = [];
    for (let i = 0; i < LATENCY_OPS; i++) {
      const t0 = performance.now();
      const since = (): number => performance.now() - t0;
      const [toRemote, toLocal, ack] = await Promise.all([
        once(remote, 'op').then(since), once(local, 'op').then(since), submit(writer, [{ p: ['n'], na: 1 }]).then(since),
      ]);
      cross.push(toRemote);
      same.push(toLocal);
      acks.push(ack);
    }
    const fmt = (xs: number[]): string => `p50=${percentile(xs, 50).toFixed(1)}ms p99=${percentile(xs, 99).toFixed(1)}ms`;
    console.log(`[three-instances latency] ${LATENCY_OPS} ops, from submit on instance 1: ` +
      `delivery at instance 2 ${fmt(cross)}; delivery at instance 1 ${fmt(same)}; ack ${fmt(acks)}`);
    expect(remote.version).toBe(LATENCY_OPS + 1);
    expect(percentile(cross, 50)).toBeLessThan(1_000);

    for (const instance of instances) {
      expect(cluster.alive(instance)).toBe(true);
      expect(crashLines(instance.child.output())).toEqual([]);
    }
    console.log(`[three-instances] total ${Date.now() - started} ms`);
  }, 300_000);
});
