import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  migrate,
  openDatabase,
  readSchemaVersion,
  SCHEMA_VERSION,
  SchemaTooNewError,
  SqliteDb,
  type Migration,
} from '../../../server/dist/storage/index.js';
import { useTempDir } from './temp-dir.js';

describe('SQLite schema migrations', () => {
  const dir = useTempDir();

  it('creates the schema in a new file, and applies nothing when reopened', () => {
    const filename = join(dir.path, 'a.sqlite');
    const first = openDatabase(filename);
    expect(first.migration).toEqual({ from: 0, to: SCHEMA_VERSION, applied: Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1) });
    first.database.close();

    const second = openDatabase(filename);
    expect(second.migration).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION, applied: [] });
    expect(readSchemaVersion(second.database)).toBe(SCHEMA_VERSION);
    second.database.close();
  });

  it('refuses a database written by a newer version, with a message that says so', () => {
    const filename = join(dir.path, 'future.sqlite');
    openDatabase(filename).database.close();
    const raw = new Database(filename);
    raw.prepare('UPDATE schema_version SET version = ?').run(SCHEMA_VERSION + 41);
    raw.close();

    expect(() => new SqliteDb({ filename })).toThrow(SchemaTooNewError);
    expect(() => openDatabase(filename)).toThrow(
      new RegExp(`schema version ${SCHEMA_VERSION + 41}, but this build of Concord knows versions up to ${SCHEMA_VERSION}`),
    );
  });

  it('applies pending migrations in order, and rolls all of them back when one fails', () => {
    const db = new Database(join(dir.path, 'custom.sqlite'));
    const order: number[] = [];
    const step = (version: number, sql: string): Migration => ({
      version,
      description: `step ${version}`,
      up: (handle) => {
        order.push(version);
        handle.exec(sql);
      },
    });
    const one = step(1, 'CREATE TABLE t1 (x)');
    const two = step(2, 'CREATE TABLE t2 (x)');
    const broken = step(3, 'CREATE TABLE t3 (x); THIS IS NOT SQL');

    expect(migrate(db, [one]).applied).toEqual([1]);
    expect(() => migrate(db, [one, two, broken])).toThrow();
    expect(readSchemaVersion(db)).toBe(1);
    const tables = db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all();
    expect(tables).not.toContain('t2');
    expect(tables).not.toContain('t3');

    expect(migrate(db, [one, two]).applied).toEqual([2]);
    expect(order).toEqual([1, 2, 3, 2]);
    db.close();
  });

  it('rejects a migration list with a gap', () => {
    const db = new Database(':memory:');
    expect(() => migrate(db, [{ version: 2, description: 'gap', up: () => {} }])).toThrow(/expected 1/);
    db.close();
  });
});
