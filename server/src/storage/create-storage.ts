import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from './storage.js';
import { createSqliteStorage } from './sqlite/create-sqlite-storage.js';
import { createMemoryStorage } from './memory.js';
import { createMongoStorage } from './mongo.js';

/** The storage the configuration names; rejects with a message naming the store when it cannot be opened. */
export function createStorage(config: Config, logger: Logger): Storage {
  switch (config.storage) {
    case 'memory':
      return createMemoryStorage({ milestoneInterval: config.milestoneInterval });
    case 'mongo': {
      const storage = createMongoStorage({ url: config.mongoUrl ?? '', milestoneInterval: config.milestoneInterval });
      // Served anyway: /readyz answers 503 naming storage until MongoDB answers, and the driver keeps trying.
      storage.ping().then(
        () => logger.info('MongoDB answers'),
        (err: Error) => logger.error(`storage: ${err.message}; /readyz reports storage down until it answers`));
      return storage;
    }
    case 'sqlite':
      return createSqliteStorage({
        dataDir: config.dataDir,
        durability: config.durability,
        milestoneInterval: config.milestoneInterval,
        warn: (message) => logger.warn(message),
        onSharedWithOtherProcess: (others) => {
          if (config.redisUrl) return;
          logger.warn({ pids: others.map((o) => o.pid) }, `another process has ${config.dataDir} open and REDIS_URL is not ` +
            'set: clients of different processes will not see each other\'s edits live; set REDIS_URL');
        },
      });
  }
}
