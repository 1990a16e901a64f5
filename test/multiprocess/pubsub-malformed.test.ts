/**
 * A message on the shared pub/sub that is not what this version publishes: not JSON, JSON that is not an object, or
 * an object of another shape (another app on the same Redis, another Concord version). It is dropped, and the
 * instance goes on delivering what follows: ops to its document subscribers, presence, heartbeats. An exception
 * thrown while handling one message used to reach node-redis's socket reader, which then reset its reply decoder
 * and with it the subscriber's pub/sub mode: the connection stayed up but delivered nothing more, for good.
 */
import { describe, expect, it } from 'vitest';
import { create, submit, subscribe } from '../helpers/stock-client.js';
import { waitFor } from '../helpers/wait-for.js';
import { RedisAdmin, skipWithoutRedis } from './helpers/redis.js';
import { clusterLifecycle, connectAs, crashLines, type Instance } from './helpers/cluster.js';

const COLLECTION = 'mpm';

const lifecycle = clusterLifecycle();
const { clients } = lifecycle;

describe.skipIf(skipWithoutRedis())('a malformed message on the pub/sub', () => {
  for (const [what, message] of [['not JSON', 'not json {'], ['JSON null', 'null'], ['a number', '42']] as const) {
    it(`(${what}) is dropped, and ops published after it still reach the other instance`, async () => {
      const { redis, cluster } = await lifecycle.start(2);
      const at = (i: number): Instance => cluster.instances[i] as Instance;
      const writer = await connectAs(at(0), 'w');
      const reader = await connectAs(at(1), 'r');
      clients.push(writer, reader);
      const doc = writer.connection.get(COLLECTION, 'doc');
      await create(doc, { n: 0 }, 'json0');
      const copy = reader.connection.get(COLLECTION, 'doc');
      await subscribe(copy);
      await submit(doc, [{ p: ['n'], na: 1 }]);
      await waitFor('the first op at the reader', () => copy.version === 2, 10_000);

      const admin = await RedisAdmin.connect(redis.socketPath);
      try {
        // One subscriber (instance 2's) hears it on the document's channel.
        expect(await admin.command('PUBLISH', `${COLLECTION}.doc`, message)).toBe(':1');
      } finally {
        admin.close();
      }
      for (let i = 0; i < 3; i++) await submit(doc, [{ p: ['n'], na: 1 }]);
      await waitFor('the ops after it at the reader', () => copy.version === 5, 10_000);
      expect(copy.data).toEqual({ n: 4 });
      for (const instance of cluster.instances) {
        expect(cluster.alive(instance)).toBe(true);
        expect(crashLines(instance.child.output())).toEqual([]);
      }
    }, 60_000);
  }
});
