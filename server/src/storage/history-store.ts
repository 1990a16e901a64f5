/**
 * Op-log maintenance beyond ShareDB's adapter interface: what op-log retention and purge need. Every storage
 * implements it on its own tables / collections (SQLite `ops` and `milestones`, MemoryDB's op arrays and
 * MemoryMilestoneDB's lists, sharedb-mongo's `o_COLLECTION` and sharedb-milestone-mongo's `m_COLLECTION`).
 *
 * Versions: an op "at v" turns version v into v + 1; a milestone "at v" is the snapshot at version v.
 */
export interface HistoryStore {
  /** Ids of the collection's documents, deleted ones included (retention sweeps walk them). */
  listIds(collection: string): Promise<string[]>;
  /** Version of the oldest op still stored, or undefined when the document has none. */
  oldestOpVersion(collection: string, id: string): Promise<number | undefined>;
  /**
   * Version of the oldest stored op committed at or after `ts` (its `m.ts`, epoch ms), or undefined when every
   * stored op is older. Scans from the oldest op and stops at the first one that is recent enough.
   */
  firstOpVersionSince(collection: string, id: string, ts: number): Promise<number | undefined>;
  /** Deletes the ops at versions below `before`; resolves with how many were deleted. */
  pruneOps(collection: string, id: string, before: number): Promise<number>;
  /** Versions of the document's milestones, ascending. */
  milestoneVersions(collection: string, id: string): Promise<number[]>;
  /**
   * Purge: deletes every op below `tombstone` and every milestone at or below it, and removes from the op at
   * `tombstone` (the delete that ended the document) the data ShareDB keeps in a delete (`m.data`). That op and the
   * snapshot row (type null, the version counter) stay: they are the
   * tombstone that keeps a stale client's ops off a later document with the same id.
   */
  purge(collection: string, id: string, tombstone: number): Promise<void>;
}
