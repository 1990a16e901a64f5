/** The rule format's validation (through loadConfig, naming CONFIG_FILE and the key) and the RuleAuthorizer's decisions. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, MemoryAccessStore, parseAccessRules, RuleAuthorizer, type Action, type Principal } from '@concord/server';

function configFile(content: unknown): string {
  const path = join(mkdtempSync(join(tmpdir(), 'concord-rules-')), 'config.json');
  writeFileSync(path, JSON.stringify(content));
  return path;
}

function problemsOf(content: unknown): string[] {
  try {
    loadConfig({ CONFIG_FILE: configFile(content) });
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error('accepted');
}

describe('CONFIG_FILE collections rules', () => {
  it('are parsed into Config.rules', () => {
    const rules = { collections: { '*': { read: ['user'] }, notes: { write: ['editor'], owner: ['read', 'share'] } } };
    expect(loadConfig({ CONFIG_FILE: configFile(rules) }).rules).toEqual(rules);
  });

  it.each([
    [{ collections: [] }, 'collections must be an object'],
    [{ collections: { notes: { wirte: ['user'] } } }, 'collections.notes.wirte is not a rule'],
    [{ collections: { notes: { read: 'user' } } }, 'collections.notes.read must be a list of role names'],
    [{ collections: { notes: { owner: ['read', 'create'] } } }, 'collections.notes.owner must be a list of read, write'],
    [{ collections: { 'bad name!': { read: [] } } }, 'collections.bad name! is not a collection name'],
    [{ collections: { notes: [] } }, 'collections.notes must be an object'],
    // Retention is a top-level section; here it would be silently ignored.
    [{ collections: { notes: { retention: { keepVersions: 10 } } } }, 'collections.notes.retention is not a rule'],
    [{ collections: { '*': { schema: { type: 'object' } } } }, 'collections.*.schema is not allowed'],
  ])('reject %j naming CONFIG_FILE and the key', (content, message) => {
    const problems = problemsOf(content);
    expect(problems.some((p) => p.startsWith('CONFIG_FILE ') && p.includes(message))).toBe(true);
  });

  it('leave the keys of other sections alone', () => {
    expect(loadConfig({ CONFIG_FILE: configFile({ collections: { notes: { read: ['*'], schema: {}, quota: 5 } } }) }).rules)
      .toEqual({ collections: { notes: { read: ['*'] } } });
  });

  it('throw for the library the same way', () => {
    expect(() => parseAccessRules({ collections: { notes: { delete: [1] } } })).toThrow(/rules: collections.notes.delete/);
  });
});

describe('RuleAuthorizer', () => {
  const rules = parseAccessRules({
    collections: {
      '*': { read: ['user'], create: ['user'], presence: ['user'] },
      notes: { write: ['editor'], delete: ['admin'], owner: ['read', 'write', 'delete', 'share', 'presence'] },
      open: { read: ['*'], write: [] },
    },
  });
  const access = new MemoryAccessStore();
  const authz = new RuleAuthorizer(rules, access);
  const who = (sub: string, ...roles: string[]): Principal => ({ sub, roles });
  const can = async (p: Principal, action: Action, collection: string, id?: string): Promise<boolean> =>
    authz.authorize({ principal: p, action, collection, ...(id ? { id } : {}) });

  it('decides by role, owner, grant and admin, denying the rest', async () => {
    await access.recordCreated('notes', 'n1', 'alice');
    await access.setGrants('notes', 'n1', [{ sub: 'bob', access: 'write' }, { role: 'team', access: 'read' }]);
    expect(await can(who('x', 'user'), 'read', 'notes', 'n1')).toBe(true); // role, via "*"
    expect(await can(who('x', 'user'), 'write', 'notes', 'n1')).toBe(false);
    expect(await can(who('x', 'editor'), 'write', 'notes', 'n1')).toBe(true);
    expect(await can(who('alice'), 'delete', 'notes', 'n1')).toBe(true); // owner
    expect(await can(who('alice'), 'purge', 'notes', 'n1')).toBe(false); // not in this owner rule
    expect(await can(who('bob'), 'write', 'notes', 'n1')).toBe(true); // write grant
    expect(await can(who('bob'), 'presence', 'notes', 'n1')).toBe(true);
    expect(await can(who('bob'), 'delete', 'notes', 'n1')).toBe(false);
    expect(await can(who('carol', 'team'), 'read', 'notes', 'n1')).toBe(true); // read grant to a role
    expect(await can(who('carol', 'team'), 'presence', 'notes', 'n1')).toBe(false);
    expect(await can(who('root', 'admin'), 'purge', 'notes', 'n1')).toBe(true);
    expect(await can(who('x'), 'read', 'open', 'o1')).toBe(true); // "*": every principal
    expect(await can(who('x', 'user'), 'write', 'open', 'o1')).toBe(false); // [] overrides nothing-to-fall-back
    expect(await can(who('x'), 'create', 'other')).toBe(false);
  });

  it('answers at once what roles decide, and with a promise what needs the access store', async () => {
    expect(authz.authorize({ principal: who('x', 'user'), action: 'read', collection: 'notes', id: 'n1' })).toBe(true);
    expect(authz.authorize({ principal: who('x', 'admin'), action: 'purge', collection: 'notes', id: 'n1' })).toBe(true);
    expect(authz.authorize({ principal: who('x'), action: 'create', collection: 'open', id: 'o1' })).toBe(false);
    const byOwner = authz.authorize({ principal: who('alice'), action: 'write', collection: 'notes', id: 'n2' });
    expect(byOwner).toBeInstanceOf(Promise);
    expect(await byOwner).toBe(false);
  });

  it('lists the ids a principal may read, or undefined when it may read them all', async () => {
    await access.recordCreated('notes', 'n2', 'dave');
    expect(await authz.readableIds(who('x', 'user'), 'notes')).toBeUndefined();
    expect([...(await authz.readableIds(who('dave'), 'notes')) ?? []].sort()).toEqual(['n2']);
    expect(await authz.readableIds(who('bob'), 'notes')).toEqual(['n1']);
  });
});
