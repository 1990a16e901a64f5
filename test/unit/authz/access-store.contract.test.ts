/**
 * The AccessStore contract, run against every implementation: memory, SQLite (also through a second handle on the
 * same file, as another process would see it) and MongoDB when TEST_MONGO_URL is set.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMemoryStorage, createMongoStorage, createSqliteStorage, type AccessStore, type Storage } from '@concord/server';

interface Subject {
  /** The store under test and a second view of the same data (another process sharing the storage). */
  open(): Promise<{ store: AccessStore; other: AccessStore; close(): Promise<void> }>;
}

function runAccessStoreContract(name: string, subject: Subject, skip = false): void {
  describe.skipIf(skip)(`AccessStore contract: ${name}`, () => {
    const withStores = async (fn: (store: AccessStore, other: AccessStore) => Promise<void>): Promise<void> => {
      const { store, other, close } = await subject.open();
      try {
        await fn(store, other);
      } finally {
        await close();
      }
    };
    const c = `notes${Math.random().toString(36).slice(2, 8)}`;

    it('answers no owner and no grants for an unknown document', () => withStores(async (store) => {
      expect(await store.get(c, 'nothing')).toEqual({ owner: null, grants: [] });
    }));

    it('records the creator as owner, visible to the other view', () => withStores(async (store, other) => {
      await store.recordCreated(c, 'a', 'alice');
      expect(await other.get(c, 'a')).toEqual({ owner: 'alice', grants: [] });
      expect(await other.idsOwnedBy(c, 'alice')).toContain('a');
      expect(await other.idsOwnedBy(c, 'bob')).not.toContain('a');
      expect(await other.idsOwnedBy(`${c}x`, 'alice')).toEqual([]);
    }));

    it('replaces grants as a whole, deduplicated in a stable order, keeping the owner', () => withStores(async (store, other) => {
      await store.recordCreated(c, 'b', 'alice');
      await store.setGrants(c, 'b', [{ role: 'team', access: 'read' }, { sub: 'bob', access: 'read' }, { sub: 'bob', access: 'write' }]);
      expect(await other.get(c, 'b')).toEqual({
        owner: 'alice', grants: [{ role: 'team', access: 'read' }, { sub: 'bob', access: 'write' }],
      });
      await other.setGrants(c, 'b', [{ sub: 'carol', access: 'read' }]);
      expect(await store.get(c, 'b')).toEqual({ owner: 'alice', grants: [{ sub: 'carol', access: 'read' }] });
      await store.setGrants(c, 'b', []);
      expect(await other.get(c, 'b')).toEqual({ owner: 'alice', grants: [] });
    }));

    it('lists ids granted to a user, to its roles and to role "*"', () => withStores(async (store, other) => {
      await store.recordCreated(c, 'g1', 'alice');
      await store.recordCreated(c, 'g2', 'alice');
      await store.recordCreated(c, 'g3', 'alice');
      await store.setGrants(c, 'g1', [{ sub: 'bob', access: 'read' }]);
      await store.setGrants(c, 'g2', [{ role: 'team', access: 'write' }]);
      await store.setGrants(c, 'g3', [{ role: '*', access: 'read' }]);
      expect(await other.idsGrantedTo(c, 'bob', [])).toEqual(['g1', 'g3']);
      expect(await other.idsGrantedTo(c, 'dave', ['team'])).toEqual(['g2', 'g3']);
      expect(await other.idsGrantedTo(c, 'bob', ['team'])).toEqual(['g1', 'g2', 'g3']);
    }));

    it('a new creation resets the owner and clears the grants; remove forgets both', () => withStores(async (store, other) => {
      await store.recordCreated(c, 'r', 'alice');
      await store.setGrants(c, 'r', [{ sub: 'bob', access: 'write' }]);
      await store.recordCreated(c, 'r', 'bob');
      expect(await other.get(c, 'r')).toEqual({ owner: 'bob', grants: [] });
      await store.setGrants(c, 'r', [{ sub: 'carol', access: 'read' }]);
      await other.remove(c, 'r');
      expect(await store.get(c, 'r')).toEqual({ owner: null, grants: [] });
      expect(await store.idsGrantedTo(c, 'carol', [])).not.toContain('r');
    }));

    it('keeps grants on a document with no recorded owner (created before owners were kept)', () => withStores(async (store, other) => {
      await store.setGrants(c, 'old', [{ sub: 'bob', access: 'read' }]);
      expect(await other.get(c, 'old')).toEqual({ owner: null, grants: [{ sub: 'bob', access: 'read' }] });
    }));
  });
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function requireAccess(storage: Storage): AccessStore {
  if (!storage.access) throw new Error(`${storage.kind} storage has no access store`);
  return storage.access;
}

runAccessStoreContract('memory', {
  async open() {
    const storage = createMemoryStorage();
    const store = requireAccess(storage);
    return { store, other: store, close: () => storage.close() };
  },
});

runAccessStoreContract('sqlite (two handles on one file)', {
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'concord-access-'));
    dirs.push(dir);
    const a = createSqliteStorage({ dataDir: dir, heartbeatMs: 60_000 });
    const b = createSqliteStorage({ dataDir: dir, heartbeatMs: 60_000 });
    return { store: requireAccess(a), other: requireAccess(b), close: async () => { await a.close(); await b.close(); } };
  },
});

const mongoUrl = process.env['TEST_MONGO_URL'];
runAccessStoreContract('mongo (two clients)', {
  async open() {
    const a = createMongoStorage({ url: mongoUrl!, serverSelectionTimeoutMS: 3000 });
    const b = createMongoStorage({ url: mongoUrl!, serverSelectionTimeoutMS: 3000 });
    return { store: requireAccess(a), other: requireAccess(b), close: async () => { await a.close(); await b.close(); } };
  },
}, !mongoUrl);
