import { describe, expect, it } from 'vitest';
import { DuplicateOpFilter } from '../../../server/dist/engine/duplicate-ops.js';

/** An agent stand-in whose `send` records what would reach the socket. */
function agent() {
  const sent: Array<Record<string, unknown>> = [];
  return { sent, send: (message: Record<string, unknown>) => void sent.push(message) };
}
const op = (d: string, v: number) => ({ a: 'op', c: 'notes', d, v, src: 'other', seq: v, op: ['n', { ena: 1 }] });
const ack = (d: string, v: number) => ({ a: 'op', c: 'notes', d, v, src: 'me', seq: 1 });
const submit = (d: string, v: number) => ({ a: 'op', c: 'notes', d, v, seq: 1, op: ['n', { ena: 1 }] });
const versions = (a: ReturnType<typeof agent>, from = 0) =>
  a.sent.slice(from).map((m) => `${m['d']}@${m['v']}${m['error'] ? '!' : ''}`);

describe('DuplicateOpFilter', () => {
  it('drops the submit reply\'s copies of ops the client already took, passes errors and unknown documents', () => {
    const filter = new DuplicateOpFilter();
    const a = agent();
    filter.install(a);
    filter.received(a, submit('x', 1)); // the client is at version 1
    a.send(op('x', 1)); // from the subscription: the client applies it
    a.send(op('x', 2));
    a.send(op('x', 1)); // the submit reply's copies
    a.send(op('x', 2));
    a.send(ack('x', 3));
    a.send(op('x', 3)); // a copy of the version the ack announced
    a.send({ a: 'op', c: 'notes', d: 'x', v: 1, error: { code: 'ERR_OP_INVALID' } });
    a.send(op('y', 1)); // a document the client said nothing about: nothing is dropped
    a.send(op('y', 1));
    expect(versions(a)).toEqual(['x@1', 'x@2', 'x@3', 'x@1!', 'y@1', 'y@1']);
  });

  it('sends again an op that went out ahead of the client (ops from other processes overtaking each other)', () => {
    const filter = new DuplicateOpFilter();
    const a = agent();
    filter.install(a);
    filter.received(a, submit('x', 5));
    a.send(op('x', 7)); // overtook 5 and 6 on the pub/sub: the client ignores it and fetches
    a.send(op('x', 5));
    a.send(op('x', 6));
    a.send(op('x', 5)); // the submit reply: copies of 5 and 6, but 7 is needed again
    a.send(op('x', 6));
    a.send(op('x', 7));
    a.send(ack('x', 8));
    a.send(op('x', 7)); // now a copy
    expect(versions(a)).toEqual(['x@7', 'x@5', 'x@6', 'x@7', 'x@8']);
  });

  it('follows a fetch or subscribe from a version, and forgets the document on a request that may replace it', () => {
    const filter = new DuplicateOpFilter();
    const a = agent();
    filter.install(a);
    filter.received(a, { a: 'f', c: 'notes', d: 'x', v: 3 });
    a.send(op('x', 9)); // from the subscription, ahead of the fetch's reply
    for (let v = 3; v <= 9; v++) a.send(op('x', v)); // the reply: every op since version 3, 9 again
    for (let v = 3; v <= 9; v++) a.send(op('x', v)); // all copies now
    expect(versions(a)).toEqual(['x@9', 'x@3', 'x@4', 'x@5', 'x@6', 'x@7', 'x@8', 'x@9']);

    filter.received(a, { a: 's', c: 'notes', d: 'x' }); // a snapshot: the client's version is not known
    a.send(op('x', 9));
    filter.received(a, submit('x', 10));
    filter.received(a, { a: 'u', c: 'notes', d: 'x' });
    a.send(op('x', 9));
    filter.received(a, submit('x', 10));
    filter.received(a, { a: 'bf', c: 'notes', b: ['x'] });
    a.send(op('x', 9));
    filter.received(a, submit('x', 4)); // an older submit (a resend) does not move the client back
    filter.received(a, submit('x', 10));
    filter.received(a, submit('x', 4));
    a.send(op('x', 9));
    expect(versions(a, 8)).toEqual(['x@9', 'x@9', 'x@9']);
  });

  it('starts over instead of growing without bound for a connection that wrote to very many documents', () => {
    const filter = new DuplicateOpFilter();
    const a = agent();
    filter.install(a);
    for (let i = 0; i < 10_000; i++) filter.received(a, submit(`d${i}`, 5));
    a.send(op('d0', 4)); // still remembered: dropped
    filter.received(a, submit('one-more', 1)); // the 10,001st document: the memory starts over
    a.send(op('d0', 4)); // forgotten: sent (the client ignores it as a copy)
    expect(versions(a)).toEqual(['d0@4']);
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
    filter.received(a, submit('x', 2));
    filter.received(b, submit('x', 1));
    a.send(op('x', 1)); // a copy for a, not for b
    b.send(op('x', 1));
    expect([a.sent.length, b.sent.length]).toEqual([0, 1]);
  });
});
