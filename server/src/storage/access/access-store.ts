/**
 * Who may reach one document beyond the collection rules: its owner (the principal that created it) and the
 * grants its owner (or an admin) gave over the `acl` routes. Kept behind the storage, so that every process
 * sharing a store sees the same owners and grants. One implementation per storage: SQLite, memory, MongoDB, all
 * held to the same contract test.
 */

/** What a grant allows: `write` implies `read` and `presence`. */
export type GrantAccess = 'read' | 'write';

/** One grant: to a user (`sub`) or to everyone holding a role (`role`; `"*"` is every principal). */
export type Grant =
  | { readonly sub: string; readonly access: GrantAccess }
  | { readonly role: string; readonly access: GrantAccess };

export interface DocumentAccess {
  /** The `sub` of the creator; null for a document created before owners were recorded. */
  readonly owner: string | null;
  readonly grants: readonly Grant[];
}

export const NO_ACCESS_RECORD: DocumentAccess = Object.freeze({ owner: null, grants: Object.freeze([]) });

export interface AccessStore {
  /** The owner and grants of a document; `NO_ACCESS_RECORD` when nothing is recorded. */
  get(collection: string, id: string): Promise<DocumentAccess>;
  /** A document was created (or created again after a delete): `owner` owns it and it has no grants. */
  recordCreated(collection: string, id: string, owner: string): Promise<void>;
  /** Replaces the grant list (an empty list clears it); keeps the owner. */
  setGrants(collection: string, id: string, grants: readonly Grant[]): Promise<void>;
  /** Forgets the document's owner and grants (purge). */
  remove(collection: string, id: string): Promise<void>;
  /** Ids in the collection owned by `sub`. */
  idsOwnedBy(collection: string, sub: string): Promise<string[]>;
  /** Ids in the collection with a grant to `sub`, to one of `roles`, or to role `"*"`. */
  idsGrantedTo(collection: string, sub: string, roles: readonly string[]): Promise<string[]>;
}

/** `grant` as stored and answered: exactly `{sub, access}` or `{role, access}`. */
export function normalizeGrant(grant: Grant): Grant {
  return 'sub' in grant ? { sub: grant.sub, access: grant.access } : { role: grant.role, access: grant.access };
}

/** Grants in a stable order (users before roles, then by name), without duplicates (the last one wins). */
export function canonicalGrants(grants: readonly Grant[]): Grant[] {
  const byKey = new Map<string, Grant>();
  for (const grant of grants) byKey.set(grantKey(grant), normalizeGrant(grant));
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, grant]) => grant);
}

function grantKey(grant: Grant): string {
  return 'sub' in grant ? `sub\u0000${grant.sub}` : `role\u0000${grant.role}`;
}
