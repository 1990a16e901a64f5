/** The `retention` key of CONFIG_FILE: accepted shapes, and errors naming CONFIG_FILE and the key. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseRetention } from '@concord/server';

describe('retention in CONFIG_FILE', () => {
  it('reads per-collection keepVersions and maxAgeDays', () => {
    const dir = mkdtempSync(join(tmpdir(), 'concord-retention-'));
    try {
      const path = join(dir, 'concord.json');
      writeFileSync(path, JSON.stringify({ retention: { notes: { keepVersions: 1000 }, chat: { maxAgeDays: 30, keepVersions: 50 } } }));
      expect(loadConfig({ CONFIG_FILE: path }).retention).toEqual({
        notes: { keepVersions: 1000 }, chat: { maxAgeDays: 30, keepVersions: 50 },
      });
      writeFileSync(path, JSON.stringify({ retention: { notes: { keepVersions: 0 } } }));
      expect(() => loadConfig({ CONFIG_FILE: path })).toThrow(ConfigError);
      expect(() => loadConfig({ CONFIG_FILE: path })).toThrow(`CONFIG_FILE ${path}: "retention.notes.keepVersions" must be an integer of at least 1`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [[], '"retention" must be an object'],
    [{ notes: 5 }, '"retention.notes" must be an object'],
    [{ notes: {} }, '"retention.notes" needs keepVersions or maxAgeDays'],
    [{ notes: { keepVersions: 1.5 } }, '"retention.notes.keepVersions" must be an integer of at least 1'],
    [{ notes: { maxAgeDays: -1 } }, '"retention.notes.maxAgeDays" must be a number greater than 0'],
    [{ notes: { keepVersions: 5, keep: 1 } }, '"retention.notes" has unknown keys keep'],
    [{ 'bad name': { keepVersions: 5 } }, '"retention.bad name": collection names'],
  ])('refuses %j', (value, message) => {
    const problems: string[] = [];
    parseRetention(value, 'CONFIG_FILE x.json', problems);
    expect(problems.join('\n')).toContain(`CONFIG_FILE x.json: ${message}`);
  });
});
