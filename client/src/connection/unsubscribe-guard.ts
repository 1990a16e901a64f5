/**
 * Works around a crash in ShareDB's client. Offline, ShareDB answers an unsubscribe itself on the next tick; should
 * the connection's state change before that tick (closed, or connecting again), it answers the same request at once
 * as well, and the answer on the tick then finds no request and throws a TypeError from a `nextTick`: an uncaught
 * exception, fatal in Node. The second answer of one request is skipped here.
 */
import type { Doc } from 'sharedb/lib/client/index.js';

interface SubscribingDoc {
  inflightSubscribe: object | null;
  _handleSubscribe(this: SubscribingDoc, ...args: unknown[]): void;
}

export function guardUnsubscribeAnswers(doc: Doc): void {
  const target = doc as unknown as SubscribingDoc;
  const handleSubscribe = target._handleSubscribe;
  if (typeof handleSubscribe !== 'function') return;
  target._handleSubscribe = function (this: SubscribingDoc, ...args: unknown[]): void {
    if (this.inflightSubscribe === null) return;
    handleSubscribe.apply(this, args);
  };
}
