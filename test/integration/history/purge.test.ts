/**
 * Purge (`POST /api/docs/:collection/:id/purge`) on memory and SQLite storage: 204; content, ops and milestones
 * gone from storage (a tombstone stays: the version counter and one delete op without content); subscribers see a
 * delete; GET answers 404; a stale client's op never lands on a new document created under the same id.
 */
import { afterEach, describe, expect, it } from 'vitest';
import ShareDBClient from 'sharedb/lib/client/index.js';
import type { SqliteStorage } from '../../../server/dist/storage/index.js';
import { subscribe } from '../../helpers/stock-client.js';
import { waitFor } from '../../helpers/wait-for.js';
import { addOps, makeDoc, startHistoryServer, stockConnection, submitOutcome, type HistoryServer, type Kind } from './history-helpers.js';

const SECRET = 'secret-content-7f3a';

describe.each<Kind>(['memory', 'sqlite'])('purge on %s storage', (kind) => {
  let server: HistoryServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('removes content, ops and milestones; keeps a tombstone; subscribers see a delete; GET is 404', async () => {
    server = await startHistoryServer(kind, 10);
    await makeDoc(server, 'notes', 'p', 1);
    await server.req('POST', '/api/docs/notes/p/ops', { v: 1, op: [{ p: ['s'], oi: SECRET }] });
    await addOps(server, 'notes', 'p', 30); // v 32, milestones 10, 20, 30
    const watcher = stockConnection(server.wsUrl, ShareDBClient as never);
    const watched = watcher.connection.get('notes', 'p');
    await subscribe(watched);
    let deleted = false;
    watched.on('del', () => (deleted = true));

    expect((await server.req('POST', '/api/docs/notes/p/purge')).status).toBe(204);
    await waitFor('subscriber sees the delete', () => deleted);
    expect(watched.type).toBe(null);

    expect((await server.req('GET', '/api/docs/notes/p')).status).toBe(404);
    expect((await server.req('GET', '/api/docs/notes/p?version=20')).status).toBe(410);
    expect((await server.req('GET', '/api/docs/notes/p/ops?from=0')).status).toBe(410);
    const stored = storedState(server, kind, 'notes', 'p');
    expect(stored.opVersions).toEqual([32]); // the tombstone: the delete, without content
    expect(stored.milestoneVersions).toEqual([33]); // the deleted state, without content
    expect(stored.snapshotHasData).toBe(false);
    expect(stored.text).not.toContain(SECRET);
    // Purging again (already purged) is fine; an id never created is 404.
    expect((await server.req('POST', '/api/docs/notes/p/purge')).status).toBe(204);
    expect((await server.req('POST', '/api/docs/notes/never/purge')).status).toBe(404);
    watcher.close();
  });

  it('a stale client of the purged document never has its ops land on a new document with the same id', async () => {
    server = await startHistoryServer(kind, 10);
    await makeDoc(server, 'notes', 'reused', 6);
    const early = stockConnection(server.wsUrl, ShareDBClient as never); // behind: at version 3
    const late = stockConnection(server.wsUrl, ShareDBClient as never); // up to date: at version 6
    const earlyDoc = early.connection.get('notes', 'reused');
    const lateDoc = late.connection.get('notes', 'reused');
    await subscribe(lateDoc);
    await subscribe(earlyDoc);
    await early.drop();
    await late.drop();
    // Both edit offline: their ops wait to be sent at versions 6.
    const earlyOutcome = submitOutcome(earlyDoc, [{ p: ['n'], na: 1000 }]);
    const lateOutcome = submitOutcome(lateDoc, [{ p: ['n'], na: 2000 }]);

    expect((await server.req('POST', '/api/docs/notes/reused/purge')).status).toBe(204);
    const created = await server.req('POST', '/api/docs/notes/reused', { type: 'json0', data: { n: 0, fresh: true } });
    expect(created.status).toBe(201);
    expect(created.body.v).toBe(8); // the version count goes on: delete at 6, create at 7
    await addOps(server, 'notes', 'reused', 20); // well past the stale clients' versions

    early.reconnect();
    late.reconnect();
    const [earlyErr, lateErr] = await Promise.all([earlyOutcome, lateOutcome]);
    // At version 6 the op meets the purge's delete; an older one needs ops that are gone.
    expect(lateErr?.code).toMatch(/^ERR_(DOC_WAS_DELETED|HISTORY_PRUNED)$/);
    expect(earlyErr?.code).toMatch(/^ERR_(DOC_WAS_DELETED|HISTORY_PRUNED)$/);
    expect((await server.req('GET', '/api/docs/notes/reused')).body).toEqual({ v: 28, type: 'json0', data: { n: 20, fresh: true } });

    // Ops made at old versions, sent over REST: rejected, never transformed onto the new document.
    for (const v of [0, 2, 5]) {
      const stale = await server.req('POST', '/api/docs/notes/reused/ops', { v, op: [{ p: ['n'], na: 1 }] });
      expect(stale.status).toBe(410);
      expect(stale.body.error.code).toBe('ERR_HISTORY_PRUNED');
    }
    const atTombstone = await server.req('POST', '/api/docs/notes/reused/ops', { v: 6, op: [{ p: ['n'], na: 1 }] });
    expect(atTombstone.status).toBe(404); // ERR_DOC_WAS_DELETED → ERR_DOC_NOT_FOUND
    // A stale create (made at version 0) does not silently recreate either.
    const session = { principal: { sub: 'stale', roles: [] }, remoteAddress: '127.0.0.1', transport: 'internal' as const };
    await expect(server.collab.docs.submit(session, 'notes', 'reused', { v: 0, create: { type: 'http://sharejs.org/types/JSONv0', data: {} } }))
      .rejects.toMatchObject({ code: 'ERR_HISTORY_PRUNED' });
    expect((await server.req('GET', '/api/docs/notes/reused')).body.data).toEqual({ n: 20, fresh: true });
    // The new document's own history reads from the deleted-state milestone on.
    expect((await server.req('GET', '/api/docs/notes/reused?version=10')).body).toMatchObject({ v: 10, data: { n: 2, fresh: true } });
    early.close();
    late.close();
  });

  it('needs the purge permission: the development rules (anonymous) may not purge', async () => {
    server = await startHistoryServer(kind, 10, { authorizer: undefined });
    await makeDoc(server, 'notes', 'kept', 3);
    const refused = await server.req('POST', '/api/docs/notes/kept/purge');
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('ERR_FORBIDDEN');
    expect((await server.req('GET', '/api/docs/notes/kept')).body.v).toBe(3);
  });
});

function storedState(server: HistoryServer, kind: Kind, collection: string, id: string) {
  if (kind === 'sqlite') {
    const db = (server.storage as SqliteStorage).db.database;
    const opVersions = db.prepare('SELECT v FROM ops WHERE collection = ? AND id = ? ORDER BY v').pluck().all(collection, id);
    const milestoneVersions = db.prepare('SELECT v FROM milestones WHERE collection = ? AND id = ? ORDER BY v').pluck().all(collection, id);
    const snapshot = db.prepare('SELECT type, data FROM snapshots WHERE collection = ? AND id = ?').get(collection, id) as { type: null; data: null };
    const text = [
      ...db.prepare('SELECT op FROM ops').pluck().all(),
      ...db.prepare('SELECT snapshot FROM milestones').pluck().all(),
      ...db.prepare('SELECT coalesce(data, \'\') FROM snapshots').pluck().all(),
    ].join('\n');
    return { opVersions, milestoneVersions, snapshotHasData: snapshot.data !== null || snapshot.type !== null, text };
  }
  const memory = server.storage.db as unknown as { ops: Record<string, Record<string, unknown[]>>; docs: Record<string, Record<string, unknown>> };
  const milestones = server.storage.milestoneDb as unknown as { _milestoneSnapshots: Record<string, Record<string, Array<{ v: number }>>> };
  const log = memory.ops[collection]![id]!;
  const opVersions = log.flatMap((op, v) => (op ? [v] : []));
  const milestoneList = milestones._milestoneSnapshots[collection]![id]!;
  return {
    opVersions,
    milestoneVersions: milestoneList.map((m) => m.v),
    snapshotHasData: ((doc) => doc !== undefined && (doc.type !== null || doc.data !== undefined))(memory.docs[collection]?.[id] as { type: unknown; data: unknown } | undefined),
    text: JSON.stringify([log, milestoneList, memory.docs]),
  };
}
