import type { Db } from 'mongodb';
import type { HistoryStore } from './history-store.js';

/**
 * Op-log maintenance on the collections of sharedb-mongo (snapshots in `COLLECTION` with `_id` the document id,
 * ops in `o_COLLECTION` with `d` the document id and `v` the version) and sharedb-milestone-mongo
 * (`m_COLLECTION`, `d` and `v`). The adapters' `{d: 1, v: 1}` indexes serve every query. sharedb-mongo reads ops
 * by following each op's link to the previous one from the newest; deleting the oldest ops only shortens that
 * chain, and a read that reaches below the oldest op fails with its "Missing ops" error (5103).
 */
export class MongoHistoryStore implements HistoryStore {
  constructor(private readonly db: () => Db) {}

  async listIds(collection: string): Promise<string[]> {
    const docs = await this.db().collection<{ _id: string }>(collection).find({}, { projection: { _id: 1 } }).toArray();
    return docs.map((doc) => String(doc._id));
  }

  async oldestOpVersion(collection: string, id: string): Promise<number | undefined> {
    const op = await this.ops(collection).find({ d: id }, { projection: { v: 1 } }).sort({ v: 1 }).limit(1).next();
    return op?.v;
  }

  async firstOpVersionSince(collection: string, id: string, ts: number): Promise<number | undefined> {
    const cursor = this.ops(collection).find({ d: id }, { projection: { v: 1, 'm.ts': 1 } }).sort({ v: 1 });
    try {
      for await (const op of cursor) {
        if (typeof op.m?.ts !== 'number' || op.m.ts >= ts) return op.v;
      }
    } finally {
      await cursor.close();
    }
    return undefined;
  }

  async pruneOps(collection: string, id: string, before: number): Promise<number> {
    const result = await this.ops(collection).deleteMany({ d: id, v: { $lt: before } });
    return result.deletedCount;
  }

  async milestoneVersions(collection: string, id: string): Promise<number[]> {
    const docs = await this.milestones(collection).find({ d: id }, { projection: { v: 1 } }).sort({ v: 1 }).toArray();
    return docs.map((doc) => doc.v);
  }

  async purge(collection: string, id: string, tombstone: number): Promise<void> {
    await this.ops(collection).deleteMany({ d: id, v: { $lt: tombstone } });
    // ShareDB keeps a deleted document's data in its delete op (`m.data`); the tombstone keeps none.
    await this.ops(collection).updateOne({ d: id, v: tombstone }, { $unset: { 'm.data': '' } });
    await this.milestones(collection).deleteMany({ d: id, v: { $lte: tombstone } });
  }

  private ops(collection: string) {
    return this.db().collection<{ d: string; v: number; m?: { ts?: number } }>(`o_${collection}`);
  }

  private milestones(collection: string) {
    return this.db().collection<{ d: string; v: number }>(`m_${collection}`);
  }
}
