/**
 * Which Authorizer a CollabServer uses, and the pieces that go with it (the cached access store, the acl logic):
 * - a host app's own `authorizer`: used as given (owners are still recorded; the acl routes ask it for `share`);
 * - `rules`: the RuleAuthorizer over them, deny by default;
 * - neither, `auth: "none"`: DEVELOPMENT_RULES (the contract's anonymous development behaviour);
 * - neither, with authentication: AUTHENTICATED_RULES (every authenticated principal edits; owners share).
 */
import type ShareDB from 'sharedb';
import type { Authorizer } from '../../engine/policies.js';
import type { Storage } from '../../storage/storage.js';
import { AccessCache, DEFAULT_ACCESS_TTL_MS } from './access-cache.js';
import { AclService } from './acl-service.js';
import { parseAccessRules, type AccessRules } from './access-rules.js';
import { AUTHENTICATED_RULES, DEVELOPMENT_RULES, RuleAuthorizer } from './rule-authorizer.js';

export interface AuthorizationOptions {
  readonly authenticated: boolean;
  readonly authorizer?: Authorizer;
  readonly rules?: AccessRules;
  readonly storage: Storage;
  /** How long owners and grants are cached (bounds how long a revoked grant works on other instances). */
  readonly accessTtlMs?: number;
}

export interface Authorization {
  readonly authorizer: Authorizer;
  /** Owners and grants through the cache; undefined when the storage keeps none. */
  readonly access?: AccessCache;
  readonly acl: AclService;
}

export function createAuthorization(options: AuthorizationOptions): Authorization {
  const store = options.storage.access;
  const access = store ? new AccessCache(store, options.accessTtlMs ?? DEFAULT_ACCESS_TTL_MS) : undefined;
  const rules = options.rules ? parseAccessRules(options.rules)
    : options.authenticated ? AUTHENTICATED_RULES : DEVELOPMENT_RULES;
  const authorizer = options.authorizer ?? new RuleAuthorizer(rules, access);
  const acl = new AclService(options.storage.db as ShareDB.DB, authorizer, access);
  return { authorizer, ...(access ? { access } : {}), acl };
}
