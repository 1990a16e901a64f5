import Database from 'better-sqlite3';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { readSchemaVersion } from './schema.js';

const ALL_PAGES = 0x7fffffff;

export interface BackupResult {
  /** The finished copy. */
  readonly destPath: string;
  /** Pages copied (SQLite pages of 4 KiB by default). */
  readonly pages: number;
  /** Schema version of the copy. */
  readonly schemaVersion: number;
}

/**
 * Copies a live Concord SQLite file with SQLite's online backup API: servers may keep reading and
 * writing meanwhile, and the copy is a consistent snapshot, including commits still in the WAL.
 * The copy is written next to `destPath`, switched to a single-file journal mode, checked with
 * `PRAGMA quick_check`, then renamed into place, so `destPath` never holds a partial copy.
 * Refuses to overwrite an existing `destPath`.
 *
 * Restore: stop the server, copy the backup over `<dataDir>/concord.sqlite` (removing any
 * `concord.sqlite-wal` and `concord.sqlite-shm` beside it), start the server.
 */
export async function backupSqlite(dbPath: string, destPath: string): Promise<BackupResult> {
  if (!existsSync(dbPath)) throw new Error(`No database at ${dbPath}`);
  if (existsSync(destPath)) throw new Error(`${destPath} already exists; choose a new file name`);
  const partial = `${destPath}.partial`;
  rmSync(partial, { force: true });
  try {
    const source = new Database(dbPath, { fileMustExist: true, timeout: 5000 });
    let pages: number;
    try {
      // All remaining pages in one step: copied step by step, every write by the server in between
      // would restart the copy, and a busy server could keep it from ever finishing. In WAL mode
      // the one long read does not block the server's writes.
      pages = (await source.backup(partial, { progress: () => ALL_PAGES })).totalPages;
    } finally {
      source.close();
    }
    const schemaVersion = finishCopy(partial);
    renameSync(partial, destPath);
    return { destPath, pages, schemaVersion };
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

/** Makes the copy self-contained (no -wal file needed) and verifies it; returns its schema version. */
function finishCopy(path: string): number {
  const copy = new Database(path, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new Error(`The backup copy failed its integrity check: ${String(check)}`);
    return readSchemaVersion(copy);
  } finally {
    copy.close();
  }
}
