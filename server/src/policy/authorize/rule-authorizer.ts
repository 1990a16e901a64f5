/**
 * The rule-based Authorizer: role rules per collection (access-rules.ts), owner rules, per-document grants and
 * the `admin` role, deny by default. A decision, in order:
 *   1. role `admin` may do everything;
 *   2. a role rule of the collection (or of `"*"`) lists one of the principal's roles, or `"*"`;
 *   3. for one document: its owner may do what the collection's `owner` rule lists;
 *   4. for one document: a grant to the principal's `sub`, one of its roles or role `"*"` allows `read`
 *      (`read` grants) or `read`, `write` and `presence` (`write` grants);
 *   5. anything else is denied.
 */
import type { AccessRequest, Action, Authorizer } from '../../engine/policies.js';
import type { Principal } from '../../engine/principal.js';
import type { AccessStore, Grant } from '../../storage/access/access-store.js';
import { isRoleAction, ownerActions, rolesFor, type AccessRules } from './access-rules.js';

/** An Authorizer that can also list what a principal may read, so that queries leave the rest out. */
export interface QueryScopedAuthorizer extends Authorizer {
  /**
   * The ids in `collection` the principal may read, or undefined when it may read every document there. The
   * engine restricts the principal's queries to these ids.
   */
  readableIds(principal: Principal, collection: string): Promise<readonly string[] | undefined>;
}

const GRANTED: Record<Grant['access'], readonly Action[]> = {
  read: ['read'],
  write: ['read', 'write', 'presence'],
};

export class RuleAuthorizer implements QueryScopedAuthorizer {
  private readonly rules: AccessRules;
  private readonly access: AccessStore | undefined;

  /** Without `access` (a storage that keeps no owners), only role rules and `admin` apply. */
  constructor(rules: AccessRules, access: AccessStore | undefined) {
    this.rules = rules;
    this.access = access;
  }

  /** Decided at once by roles; owners and grants need the access store (a promise). */
  authorize(request: AccessRequest): boolean | Promise<boolean> {
    const { principal, action, collection, id } = request;
    if (principal.roles.includes('admin')) return true;
    if (isRoleAction(action) && hasRole(principal, rolesFor(this.rules, collection, action))) return true;
    if (id === undefined || this.access === undefined || action === 'create' || action === 'admin') return false;
    return this.byAccess(principal, action, collection, id, this.access);
  }

  private async byAccess(principal: Principal, action: Action, collection: string, id: string, access: AccessStore): Promise<boolean> {
    const { owner, grants } = await access.get(collection, id);
    if (owner !== null && owner === principal.sub && ownerActions(this.rules, collection).some((a) => a === action)) return true;
    return grants.some((grant) => grantsTo(grant, principal) && GRANTED[grant.access].includes(action));
  }

  async readableIds(principal: Principal, collection: string): Promise<readonly string[] | undefined> {
    if (principal.roles.includes('admin') || hasRole(principal, rolesFor(this.rules, collection, 'read'))) return undefined;
    if (this.access === undefined) return [];
    const ownerReads = ownerActions(this.rules, collection).includes('read');
    const [owned, granted] = await Promise.all([
      ownerReads ? this.access.idsOwnedBy(collection, principal.sub) : Promise.resolve([]),
      this.access.idsGrantedTo(collection, principal.sub, principal.roles),
    ]);
    return [...new Set([...owned, ...granted])];
  }
}

export function isQueryScoped(authorizer: Authorizer): authorizer is QueryScopedAuthorizer {
  return typeof (authorizer as Partial<QueryScopedAuthorizer>).readableIds === 'function';
}

/**
 * The contract's development behaviour without authentication: everyone (the anonymous principal) may create,
 * read, write, delete and use presence; nobody but `admin` may purge, share or administer.
 */
export const DEVELOPMENT_RULES: AccessRules = Object.freeze({
  collections: Object.freeze({
    '*': Object.freeze({ read: ['*'], create: ['*'], write: ['*'], delete: ['*'], presence: ['*'], owner: [] }),
  }),
});

/**
 * The library's default with authentication but neither `rules` nor `authorizer`: every authenticated principal
 * may create, read, write, delete and use presence; owners may also share and purge. The standalone server never
 * uses it: it always passes rules (from CONFIG_FILE, or none at all: deny by default).
 */
export const AUTHENTICATED_RULES: AccessRules = Object.freeze({
  collections: Object.freeze({
    '*': Object.freeze({ read: ['*'], create: ['*'], write: ['*'], delete: ['*'], presence: ['*'] }),
  }),
});

function hasRole(principal: Principal, roles: readonly string[]): boolean {
  return roles.some((role) => role === '*' || principal.roles.includes(role));
}

function grantsTo(grant: Grant, principal: Principal): boolean {
  return 'sub' in grant ? grant.sub === principal.sub : grant.role === '*' || principal.roles.includes(grant.role);
}
