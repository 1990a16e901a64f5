import type { AccessStore, DocumentAccess, Grant } from '../../storage/access/access-store.js';

/** How long a document's owner and grants are reused before the store is asked again. */
export const DEFAULT_ACCESS_TTL_MS = 2000;
const MAX_ENTRIES = 10_000;

/**
 * An AccessStore that remembers each document's record for `ttlMs`: every op sent to every subscriber is checked,
 * and this keeps that check off the store. Changes made through this object take effect here at once; changes
 * made by another process are seen within `ttlMs`, which bounds how long a revoked grant keeps working.
 */
export class AccessCache implements AccessStore {
  private readonly store: AccessStore;
  private readonly ttlMs: number;
  private readonly entries = new Map<string, { record: Promise<DocumentAccess>; expires: number }>();
  private changes = 0;

  constructor(store: AccessStore, ttlMs = DEFAULT_ACCESS_TTL_MS) {
    this.store = store;
    this.ttlMs = ttlMs;
  }

  get(collection: string, id: string): Promise<DocumentAccess> {
    const key = `${collection}\u0000${id}`;
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expires > now) return hit.record;
    if (this.entries.size >= MAX_ENTRIES) this.evictExpired(now);
    const record = this.store.get(collection, id);
    this.entries.set(key, { record, expires: now + this.ttlMs });
    record.catch(() => this.entries.delete(key)); // a failed read is not remembered
    return record;
  }

  async recordCreated(collection: string, id: string, owner: string): Promise<void> {
    try {
      await this.store.recordCreated(collection, id, owner);
    } finally {
      this.forget(collection, id);
    }
  }

  async setGrants(collection: string, id: string, grants: readonly Grant[]): Promise<void> {
    try {
      await this.store.setGrants(collection, id, grants);
    } finally {
      this.forget(collection, id);
    }
  }

  async remove(collection: string, id: string): Promise<void> {
    try {
      await this.store.remove(collection, id);
    } finally {
      this.forget(collection, id);
    }
  }

  idsOwnedBy(collection: string, sub: string): Promise<string[]> {
    return this.store.idsOwnedBy(collection, sub);
  }

  idsGrantedTo(collection: string, sub: string, roles: readonly string[]): Promise<string[]> {
    return this.store.idsGrantedTo(collection, sub, roles);
  }

  /** Counts the changes made through this object; decisions remembered elsewhere are stale once it moves. */
  get generation(): number {
    return this.changes;
  }

  /** Drops one document's record, so the next check reads the store. */
  forget(collection: string, id: string): void {
    this.changes++;
    this.entries.delete(`${collection}\u0000${id}`);
  }

  private evictExpired(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expires <= now) this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
  }
}
