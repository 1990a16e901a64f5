import type Database from 'better-sqlite3';
import { canonicalGrants, NO_ACCESS_RECORD, type AccessStore, type DocumentAccess, type Grant } from './access-store.js';

interface GrantRow {
  kind: 'sub' | 'role';
  name: string;
  access: 'read' | 'write';
}

/**
 * Owners and grants in the SQLite file (tables `doc_owners` and `doc_grants`, schema migration 2), so every
 * process sharing the file sees the same ones. Statements run synchronously on the storage's handle; the
 * promise-returning methods only keep the AccessStore interface the same for every storage.
 */
export class SqliteAccessStore implements AccessStore {
  private readonly statements;
  private readonly replaceGrants: (collection: string, id: string, grants: readonly Grant[]) => void;
  private readonly created: (collection: string, id: string, owner: string) => void;
  private readonly removed: (collection: string, id: string) => void;

  constructor(database: Database.Database) {
    const s = {
      owner: database.prepare<[string, string], { owner: string | null }>('SELECT owner FROM doc_owners WHERE collection = ? AND id = ?'),
      grants: database.prepare<[string, string], GrantRow>('SELECT kind, name, access FROM doc_grants WHERE collection = ? AND id = ? ORDER BY kind DESC, name'),
      upsertOwner: database.prepare('INSERT INTO doc_owners (collection, id, owner) VALUES (?, ?, ?) ON CONFLICT (collection, id) DO UPDATE SET owner = excluded.owner'),
      keepOwner: database.prepare('INSERT INTO doc_owners (collection, id, owner) VALUES (?, ?, NULL) ON CONFLICT (collection, id) DO NOTHING'),
      deleteOwner: database.prepare('DELETE FROM doc_owners WHERE collection = ? AND id = ?'),
      deleteGrants: database.prepare('DELETE FROM doc_grants WHERE collection = ? AND id = ?'),
      insertGrant: database.prepare('INSERT INTO doc_grants (collection, id, kind, name, access) VALUES (?, ?, ?, ?, ?)'),
      owned: database.prepare<[string, string], { id: string }>('SELECT id FROM doc_owners WHERE collection = ? AND owner = ? ORDER BY id'),
      grantedToSub: database.prepare<[string, string], { id: string }>("SELECT DISTINCT id FROM doc_grants WHERE collection = ? AND kind = 'sub' AND name = ?"),
      grantedToRoles: database.prepare<[string, string], { id: string }>("SELECT DISTINCT id FROM doc_grants WHERE collection = ? AND kind = 'role' AND name IN (SELECT value FROM json_each(?))"),
    };
    this.statements = s;
    // Each change is one transaction, so another process never sees an owner without its (cleared) grants.
    this.created = database.transaction((collection: string, id: string, owner: string) => {
      s.upsertOwner.run(collection, id, owner);
      s.deleteGrants.run(collection, id);
    });
    this.replaceGrants = database.transaction((collection: string, id: string, grants: readonly Grant[]) => {
      s.keepOwner.run(collection, id);
      s.deleteGrants.run(collection, id);
      for (const grant of canonicalGrants(grants)) {
        const [kind, name] = 'sub' in grant ? ['sub', grant.sub] : ['role', grant.role];
        s.insertGrant.run(collection, id, kind, name, grant.access);
      }
    });
    this.removed = database.transaction((collection: string, id: string) => {
      s.deleteOwner.run(collection, id);
      s.deleteGrants.run(collection, id);
    });
  }

  async get(collection: string, id: string): Promise<DocumentAccess> {
    const row = this.statements.owner.get(collection, id);
    if (!row) return NO_ACCESS_RECORD;
    const grants = this.statements.grants.all(collection, id).map((g): Grant =>
      g.kind === 'sub' ? { sub: g.name, access: g.access } : { role: g.name, access: g.access });
    return { owner: row.owner, grants: canonicalGrants(grants) };
  }

  async recordCreated(collection: string, id: string, owner: string): Promise<void> {
    this.created(collection, id, owner);
  }

  async setGrants(collection: string, id: string, grants: readonly Grant[]): Promise<void> {
    this.replaceGrants(collection, id, grants);
  }

  async remove(collection: string, id: string): Promise<void> {
    this.removed(collection, id);
  }

  async idsOwnedBy(collection: string, sub: string): Promise<string[]> {
    return this.statements.owned.all(collection, sub).map((row) => row.id);
  }

  async idsGrantedTo(collection: string, sub: string, roles: readonly string[]): Promise<string[]> {
    const ids = new Set(this.statements.grantedToSub.all(collection, sub).map((row) => row.id));
    for (const row of this.statements.grantedToRoles.all(collection, JSON.stringify([...roles, '*']))) ids.add(row.id);
    return [...ids].sort();
  }
}
