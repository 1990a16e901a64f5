export type { Storage, StorageKind } from './storage.js';
export type { HistoryStore } from './history-store.js';
export { MemoryHistoryStore } from './memory-history-store.js';
export { MongoHistoryStore } from './mongo-history-store.js';
export { SqliteHistoryStore } from './sqlite/sqlite-history-store.js';
export type {
  MongoQuery,
  OpRecord,
  SnapshotMeta,
  SnapshotRecord,
  SnapshotToCommit,
} from './sharedb-records.js';
export { createMemoryStorage, type MemoryStorage, type MemoryStorageOptions } from './memory.js';
export {
  createMongoStorage,
  MONGO_WRITE_CONCERN,
  redactUrl,
  type MongoStorage,
  type MongoStorageOptions,
} from './mongo.js';
export { MingoQueryEngine, type QueryResult, type SnapshotSource } from './mingo-query-engine.js';
export { backupSqlite, type BackupResult } from './sqlite/backup.js';
export {
  createSqliteStorage,
  SQLITE_FILENAME,
  type SqliteStorage,
  type SqliteStorageOptions,
} from './sqlite/create-sqlite-storage.js';
export { openDatabase, type Durability, type OpenDatabaseOptions, type OpenedDatabase } from './sqlite/open-database.js';
export { ProcessRegistry, type ProcessRegistryOptions, type SharingProcess } from './sqlite/process-registry.js';
export { migrate, MIGRATIONS, readSchemaVersion, SCHEMA_VERSION, type Migration, type MigrationResult } from './sqlite/schema.js';
export { SchemaTooNewError } from './sqlite/schema-too-new-error.js';
export { SqliteDb, type SqliteDbOptions } from './sqlite/sqlite-db.js';
export { SqliteMilestoneDb, type SqliteMilestoneDbOptions } from './sqlite/sqlite-milestone-db.js';
