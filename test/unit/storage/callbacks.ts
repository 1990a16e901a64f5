/** Promise wrappers over the callback API of ShareDB adapters, for tests. */
import type { OpRecord, SnapshotRecord, SnapshotToCommit } from '../../../server/dist/storage/index.js';

interface CallbackDb {
  commit(
    collection: string,
    id: string,
    op: OpRecord,
    snapshot: SnapshotToCommit,
    options: unknown,
    callback: (error?: Error, succeeded?: boolean) => void,
  ): void;
  getSnapshot(
    collection: string,
    id: string,
    fields: null,
    options: { metadata?: boolean } | null,
    callback: (error?: Error, snapshot?: SnapshotRecord) => void,
  ): void;
  getOps(
    collection: string,
    id: string,
    from: number | null,
    to: number | null,
    options: { metadata?: boolean } | null,
    callback: (error?: Error, ops?: OpRecord[]) => void,
  ): void;
}

function settle<T>(resolve: (value: T) => void, reject: (error: Error) => void) {
  return (error?: Error, value?: T): void => (error ? reject(error) : resolve(value as T));
}

export function commit(db: CallbackDb, collection: string, id: string, op: OpRecord, snapshot: SnapshotToCommit) {
  return new Promise<boolean>((resolve, reject) => db.commit(collection, id, op, snapshot, null, settle(resolve, reject)));
}

export function getSnapshot(db: CallbackDb, collection: string, id: string, metadata = false) {
  return new Promise<SnapshotRecord>((resolve, reject) =>
    db.getSnapshot(collection, id, null, { metadata }, settle(resolve, reject)),
  );
}

export function getOps(db: CallbackDb, collection: string, id: string, from: number | null = 0, to: number | null = null) {
  return new Promise<OpRecord[]>((resolve, reject) => db.getOps(collection, id, from, to, null, settle(resolve, reject)));
}

/** The op and snapshot of creating `id` with `data`. */
export function createOp(data: Record<string, unknown>, src = 'test', seq = 1): [OpRecord, SnapshotToCommit] {
  return [
    { v: 0, src, seq, create: { type: 'http://sharejs.org/types/JSONv0', data } },
    { v: 1, type: 'http://sharejs.org/types/JSONv0', data, m: { ctime: 1, mtime: 1 } },
  ];
}
