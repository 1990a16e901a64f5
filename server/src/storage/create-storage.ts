import type { Config } from '../config.js';
import type { Logger } from '../observability/logger.js';
import type { Storage } from './storage.js';
import { createSqliteStorage } from './sqlite/create-sqlite-storage.js';
import { createMemoryStorage } from './memory.js';
import { createMongoStorage } from './mongo.js';

/** The storage the configuration names; rejects with a message naming the store when it cannot be opened. */
export async function createStorage(config: Config, logger: Logger): Promise<Storage> {
  switch (config.storage) {
    case 'memory':
      return createMemoryStorage({ milestoneInterval: config.milestoneInterval });
    case 'mongo':
      return await createMongoStorage({ url: config.mongoUrl ?? '', milestoneInterval: config.milestoneInterval });
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
