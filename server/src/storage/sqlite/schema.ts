import type Database from 'better-sqlite3';
import { SchemaTooNewError } from './schema-too-new-error.js';

/**
 * The SQLite schema, as an ordered list of forward migrations. A migration is never edited once
 * released: a change is a new entry at the end. `migrate()` runs at every open, inside one
 * `BEGIN IMMEDIATE` transaction so that two processes opening the same file at once apply each
 * migration exactly once.
 */
export interface Migration {
  /** The schema version after this migration; versions are 1, 2, 3... without gaps. */
  readonly version: number;
  /** One line for logs. */
  readonly description: string;
  readonly up: (db: Database.Database) => void;
}

export interface MigrationResult {
  /** Schema version found when the file was opened (0 for a new file). */
  readonly from: number;
  /** Schema version now. */
  readonly to: number;
  /** Versions applied by this call, in order; empty when the file was up to date. */
  readonly applied: readonly number[];
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'snapshots, ops, milestones and processes',
    up(db) {
      db.exec(`
        -- One row per document ever created. A deleted document keeps its row (type and data NULL)
        -- so that its version, and its ctime/mtime metadata, survive until it is created again.
        CREATE TABLE snapshots (
          collection TEXT NOT NULL,
          id TEXT NOT NULL,
          type TEXT,
          v INTEGER NOT NULL,
          data TEXT,
          m TEXT,
          PRIMARY KEY (collection, id)
        );
        -- The op log: the whole op as JSON (src, seq, m, op/create/del); src and seq are copied
        -- into columns for getCommittedOpVersion (migration 3 dropped their index).
        CREATE TABLE ops (
          collection TEXT NOT NULL,
          id TEXT NOT NULL,
          v INTEGER NOT NULL,
          src TEXT,
          seq INTEGER,
          op TEXT NOT NULL,
          PRIMARY KEY (collection, id, v)
        ) WITHOUT ROWID;
        CREATE INDEX ops_by_src_seq ON ops (collection, id, src, seq);
        CREATE TABLE milestones (
          collection TEXT NOT NULL,
          id TEXT NOT NULL,
          v INTEGER NOT NULL,
          ts INTEGER,
          snapshot TEXT NOT NULL,
          PRIMARY KEY (collection, id, v)
        ) WITHOUT ROWID;
        CREATE INDEX milestones_by_ts ON milestones (collection, id, ts);
        -- Server processes that have the file open, refreshed by a heartbeat.
        CREATE TABLE processes (
          hostname TEXT NOT NULL,
          pid INTEGER NOT NULL,
          started_at INTEGER NOT NULL,
          heartbeat_at INTEGER NOT NULL,
          PRIMARY KEY (hostname, pid)
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 2,
    description: 'document owners and per-document grants',
    up(db) {
      db.exec(`
        -- The owner (creator's sub) of each document created since; NULL owner: grants set on an older document.
        CREATE TABLE doc_owners (
          collection TEXT NOT NULL,
          id TEXT NOT NULL,
          owner TEXT,
          PRIMARY KEY (collection, id)
        ) WITHOUT ROWID;
        CREATE INDEX doc_owners_by_owner ON doc_owners (collection, owner);
        -- Grants over the acl routes: to a user (kind 'sub') or to a role (kind 'role', '*' for everyone).
        CREATE TABLE doc_grants (
          collection TEXT NOT NULL,
          id TEXT NOT NULL,
          kind TEXT NOT NULL CHECK (kind IN ('sub', 'role')),
          name TEXT NOT NULL,
          access TEXT NOT NULL CHECK (access IN ('read', 'write')),
          PRIMARY KEY (collection, id, kind, name)
        ) WITHOUT ROWID;
        CREATE INDEX doc_grants_by_grantee ON doc_grants (collection, kind, name);
      `);
    },
  },
  {
    version: 3,
    description: 'drop ops_by_src_seq (one index page less to write per commit)',
    up(db) {
      // Only getCommittedOpVersion used it, and ShareDB asks that only for a resent create on a snapshot without
      // creation metadata; it now walks the document's ops back from the newest, on the primary key.
      db.exec('DROP INDEX IF EXISTS ops_by_src_seq');
    },
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION: number = MIGRATIONS.length;

/** Brings the database to the newest schema in `migrations`; refuses a database newer than that. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): MigrationResult {
  checkMigrationList(migrations);
  const known = migrations.length;
  const run = db.transaction((): MigrationResult => {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = db.prepare<[], { version: number }>('SELECT version FROM schema_version').get();
    const from = row?.version ?? 0;
    if (from > known) throw new SchemaTooNewError(from, known, db.name);
    const applied: number[] = [];
    for (const migration of migrations.slice(from)) {
      migration.up(db);
      applied.push(migration.version);
    }
    if (!row) db.prepare('INSERT INTO schema_version (version) VALUES (?)').run(known);
    else if (applied.length > 0) db.prepare('UPDATE schema_version SET version = ?').run(known);
    return { from, to: Math.max(from, known), applied };
  });
  return run.immediate();
}

/** Reads the schema version without changing anything; 0 for a file without schema. */
export function readSchemaVersion(db: Database.Database): number {
  const table = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'")
    .get();
  if (!table) return 0;
  return db.prepare<[], { version: number }>('SELECT version FROM schema_version').get()?.version ?? 0;
}

function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`Migration at position ${index} has version ${migration.version}; expected ${index + 1}`);
    }
  });
}
