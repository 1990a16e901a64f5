import type { Db, MongoClient, WriteConcernSettings } from 'mongodb';
import { createRequire } from 'node:module';
import type ShareDB from 'sharedb';
import { errorMessage } from '@concord/shared';
import type { Storage } from './storage.js';
import { MongoAccessStore } from './access/mongo-access-store.js';
import { MongoHistoryStore } from './mongo-history-store.js';

export interface MongoStorageOptions {
  /** Connection string; its path names the database (e.g. `mongodb://db:27017/concord`). */
  readonly url: string;
  /** Versions between milestone snapshots. Default 100; 0 saves none. */
  readonly milestoneInterval?: number;
  /**
   * A client to use instead of creating one from `url`. The caller keeps it: `close()` leaves it
   * open. The write concern is then set on the database handle, not the client.
   */
  readonly client?: MongoClient;
  /** Database name; default the one in `url` (or the client's default). */
  readonly dbName?: string;
  /** How long an operation waits for a reachable server before failing. Default 5000 ms. */
  readonly serverSelectionTimeoutMS?: number;
  /** How long `ping()` waits. Default `serverSelectionTimeoutMS` + 1000 ms. */
  readonly pingTimeoutMs?: number;
}

export interface MongoStorage extends Storage {
  readonly kind: 'mongo';
  readonly client: MongoClient;
}

/**
 * Every write is acknowledged by a majority of the replica set, from its journal: an acknowledged
 * op survives a primary failover and a crash. (`journal` is the driver's name for `j`.)
 */
export const MONGO_WRITE_CONCERN = { w: 'majority', journal: true } as const satisfies WriteConcernSettings;

/** What sharedb-mongo and sharedb-milestone-mongo use of a client: `db()` and `close()`. */
interface ClientFacade {
  db(): Db;
  close(): Promise<void>;
}
type ConnectFunction = (callback: (error: Error | null, client: ClientFacade) => void) => void;
type ShareDbMongoConstructor = new (options: { mongo: ConnectFunction }) => ShareDB.DB;
type MongoMilestoneDbConstructor = new (options: { mongo: ConnectFunction; interval?: number }) => ShareDB.MilestoneDB & {
  interval: number;
};

/**
 * MongoDB through ShareDB's own adapters: sharedb-mongo (snapshots in `COLLECTION`, ops in
 * `o_COLLECTION`) and sharedb-milestone-mongo (`m_COLLECTION`). Both share one client and create
 * their recommended indexes the first time they touch a collection: `{d: 1, v: 1}` and
 * `{src: 1, seq: 1, v: 1}` on op collections, `{d: 1, v: 1}` (unique) and `{'m.mtime': 1}` on
 * milestone collections. Does no I/O itself: call `ping()` at start to fail early when the
 * server is unreachable.
 */
export function createMongoStorage(options: MongoStorageOptions): MongoStorage {
  const serverSelectionTimeoutMS = options.serverSelectionTimeoutMS ?? 5000;
  const ownsClient = options.client === undefined;
  // The driver and the adapters are loaded on first use: a server on SQLite never pays for them (~25 MB, ~0.2 s).
  const require = createRequire(import.meta.url);
  const client = options.client ?? new (require('mongodb') as typeof import('mongodb')).MongoClient(options.url,
    { writeConcern: MONGO_WRITE_CONCERN, serverSelectionTimeoutMS });
  // The adapters close "their" client when closed; they get a facade whose close() does nothing,
  // and this storage closes the real client once, if it created it. The facade is handed over
  // at once (the driver connects on first use), so a failed connection surfaces as errors of
  // operations and of ping() rather than as an unhandled rejection inside an adapter.
  const facade: ClientFacade = {
    db: () => client.db(options.dbName, { writeConcern: MONGO_WRITE_CONCERN }),
    close: async () => {},
  };
  const connect: ConnectFunction = (callback) => callback(null, facade);
  const ShareDbMongo = require('sharedb-mongo') as ShareDbMongoConstructor;
  const MongoMilestoneDb = require('sharedb-milestone-mongo') as MongoMilestoneDbConstructor;
  const db = new ShareDbMongo({ mongo: connect });
  const milestoneDb = new MongoMilestoneDb({ mongo: connect });
  // Set afterwards: the constructor turns a falsy interval into its own default of 1000.
  milestoneDb.interval = options.milestoneInterval ?? 100;
  const pingTimeoutMs = options.pingTimeoutMs ?? serverSelectionTimeoutMS + 1000;
  let closing: Promise<void> | undefined;

  return {
    kind: 'mongo',
    db,
    milestoneDb,
    client,
    access: new MongoAccessStore(facade.db),
    history: new MongoHistoryStore(facade.db),
    ping: () => ping(client, options.url, pingTimeoutMs),
    close: () => {
      closing ??= closeAll(db, milestoneDb, ownsClient ? client : undefined);
      return closing;
    },
  };
}

async function ping(client: MongoClient, url: string, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.db('admin').command({ ping: 1 }), timeout]);
  } catch (error) {
    const reason = errorMessage(error);
    throw new Error(`MongoDB at ${redactUrl(url)} is unreachable: ${reason}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

async function closeAll(db: ShareDB.DB, milestoneDb: ShareDB.MilestoneDB, client?: MongoClient): Promise<void> {
  await new Promise<void>((resolve, reject) => db.close((error?: Error | null) => (error ? reject(error) : resolve())));
  await new Promise<void>((resolve, reject) =>
    milestoneDb.close((error?: Error | null) => (error ? reject(error) : resolve())),
  );
  if (client) await client.close();
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@/]*)@/, '//$1:***@');
}
