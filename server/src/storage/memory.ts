import { createRequire } from 'node:module';
import type ShareDB from 'sharedb';
import type { Storage } from './storage.js';
import { MemoryAccessStore } from './access/memory-access-store.js';
import { MemoryHistoryStore } from './memory-history-store.js';

export interface MemoryStorageOptions {
  /** Versions between milestone snapshots. Default 100; 0 saves none. */
  readonly milestoneInterval?: number;
}

export interface MemoryStorage extends Storage {
  readonly kind: 'memory';
}

type MemoryDbConstructor = new () => ShareDB.DB;
type MemoryMilestoneDbConstructor = new (options: { interval: number }) => ShareDB.MilestoneDB;

/**
 * Everything in this process's memory, lost on exit: for tests and demos. The DB is
 * sharedb-mingo-memory (ShareDB's MemoryDB with sharedb-mongo's query dialect, the same queries as
 * the SQLite and MongoDB stores), the milestones ShareDB's MemoryMilestoneDB.
 */
export function createMemoryStorage(options: MemoryStorageOptions = {}): MemoryStorage {
  const require = createRequire(import.meta.url);
  const ShareDBMingo = require('sharedb-mingo-memory') as MemoryDbConstructor;
  const MemoryMilestoneDB = require('sharedb/lib/milestone-db/memory') as MemoryMilestoneDbConstructor;
  const db = new ShareDBMingo();
  const milestoneDb = new MemoryMilestoneDB({ interval: options.milestoneInterval ?? 100 });
  let closed = false;
  let closing: Promise<void> | undefined;

  return {
    kind: 'memory',
    db,
    milestoneDb,
    access: new MemoryAccessStore(),
    history: new MemoryHistoryStore(db, milestoneDb),
    ping: async () => {
      if (closed) throw new Error('The memory store is closed');
    },
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        closed = true;
        db.close((error?: Error | null) => {
          if (error) return reject(error);
          milestoneDb.close((milestoneError?: Error | null) => (milestoneError ? reject(milestoneError) : resolve()));
        });
      });
      return closing;
    },
  };
}
