/**
 * The checker of the kill tests finds what it must: without this, a checker that reports nothing would make the
 * kill -9 tests pass vacuously. Synthetic stores, no I/O.
 */
import { describe, expect, it } from 'vitest';
import { Ledger } from './marker-load.js';
import { checkStore, type StoredDoc, type StoredOp } from './store-check.js';

const JSON0 = 'http://sharejs.org/types/JSONv0';

function listDoc(markers: string[], overrides: Partial<StoredDoc> = {}): StoredDoc {
  const ops: StoredOp[] = [{ v: 0, create: { type: JSON0, data: { list: [] } } }];
  markers.forEach((marker, i) => ops.push({ v: i + 1, op: [{ p: ['list', i], li: marker }] }));
  return { id: 'list-json0', type: JSON0, v: ops.length, data: { list: [...markers] }, ops, ...overrides };
}

function ledgerOf(entries: Array<[string, 'acked' | 'in-flight' | 'failed', boolean?]>): Ledger {
  const ledger = new Ledger();
  for (const [marker, state, onWire = true] of entries) {
    ledger.sent(marker, 'list-json0', 1);
    if (onWire) ledger.onWire({ a: 'op', op: [{ li: marker }] });
    if (state !== 'in-flight') ledger.answered(marker, state === 'failed' ? { code: 'ERR_X' } : undefined);
  }
  return ledger;
}

describe('the kill-test store checker', () => {
  it('accepts a consistent store and counts the figures', () => {
    const ledger = ledgerOf([['<1.0.0>', 'acked'], ['<1.0.1>', 'in-flight'], ['<1.0.2>', 'in-flight']]);
    const check = checkStore([listDoc(['<1.0.0>', '<1.0.1>'])], ledger);
    expect(check.problems).toEqual([]);
    expect(check.figures(1)).toEqual({ acknowledged: 1, stored: 2, inFlight: 2, inFlightSent: 2, storedNotAcked: 1, failed: 0 });
  });

  it('reports a lost acknowledged op, a stored op that never left its client, a failed op stored, an unknown marker', () => {
    const ledger = ledgerOf([['<1.0.0>', 'acked'], ['<1.0.1>', 'acked'], ['<1.0.2>', 'in-flight', false], ['<1.0.3>', 'failed']]);
    const problems = checkStore([listDoc(['<1.0.0>', '<1.0.2>', '<1.0.3>', '<9.9.9>'])], ledger).problems.join('\n');
    expect(problems).toContain('acknowledged <1.0.1> (list-json0) is not stored');
    expect(problems).toContain('<1.0.2> is stored but never left its client');
    expect(problems).toContain('<1.0.3> was answered with ERR_X but is stored');
    expect(problems).toContain('stored <9.9.9> was never sent');
  });

  it('reports a version gap, a snapshot that is not the replay of its log, and a marker applied twice', () => {
    const ledger = ledgerOf([['<1.0.0>', 'acked'], ['<1.0.1>', 'acked']]);
    const doc = listDoc(['<1.0.0>', '<1.0.1>']);
    const gap = { ...doc, ops: doc.ops.filter((op) => op.v !== 1) };
    expect(checkStore([gap], ledger).problems.join('\n')).toMatch(/op versions \[0,2\] are not 0\.\.2/);
    const drift = { ...doc, data: { list: ['<1.0.1>', '<1.0.0>'] } };
    expect(checkStore([drift], ledger).problems.join('\n')).toMatch(/differs from the replay/);
    const twice = listDoc(['<1.0.0>', '<1.0.0>', '<1.0.1>']);
    expect(checkStore([twice], ledger).problems.join('\n')).toMatch(/<1\.0\.0> is 2 times in the log/);
  });
});
