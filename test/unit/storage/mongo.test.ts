import type { MongoClient } from 'mongodb';
import ShareDB from 'sharedb';
import { afterEach, describe, expect, it } from 'vitest';
import { createMongoStorage, MONGO_WRITE_CONCERN, redactUrl, type MongoStorage } from '../../../server/dist/storage/index.js';
import { commit, createOp } from './callbacks.js';

type Document = Record<string, unknown>;

/** A stand-in for MongoClient that records what sharedb-mongo and sharedb-milestone-mongo ask of it. */
function fakeClient() {
  const log = {
    dbs: [] as { name: string | undefined; options: Document | undefined }[],
    indexes: [] as { collection: string; spec: Document; options: Document }[],
    inserts: [] as { collection: string; doc: Document }[],
    updates: [] as { collection: string; query: Document; update: Document; options: Document }[],
    commands: [] as { db: string | undefined; command: Document }[],
    closed: 0,
  };
  let nextId = 0;
  const collection = (name: string) => ({
    createIndex: async (spec: Document, options: Document) => {
      log.indexes.push({ collection: name, spec, options });
      return `${name}_index`;
    },
    insertOne: async (doc: Document) => {
      log.inserts.push({ collection: name, doc });
      return { acknowledged: true, insertedId: ++nextId };
    },
    updateOne: async (query: Document, update: Document, options: Document) => {
      log.updates.push({ collection: name, query, update, options });
      return { acknowledged: true, modifiedCount: 0, upsertedCount: 1 };
    },
  });
  const client = {
    db: (name?: string, options?: Document) => {
      log.dbs.push({ name, options });
      return { collection, command: async (command: Document) => (log.commands.push({ db: name, command }), { ok: 1 }) };
    },
    close: async () => {
      log.closed++;
    },
  };
  return { client: client as unknown as MongoClient, log };
}

describe('createMongoStorage', () => {
  let storage: MongoStorage | undefined;
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
  });

  it('writes with majority + journal write concern, creates the recommended indexes, and wires the milestone store', async () => {
    const { client, log } = fakeClient();
    storage = createMongoStorage({ url: 'mongodb://db.example/concord', client, milestoneInterval: 50 });
    expect(storage.kind).toBe('mongo');
    expect((storage.milestoneDb as unknown as { interval: number }).interval).toBe(50);

    expect(await commit(storage.db, 'notes', 'a', ...createOp({ x: 1 }, 'client-1', 1))).toBe(true);
    expect(log.inserts.map((insert) => insert.collection)).toEqual(['o_notes', 'notes']);
    expect(log.inserts[0]!.doc).toMatchObject({ d: 'a', v: 0, src: 'client-1', seq: 1 });
    expect(log.indexes.filter((index) => index.collection === 'o_notes').map((index) => index.spec)).toEqual([
      { d: 1, v: 1 },
      { src: 1, seq: 1, v: 1 },
    ]);

    const snapshot = { id: 'a', v: 1, type: 'json0', data: { x: 1 }, m: { ctime: 1, mtime: 2 } };
    await new Promise<void>((resolve, reject) =>
      storage!.milestoneDb.saveMilestoneSnapshot('notes', snapshot, (error) => (error ? reject(error) : resolve())),
    );
    expect(log.updates).toEqual([
      expect.objectContaining({ collection: 'm_notes', query: { d: 'a', v: 1 }, options: { upsert: true } }),
    ]);
    expect(log.indexes.filter((index) => index.collection === 'm_notes')).toEqual([
      { collection: 'm_notes', spec: { d: 1, v: 1 }, options: expect.objectContaining({ unique: true }) },
      { collection: 'm_notes', spec: { 'm.mtime': 1 }, options: expect.anything() },
    ]);

    // Every database handle the adapters used carries the write concern.
    const dataHandles = log.dbs.filter((db) => db.name === undefined);
    expect(dataHandles.length).toBeGreaterThanOrEqual(2);
    for (const handle of dataHandles) expect(handle.options).toEqual({ writeConcern: { w: 'majority', journal: true } });

    await storage.ping();
    expect(log.commands).toEqual([{ db: 'admin', command: { ping: 1 } }]);

    await storage.close();
    storage = undefined;
    expect(log.closed).toBe(0); // an injected client stays open: its owner closes it
  });

  it('configures a client it creates with the write concern', async () => {
    storage = createMongoStorage({ url: 'mongodb://127.0.0.1:1/concord' });
    expect(MONGO_WRITE_CONCERN).toEqual({ w: 'majority', journal: true });
    expect(storage.client.options.writeConcern).toMatchObject({ w: 'majority', journal: true });
  });

  it('fails ping fast with a clear message, without the password, when MongoDB is unreachable', async () => {
    storage = createMongoStorage({ url: 'mongodb://admin:s3cret@127.0.0.1:1/concord', serverSelectionTimeoutMS: 1000 });
    const started = Date.now();
    const failure = await storage.ping().then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(Date.now() - started).toBeLessThan(4000);
    expect(failure?.message).toMatch(/^MongoDB at mongodb:\/\/admin:\*\*\*@127\.0\.0\.1:1\/concord is unreachable: /);
    expect(failure?.message).not.toContain('s3cret');
    expect(redactUrl('mongodb://127.0.0.1:1')).toBe('mongodb://127.0.0.1:1');
  });
});

const mongoUrl = process.env['TEST_MONGO_URL'];
if (!mongoUrl) console.log('MongoDB storage tests against a server skipped: TEST_MONGO_URL not set');

describe.skipIf(!mongoUrl)('createMongoStorage against MongoDB (TEST_MONGO_URL)', () => {
  it('stores a document, its ops and milestones, and serves a past version', async () => {
    const storage = createMongoStorage({ url: mongoUrl!, milestoneInterval: 2, serverSelectionTimeoutMS: 3000 });
    await storage.ping();
    await storage.client.db().dropDatabase();
    const backend = new ShareDB({ db: storage.db, milestoneDb: storage.milestoneDb });
    const doc = backend.connect().get('notes', 'n1');
    await new Promise<void>((resolve, reject) => doc.create({ n: 0 }, (error) => (error ? reject(error) : resolve())));
    for (let i = 0; i < 4; i++) {
      await new Promise<void>((resolve, reject) =>
        doc.submitOp([{ p: ['n'], na: 1 }], {}, (error) => (error ? reject(error) : resolve())),
      );
    }
    const past = await new Promise<{ v: number; data: unknown }>((resolve, reject) =>
      backend.connect().fetchSnapshot('notes', 'n1', 3, (error, snapshot) =>
        error ? reject(error) : resolve(snapshot as { v: number; data: unknown }),
      ),
    );
    expect(past).toMatchObject({ v: 3, data: { n: 2 } });
    expect(await storage.client.db().collection('m_notes').countDocuments()).toBeGreaterThanOrEqual(2);
    await new Promise<void>((resolve) => backend.close(() => resolve()));
    await storage.close();
  });
});
