/**
 * A publish that fails. ShareDB publishes a committed op without waiting (the submitter is acknowledged either way),
 * and with Redis every subscriber, on this instance too, gets it only through Redis. When the publisher connection
 * drops while the publish is in flight, the op is committed but published to nobody; the subscriber connections
 * stayed up, so no instance re-reads what it missed, and on a document that gets no further op every subscriber
 * sits on the old version for good. Here Redis holds the publish (CLIENT PAUSE WRITE) and the publisher connections
 * are killed meanwhile, as a network blip or an operator would.
 */
import { describe, expect, it } from 'vitest';
import { create, submit, subscribe } from '../helpers/stock-client.js';
import { waitFor } from '../helpers/wait-for.js';
import { RedisAdmin, skipWithoutRedis } from './helpers/redis.js';
import { clusterLifecycle, connectAs, crashLines, type Instance } from './helpers/cluster.js';

const COLLECTION = 'mpl';

const lifecycle = clusterLifecycle();
const { clients } = lifecycle;

describe.skipIf(skipWithoutRedis())('a publish lost with its connection', () => {
  it('still reaches every subscriber, on this instance and the other', async () => {
    const { redis, cluster } = await lifecycle.start(2);
    const at = (i: number): Instance => cluster.instances[i] as Instance;
    const writer = await connectAs(at(0), 'w');
    const near = await connectAs(at(0), 'n');
    const far = await connectAs(at(1), 'f');
    clients.push(writer, near, far);
    const doc = writer.connection.get(COLLECTION, 'quiet');
    await create(doc, { n: 0 }, 'json0');
    const copies = [near, far].map((c) => c.connection.get(COLLECTION, 'quiet'));
    for (const copy of copies) await subscribe(copy);

    const admin = await RedisAdmin.connect(redis.socketPath);
    try {
      expect(await admin.command('CLIENT', 'PAUSE', '10000', 'WRITE')).toBe('+OK');
      // Committed and acknowledged; its publish waits in Redis.
      await submit(doc, [{ p: ['n'], na: 1 }]);
      // The publishers (and only they: the subscribers are of type pubsub, this connection is skipped).
      expect(await admin.command('CLIENT', 'KILL', 'TYPE', 'normal')).toMatch(/^:[1-9]/);
      expect(await admin.command('CLIENT', 'UNPAUSE')).toBe('+OK');
    } finally {
      await admin.command('CLIENT', 'UNPAUSE').catch(() => undefined);
      admin.close();
    }
    await waitFor('the op at both subscribers', () => copies.every((copy) => copy.version === 2), 10_000);
    for (const copy of copies) expect(copy.data).toEqual({ n: 1 });
    for (const instance of cluster.instances) {
      expect(cluster.alive(instance)).toBe(true);
      expect(crashLines(instance.child.output())).toEqual([]);
    }
  }, 60_000);
});
