import { describe, expect, it } from 'vitest';
import { DuplicateOpFilter } from '../../../server/dist/engine/duplicate-ops.js';

/** An agent stand-in whose `send` records what would reach the socket. */
function agent() {
  const sent: Array<Record<string, unknown>> = [];
  return { sent, send: (message: Record<string, unknown>) => void sent.push(message) };
}
const op = (d: string, v: number) => ({ a: 'op', c: 'notes', d, v, op: ['n', { ena: 1 }] });

describe('DuplicateOpFilter', () => {
  it('drops an op older than what the connection was sent, passes errors, forgets a document on a new read', () => {
    const filter = new DuplicateOpFilter();
    const a = agent();
    filter.install(a);
    a.send(op('x', 1));
    a.send(op('x', 2));
    a.send(op('x', 1)); // the copy ShareDB sends with an ack
    a.send({ a: 'op', c: 'notes', d: 'x', v: 3, src: 's', seq: 1 }); // the ack of the connection's own op at 3
    a.send(op('x', 3)); // its own op again: older than the ack says the client has
    a.send({ a: 'op', c: 'notes', d: 'x', v: 1, error: { code: 'ERR_OP_INVALID' } });
    a.send(op('y', 1)); // another document
    expect(a.sent.map((m) => `${m['d']}@${m['v']}${m['error'] ? '!' : ''}`)).toEqual(['x@1', 'x@2', 'x@3', 'x@1!', 'y@1']);

    filter.received(a, { a: 's', c: 'notes', d: 'x', v: 1 }); // may hold an older version now
    a.send(op('x', 1));
    filter.received(a, { a: 'bf', c: 'notes', b: ['y'] });
    a.send(op('y', 1));
    expect(a.sent.slice(5).map((m) => `${m['d']}@${m['v']}`)).toEqual(['x@1', 'y@1']);
  });

  it('starts over instead of growing without bound for a connection that wrote to very many documents', () => {
    const filter = new DuplicateOpFilter();
    const a = agent();
    filter.install(a);
    for (let i = 0; i < 10_000; i++) a.send(op(`d${i}`, 5));
    a.send(op('d0', 4)); // still remembered: dropped
    a.send(op('one-more', 1)); // the 10,001st document: the memory starts over
    a.send(op('d0', 4)); // forgotten: sent (the client ignores it as a copy)
    expect(a.sent.slice(10_000).map((m) => `${m['d']}@${m['v']}`)).toEqual(['one-more@1', 'd0@4']);
  });

  it('gives agents that share a send method one filtered send, each still writing to its own stream', () => {
    class Agent {
      readonly sent: unknown[] = [];
      send(message: unknown): void {
        this.sent.push(message);
      }
    }
    const filter = new DuplicateOpFilter();
    const [a, b] = [new Agent(), new Agent()];
    filter.install(a);
    filter.install(b);
    expect(a.send).toBe(b.send);
    a.send(op('x', 2));
    b.send(op('x', 1));
    a.send(op('x', 1)); // a copy for a, not for b
    expect([a.sent.length, b.sent.length]).toEqual([1, 1]);
  });
});
