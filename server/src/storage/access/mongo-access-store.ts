import type { Collection, Db } from 'mongodb';
import { canonicalGrants, NO_ACCESS_RECORD, type AccessStore, type DocumentAccess, type Grant } from './access-store.js';

/** The MongoDB collection holding owners and grants; ShareDB collections should not use this name. */
export const MONGO_ACCESS_COLLECTION = '_concord_access';

interface AccessDocument {
  /** `collection` + NUL + `id`: one record per document, upserts need no separate unique index. */
  _id: string;
  c: string;
  d: string;
  owner: string | null;
  grants: Grant[];
}

/**
 * Owners and grants in one MongoDB collection (`_concord_access`), written with the storage's majority write
 * concern so every instance reads the same. Indexes are created on first use.
 */
export class MongoAccessStore implements AccessStore {
  private readonly db: () => Db;
  private indexes: Promise<unknown> | undefined;

  constructor(db: () => Db) {
    this.db = db;
  }

  async get(collection: string, id: string): Promise<DocumentAccess> {
    const record = await (await this.collection()).findOne({ _id: key(collection, id) });
    if (!record) return NO_ACCESS_RECORD;
    return { owner: record.owner ?? null, grants: canonicalGrants(record.grants ?? []) };
  }

  async recordCreated(collection: string, id: string, owner: string): Promise<void> {
    await (await this.collection()).updateOne(
      { _id: key(collection, id) }, { $set: { c: collection, d: id, owner, grants: [] } }, { upsert: true });
  }

  async setGrants(collection: string, id: string, grants: readonly Grant[]): Promise<void> {
    await (await this.collection()).updateOne(
      { _id: key(collection, id) },
      { $set: { c: collection, d: id, grants: canonicalGrants(grants) }, $setOnInsert: { owner: null } },
      { upsert: true });
  }

  async remove(collection: string, id: string): Promise<void> {
    await (await this.collection()).deleteOne({ _id: key(collection, id) });
  }

  async idsOwnedBy(collection: string, sub: string): Promise<string[]> {
    const records = await (await this.collection()).find({ c: collection, owner: sub }, { projection: { d: 1 } }).toArray();
    return records.map((record) => record.d).sort();
  }

  async idsGrantedTo(collection: string, sub: string, roles: readonly string[]): Promise<string[]> {
    const records = await (await this.collection()).find(
      { c: collection, $or: [{ 'grants.sub': sub }, { 'grants.role': { $in: [...roles, '*'] } }] },
      { projection: { d: 1 } }).toArray();
    return records.map((record) => record.d).sort();
  }

  private async collection(): Promise<Collection<AccessDocument>> {
    const collection = this.db().collection<AccessDocument>(MONGO_ACCESS_COLLECTION);
    this.indexes ??= Promise.all([
      collection.createIndex({ c: 1, owner: 1 }),
      collection.createIndex({ c: 1, 'grants.sub': 1 }),
      collection.createIndex({ c: 1, 'grants.role': 1 }),
    ]).catch((err: unknown) => {
      this.indexes = undefined; // tried again on the next call
      throw err;
    });
    await this.indexes;
    return collection;
  }
}

function key(collection: string, id: string): string {
  return `${collection}\u0000${id}`;
}
