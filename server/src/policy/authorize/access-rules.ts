/**
 * The rule format of `CONFIG_FILE`'s `collections` key, and its validation. Example:
 *
 *   {"collections": {
 *     "*":     {"read": ["user"], "create": ["user"], "presence": ["user"]},
 *     "notes": {"write": ["editor"], "delete": ["admin"], "owner": ["read", "write", "presence", "share"]}}}
 *
 * Each collection entry maps an action to the roles allowed it (`"*"`: every principal); an action a collection
 * does not name falls back to the `"*"` entry's, and one neither names is denied. `owner` lists what a document's
 * creator may do with it (default: all of OWNER_ACTIONS).
 */
import { isValidName } from '@concord/shared';
import type { Action } from '../../engine/policies.js';

/** Actions granted by role. */
export const ROLE_ACTIONS = ['read', 'create', 'write', 'delete', 'presence'] as const;
export type RoleAction = (typeof ROLE_ACTIONS)[number];

/** Actions an owner rule may list; share and purge are for owners (and admins) only. */
export const OWNER_ACTIONS = ['read', 'write', 'delete', 'presence', 'share', 'purge'] as const;
export type OwnerAction = (typeof OWNER_ACTIONS)[number];

/**
 * Keys of a collection entry read elsewhere (the JSON Schema by the validator, `quota` by quota.ts); the
 * authorization rules skip them. Any other key is an error, so that a typo never silently denies or allows.
 */
export const OTHER_COLLECTION_KEYS: readonly string[] = ['schema', 'quota'];

export type CollectionRules = Readonly<Partial<Record<RoleAction, readonly string[]>>> & {
  readonly owner?: readonly OwnerAction[];
};

export interface AccessRules {
  /** Per collection name, or `"*"` for the defaults of every collection. */
  readonly collections: Readonly<Record<string, CollectionRules>>;
}

/** No rule at all: with authentication, only owners (of what admins create), grantees and admins get anywhere. */
export const NO_RULES: AccessRules = Object.freeze({ collections: Object.freeze({}) });

/**
 * Reads the `collections` key of a parsed CONFIG_FILE; each problem is pushed naming `source` and the key path.
 * Returns undefined when the key is absent.
 */
export function readAccessRules(file: Record<string, unknown>, source: string, problems: string[]): AccessRules | undefined {
  const value = file['collections'];
  if (value === undefined) return undefined;
  const before = problems.length;
  const report = (path: string, message: string): void => void problems.push(`${source}: ${path} ${message}`);
  if (!isPlainObject(value)) {
    report('collections', 'must be an object of collection name to rules');
    return undefined;
  }
  const collections: Record<string, CollectionRules> = {};
  for (const [name, entry] of Object.entries(value)) {
    const path = `collections.${name}`;
    if (name !== '*' && !isValidName(name)) report(path, 'is not a collection name (1-200 letters, digits, _ - . :) or "*"');
    if (!isPlainObject(entry)) {
      report(path, 'must be an object like {"read": ["user"], "owner": ["read", "write"]}');
      continue;
    }
    if (name === '*' && 'schema' in entry) {
      report(`${path}.schema`, 'is not allowed: a schema applies to the collection it is given for, so name the collection');
    }
    collections[name] = readCollection(entry, path, report);
  }
  return problems.length === before ? { collections } : undefined;
}

/** Validates rules given to the library directly; throws an Error listing every problem. */
export function parseAccessRules(value: unknown): AccessRules {
  const problems: string[] = [];
  const rules = isPlainObject(value) ? readAccessRules(value, 'rules', problems) : undefined;
  if (!isPlainObject(value)) problems.push('rules must be an object {"collections": {...}}');
  if (problems.length > 0 || !rules) throw new Error(`invalid access rules:\n  - ${problems.join('\n  - ') || 'collections is missing'}`);
  return rules;
}

function readCollection(entry: Record<string, unknown>, path: string, report: (path: string, message: string) => void): CollectionRules {
  const rules: Partial<Record<RoleAction, string[]>> & { owner?: OwnerAction[] } = {};
  for (const [key, value] of Object.entries(entry)) {
    if (OTHER_COLLECTION_KEYS.includes(key)) continue;
    if (key === 'owner') {
      if (!Array.isArray(value) || !value.every((a): a is OwnerAction => (OWNER_ACTIONS as readonly unknown[]).includes(a))) {
        report(`${path}.owner`, `must be a list of ${OWNER_ACTIONS.join(', ')}`);
        continue;
      }
      rules.owner = [...new Set(value)];
    } else if ((ROLE_ACTIONS as readonly string[]).includes(key)) {
      if (!Array.isArray(value) || !value.every((r) => typeof r === 'string' && r.length > 0 && r.length <= 200)) {
        report(`${path}.${key}`, 'must be a list of role names (strings; "*" for every principal)');
        continue;
      }
      rules[key as RoleAction] = [...new Set(value as string[])];
    } else {
      report(`${path}.${key}`, `is not a rule: use ${[...ROLE_ACTIONS, 'owner', ...OTHER_COLLECTION_KEYS].join(', ')}`);
    }
  }
  return rules;
}

/** The roles allowed `action` in `collection`: the collection's own rule, else the `"*"` entry's, else none. */
export function rolesFor(rules: AccessRules, collection: string, action: RoleAction): readonly string[] {
  return ownRule(rules, collection)?.[action] ?? rules.collections['*']?.[action] ?? [];
}

/** What an owner may do in `collection` (default: everything in OWNER_ACTIONS). */
export function ownerActions(rules: AccessRules, collection: string): readonly OwnerAction[] {
  return ownRule(rules, collection)?.owner ?? rules.collections['*']?.owner ?? OWNER_ACTIONS;
}

export function isRoleAction(action: Action): action is RoleAction {
  return (ROLE_ACTIONS as readonly string[]).includes(action);
}

function ownRule(rules: AccessRules, collection: string): CollectionRules | undefined {
  return Object.hasOwn(rules.collections, collection) ? rules.collections[collection] : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
