import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { toError } from '@concord/shared';
import type { Storage } from '../storage.js';
import { openDatabase, type Durability } from './open-database.js';
import { ProcessRegistry, type SharingProcess } from './process-registry.js';
import type { MigrationResult } from './schema.js';
import { SqliteDb } from './sqlite-db.js';
import { SqliteMilestoneDb } from './sqlite-milestone-db.js';
import { SqliteAccessStore } from '../access/sqlite-access-store.js';
import { SqliteHistoryStore } from './sqlite-history-store.js';
import { BackgroundCheckpointer } from './background-checkpointer.js';

/** The file inside `dataDir`. */
export const SQLITE_FILENAME = 'concord.sqlite';

export interface SqliteStorageOptions {
  /** Folder of the store, created if missing; the database is `<dataDir>/concord.sqlite`. */
  readonly dataDir: string;
  /** `process` (default): an acknowledged op survives a crash of the process; `power`: fsync before ack. */
  readonly durability?: Durability;
  /** Versions between milestone snapshots. Default 100; 0 saves none. */
  readonly milestoneInterval?: number;
  /** How long a write waits for the write lock held by another process. Default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** Heartbeat of the multi-process detection. Default 10000 ms. */
  readonly heartbeatMs?: number;
  /**
   * Called (at open, or on a later heartbeat) when other live processes have the same file open,
   * with all of them. Several processes may share the file safely, but without a shared pub/sub
   * (Redis) their clients do not see each other's edits live: warn in that case.
   */
  readonly onSharedWithOtherProcess?: (others: readonly SharingProcess[]) => void;
  /** Non-fatal problems, such as a heartbeat that could not be written. Default: none reported. */
  readonly warn?: (message: string) => void;
}

export interface SqliteStorage extends Storage {
  readonly kind: 'sqlite';
  readonly db: SqliteDb;
  readonly milestoneDb: SqliteMilestoneDb;
  /** Absolute path of the database file. */
  readonly filename: string;
  /** What opening did to the schema. */
  readonly migration: MigrationResult;
  /** Other live processes with the file open, as of now. */
  otherProcesses(): SharingProcess[];
}

/**
 * The embedded store: one SQLite file holding snapshots, ops and milestones, opened through one
 * handle shared by the DB and the milestone DB. Synchronous; throws when the folder cannot be
 * created, the file cannot be opened, or its schema is newer than this build (`SchemaTooNewError`).
 */
export function createSqliteStorage(options: SqliteStorageOptions): SqliteStorage {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const filename = join(dataDir, SQLITE_FILENAME);
  const { database, migration } = openDatabase(filename, options);
  let registry: ProcessRegistry;
  let db: SqliteDb;
  let milestoneDb: SqliteMilestoneDb;
  let access: SqliteAccessStore;
  let checkpointer: BackgroundCheckpointer;
  try {
    db = new SqliteDb({ database });
    milestoneDb = new SqliteMilestoneDb({ database, interval: options.milestoneInterval ?? 100 });
    access = new SqliteAccessStore(database);
    registry = new ProcessRegistry(database, options);
    registry.start();
    checkpointer = new BackgroundCheckpointer({
      filename, database, durability: options.durability ?? 'process', ...(options.warn ? { warn: options.warn } : {}),
    });
  } catch (error) {
    database.close();
    throw error;
  }
  const probe = database.prepare('SELECT version FROM schema_version');
  let closing: Promise<void> | undefined;

  return {
    kind: 'sqlite',
    db,
    milestoneDb,
    access,
    history: new SqliteHistoryStore(database, (collection, id) => db.forget(collection, id)),
    filename,
    migration,
    otherProcesses: () => registry.check(),
    ping: async () => {
      if (!database.open) throw new Error(`SQLite store ${filename} is closed`);
      probe.get();
    },
    close: () => {
      closing ??= checkpointer.stop().then(() => new Promise<void>((resolveClose, rejectClose) => {
        registry.stop();
        db.close();
        milestoneDb.close();
        try {
          database.close();
          resolveClose();
        } catch (error) {
          rejectClose(toError(error));
        }
      }));
      return closing;
    },
  };
}
