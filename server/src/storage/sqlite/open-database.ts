import Database from 'better-sqlite3';
import { migrate, type MigrationResult } from './schema.js';

/**
 * What an acknowledged commit survives.
 * - `process`: a crash or `kill -9` of the server process (WAL with `synchronous=NORMAL`: the commit
 *   is in the OS page cache when it is acknowledged; a power loss may drop the last commits).
 * - `power`: a power loss or kernel crash too (`synchronous=FULL`: fsync before the commit returns).
 */
export type Durability = 'process' | 'power';

export interface OpenDatabaseOptions {
  /** Default `process`. */
  readonly durability?: Durability;
  /**
   * How long a write waits for another connection (or process) holding the write lock before it
   * fails with SQLITE_BUSY. Default 5000 ms. Note that better-sqlite3 waits synchronously.
   */
  readonly busyTimeoutMs?: number;
}

export interface OpenedDatabase {
  readonly database: Database.Database;
  readonly migration: MigrationResult;
}

/**
 * Where an adapter's handle comes from: a file it opens and closes itself, or a handle from `openDatabase()` shared
 * with another adapter (the SQLite store's DB and milestone DB share one), which its owner closes.
 */
export type SqliteHandleOptions =
  | ({ readonly filename: string } & OpenDatabaseOptions)
  | { readonly database: Database.Database };

/** The handle `options` name, and whether the adapter owns (and must close) it. */
export function sqliteHandle(options: SqliteHandleOptions): { database: Database.Database; owned: boolean } {
  if ('filename' in options) return { database: openDatabase(options.filename, options).database, owned: true };
  return { database: options.database, owned: false };
}

const SYNCHRONOUS: Record<Durability, 'NORMAL' | 'FULL'> = { process: 'NORMAL', power: 'FULL' };

/**
 * Opens (creating if needed) a Concord SQLite file: WAL journal so that readers never block the
 * writer and several processes can share the file, a busy timeout so that they queue for the write
 * lock instead of failing, the durability level, and the schema migrated to this build's version.
 * Throws `SchemaTooNewError` for a file written by a newer Concord.
 */
export function openDatabase(filename: string, options: OpenDatabaseOptions = {}): OpenedDatabase {
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  const database = new Database(filename, { timeout: busyTimeoutMs });
  try {
    database.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
    // WAL is a property of the file (it persists); setting it again is a no-op. Without it, readers
    // block the writer and `synchronous=NORMAL` no longer means "survives a process crash".
    const mode = database.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') {
      throw new Error(`${filename}: SQLite could not switch to WAL mode (got ${String(mode)}); use a local file system`);
    }
    database.pragma(`synchronous = ${SYNCHRONOUS[options.durability ?? 'process']}`);
    const migration = migrate(database);
    return { database, migration };
  } catch (error) {
    database.close();
    throw error;
  }
}
