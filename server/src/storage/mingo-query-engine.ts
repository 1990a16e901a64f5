import { createRequire } from 'node:module';
import type { MongoQuery, PollDocCallback, SnapshotRecord } from './sharedb-records.js';

/** Where the engine reads documents from: any store that can read one snapshot and list a collection. */
export interface SnapshotSource {
  /** A snapshot with metadata, or a v0 `{type: null}` snapshot when absent. Synchronous. */
  readSnapshot(collection: string, id: string, includeMetadata: boolean): SnapshotRecord;
  /** Every id in the collection, deleted documents (tombstones) included. Synchronous. */
  listIds(collection: string): string[];
}

export interface QueryResult {
  snapshots: SnapshotRecord[];
  /** `$count` results and `$aggregate` output. */
  extra?: unknown;
}

/** The `this` that sharedb-mingo-memory's prototype methods read: MemoryDB's `docs` and reader. */
interface MingoThis {
  readonly docs: Record<string, Record<string, true> | undefined>;
  _getSnapshotSync(collection: string, id: string, includeMetadata: boolean): SnapshotRecord;
}

interface MingoPrototype {
  _querySync(this: MingoThis, snapshots: SnapshotRecord[], query: MongoQuery, options: unknown): QueryResult;
  queryPollDoc(
    this: MingoThis,
    collection: string,
    id: string,
    query: MongoQuery,
    options: unknown,
    callback: PollDocCallback,
  ): void;
  canPollDoc(collection: string, query: MongoQuery): boolean;
}

let mingoPrototype: MingoPrototype | undefined;

/** Loaded on first use: requiring sharedb-mingo-memory registers every mingo operator globally. */
function loadMingoPrototype(): MingoPrototype {
  if (!mingoPrototype) {
    const require = createRequire(import.meta.url);
    const ShareDBMingo = require('sharedb-mingo-memory') as { prototype: MingoPrototype };
    mingoPrototype = ShareDBMingo.prototype;
  }
  return mingoPrototype;
}

/**
 * Queries with exactly the semantics of sharedb-mingo-memory (the reference in-memory adapter with
 * sharedb-mongo's query dialect): its own code runs, against snapshots read from our store. It
 * matches `{_type: null}` tombstones the same way (excluded unless the query asks for `_type`),
 * and handles `$sort`, `$skip`, `$limit`, `$count` and `$aggregate` (with `$lookup`).
 */
export class MingoQueryEngine {
  private readonly mingoThis: MingoThis;

  constructor(source: SnapshotSource) {
    const docs = new Proxy({} as Record<string, Record<string, true> | undefined>, {
      get(_target, collection) {
        if (typeof collection !== 'string') return undefined;
        const ids: Record<string, true> = Object.create(null);
        for (const id of source.listIds(collection)) ids[id] = true;
        return ids;
      },
    });
    this.mingoThis = {
      docs,
      _getSnapshotSync: (collection, id, includeMetadata) => source.readSnapshot(collection, id, includeMetadata),
    };
  }

  /** Filters, sorts, pages or counts `snapshots` (which must carry their metadata). Throws on a bad query. */
  run(snapshots: SnapshotRecord[], query: MongoQuery): QueryResult {
    return loadMingoPrototype()._querySync.call(this.mingoThis, snapshots, query, null);
  }

  /** Whether one document matches a query; calls back asynchronously, errors included. */
  queryPollDoc(collection: string, id: string, query: MongoQuery, options: unknown, callback: PollDocCallback): void {
    loadMingoPrototype().queryPollDoc.call(this.mingoThis, collection, id, query, options, callback);
  }

  /** False for queries whose result depends on other documents (`$sort`, `$limit`, `$count`...). */
  canPollDoc(collection: string, query: MongoQuery): boolean {
    return loadMingoPrototype().canPollDoc(collection, query);
  }
}
