export { createCollabServer } from './collab-server.js';
export type { CollabServer, CollabServerOptions, TransportLimits } from './collab-server.js';
export { loadConfig, ConfigError } from './config.js';
export type { Config } from './config.js';
export { Engine } from './engine/engine.js';
export { DocService } from './engine/doc-service.js';
export { Retention, parseRetention } from './engine/retention.js';
export type { RetentionOptions, RetentionPolicies, RetentionPolicy, SweepResult } from './engine/retention.js';
export type * from './engine/policies.js';
export type { Principal, Session } from './engine/principal.js';
export { ANONYMOUS } from './engine/principal.js';
export { createJwtAuthenticator } from './policy/jwt-authenticator.js';
export type { Storage, StorageKind } from './storage/storage.js';
export { createSqliteStorage, type SqliteStorageOptions } from './storage/sqlite/create-sqlite-storage.js';
export { createMemoryStorage } from './storage/memory.js';
export { createMongoStorage, type MongoStorageOptions } from './storage/mongo.js';
export { createRedisPubSub, type RedisPubSubOptions } from './pubsub/redis.js';
export type { PubSubAdapter } from './pubsub/pubsub.js';
export { createMemoryPubSub } from './pubsub/memory.js';
export { createLogger } from './observability/logger.js';
export { startServer, type RunningServer } from './standalone.js';
export { RuleAuthorizer, DEVELOPMENT_RULES, AUTHENTICATED_RULES, type QueryScopedAuthorizer } from './policy/authorize/rule-authorizer.js';
export {
  NO_RULES, parseAccessRules, OWNER_ACTIONS, ROLE_ACTIONS,
  type AccessRules, type CollectionRules, type OwnerAction, type RoleAction,
} from './policy/authorize/access-rules.js';
export {
  MemoryAccessStore, SqliteAccessStore, MongoAccessStore,
  type AccessStore, type DocumentAccess, type Grant, type GrantAccess,
} from './storage/access/index.js';
export { createValidator, type ValidatorOptions } from './policy/validate/create-validator.js';
