export {
  canonicalGrants, NO_ACCESS_RECORD,
  type AccessStore, type DocumentAccess, type Grant, type GrantAccess,
} from './access-store.js';
export { MemoryAccessStore } from './memory-access-store.js';
export { SqliteAccessStore } from './sqlite-access-store.js';
export { MongoAccessStore, MONGO_ACCESS_COLLECTION } from './mongo-access-store.js';
