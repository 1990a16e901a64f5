import { canonicalGrants, NO_ACCESS_RECORD, type AccessStore, type DocumentAccess, type Grant } from './access-store.js';

/** Owners and grants in this process's memory, lost on exit: the memory storage's access store. */
export class MemoryAccessStore implements AccessStore {
  private readonly records = new Map<string, Map<string, DocumentAccess>>();

  get(collection: string, id: string): Promise<DocumentAccess> {
    return Promise.resolve(this.records.get(collection)?.get(id) ?? NO_ACCESS_RECORD);
  }

  recordCreated(collection: string, id: string, owner: string): Promise<void> {
    this.collection(collection).set(id, { owner, grants: [] });
    return Promise.resolve();
  }

  setGrants(collection: string, id: string, grants: readonly Grant[]): Promise<void> {
    const records = this.collection(collection);
    records.set(id, { owner: records.get(id)?.owner ?? null, grants: canonicalGrants(grants) });
    return Promise.resolve();
  }

  remove(collection: string, id: string): Promise<void> {
    this.records.get(collection)?.delete(id);
    return Promise.resolve();
  }

  idsOwnedBy(collection: string, sub: string): Promise<string[]> {
    return Promise.resolve(this.matching(collection, (record) => record.owner === sub));
  }

  idsGrantedTo(collection: string, sub: string, roles: readonly string[]): Promise<string[]> {
    const matches = (grant: Grant): boolean => ('sub' in grant ? grant.sub === sub : grant.role === '*' || roles.includes(grant.role));
    return Promise.resolve(this.matching(collection, (record) => record.grants.some(matches)));
  }

  private collection(collection: string): Map<string, DocumentAccess> {
    let records = this.records.get(collection);
    if (!records) this.records.set(collection, (records = new Map()));
    return records;
  }

  private matching(collection: string, test: (record: DocumentAccess) => boolean): string[] {
    const ids: string[] = [];
    for (const [id, record] of this.records.get(collection) ?? []) if (test(record)) ids.push(id);
    return ids.sort();
  }
}
