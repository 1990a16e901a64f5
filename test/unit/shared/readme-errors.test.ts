import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS } from '@concord/shared';

// The README's error table is the user-facing copy of the catalogue: same codes, statuses and close codes.
describe('README error table', () => {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const rows = new Map<string, string[]>();
  for (const line of readme.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    const code = /^`(ERR_[A-Z_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (code && /^\d{3}$/.test(cells[2] ?? '')) rows.set(code, cells);
  }

  it('lists exactly the catalogue codes', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it.each(Object.entries(ERRORS))('%s has the catalogue status and close code', (code, spec) => {
    const cells = rows.get(code);
    expect(cells?.[2]).toBe(String(spec.status));
    expect(cells?.[3]).toBe('close' in spec ? String(spec.close) : '');
  });
});
