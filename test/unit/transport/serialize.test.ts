import { describe, expect, it } from 'vitest';
import { serialize } from '../../../server/dist/transport/websocket/serialize.js';

describe('serialize', () => {
  const op = [{ p: ['n'], na: 1 }];
  const message = (extra: Record<string, unknown> = {}) => ({ a: 'op', c: 'notes', d: 'x', v: 7, src: 's', seq: 3, op, ...extra });

  it('gives the same text as JSON.stringify, reusing it for the same op to every recipient', () => {
    const first = serialize(message());
    expect(first).toBe(JSON.stringify(message()));
    expect(serialize(message())).toBe(first);
  });

  it('never reuses a serialization when any field differs', () => {
    serialize(message());
    for (const change of [{ v: 8 }, { c: 'other' }, { d: 'y' }, { src: 't' }, { seq: 4 }]) {
      expect(JSON.parse(serialize(message(change)))).toEqual(message(change));
    }
    const withExtra = { ...message(), x: 1 };
    expect(JSON.parse(serialize(withExtra))).toEqual(withExtra);
    expect(JSON.parse(serialize({ a: 'op', c: 'notes', d: 'x', v: 7, src: 's', seq: 3, create: { type: 't' } }))).toMatchObject({ create: { type: 't' } });
  });
});
