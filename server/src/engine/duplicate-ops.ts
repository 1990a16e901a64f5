/**
 * Drops the op messages a client would ignore as duplicates. ShareDB sends a client the ops its submit was transformed
 * over twice: once from its subscription and once in the submit's reply, just before the ack. On a document where ten
 * clients type at once, four of every ten op messages were such copies, each costing the server a serialization and a
 * write and the client a parse.
 *
 * A copy is useless only if the client has moved past its version, and the stock client moves by its own rules: it
 * applies an op (or takes an ack) whose version is its own, ignores an older one, and for a newer one (an op that
 * overtook others, which happens with several server processes on one pub/sub) ignores it and fetches. So this
 * follows, per connection and document, a version the client is known to have reached at least, and drops only ops
 * below it:
 * - the client submits an op made at version v: it has reached v;
 * - an op or ack at exactly that version goes out: the client will be past it when it reads it;
 * - an op ahead of it goes out: nothing is known about it, so a later copy still goes out (the client may need it);
 * - a subscribe or fetch that names a version: the client is at that version; any other request that can replace
 *   the client's copy of the document (subscribe or fetch of a snapshot, unsubscribe, in bulk too) forgets it, and
 *   every op goes out until the client's next submit. A reconnect is a new connection.
 * Falling behind the client is always safe (a copy goes out); the rules never run ahead of it.
 */
import { DocMap } from '../storage/doc-map.js';

type Message = Record<string, unknown>;
type Send = (message: Message) => void;

/** Requests after which the client may hold another version of the document than the one followed. */
const SINGLE_REQUESTS = new Set(['s', 'f', 'u']);
const BULK_REQUESTS = new Set(['bs', 'bf', 'bu']);
/** Documents remembered per connection (a subscriber holds at most 5000 subscriptions). */
const MAX_DOCS_PER_CONNECTION = 10_000;

export class DuplicateOpFilter {
  /** agent → document → a version the client has reached at least. */
  private readonly reached = new WeakMap<object, DocMap<number>>();
  /**
   * ShareDB's agents share one `send` (Agent.prototype's), so they share one filtered `send` too: a closure per
   * connection would cost every idle one.
   */
  private shared: { readonly original: Send; readonly filtered: Send } | undefined;

  /** Wraps the agent's `send`, through which every op, ack and reply leaves. */
  install(agent: object): void {
    const target = agent as { send: Send };
    const original = target.send;
    this.shared ??= { original, filtered: this.sendThrough(original) };
    target.send = original === this.shared.original ? this.shared.filtered : this.sendThrough(original);
  }

  /** `send` (ShareDB's Agent.prototype.send) behind the filter; `this` is the agent. */
  private sendThrough(send: Send): Send {
    const filter = this;
    return function filtered(this: object, message: Message): void {
      if (message['a'] === 'op' && !filter.admit(this, message)) return;
      send.call(this, message);
    };
  }

  /** A message from the client: what it says about the version the client holds. */
  received(agent: object, data: Message): void {
    const { a: action, c: collection } = data;
    if (typeof action !== 'string' || typeof collection !== 'string') return;
    if (action === 'op') {
      const { d: id, v } = data;
      if (typeof id !== 'string' || typeof v !== 'number') return;
      const byDoc = this.docsOf(agent);
      const known = byDoc.get(collection, id);
      if (known === undefined || known < v) byDoc.set(collection, id, v);
      return;
    }
    if (SINGLE_REQUESTS.has(action)) {
      const id = String(data['d']);
      if (action !== 'u' && typeof data['v'] === 'number') this.docsOf(agent).set(collection, id, data['v']);
      else this.reached.get(agent)?.delete(collection, id);
      return;
    }
    const byDoc = this.reached.get(agent);
    if (byDoc && BULK_REQUESTS.has(action)) {
      const ids = Array.isArray(data['b']) ? data['b'] : data['b'] && typeof data['b'] === 'object' ? Object.keys(data['b']) : [];
      for (const id of ids) byDoc.delete(collection, String(id));
    }
  }

  private admit(agent: object, message: Message): boolean {
    const { v, c: collection, d: id } = message;
    if (typeof v !== 'number' || typeof collection !== 'string' || typeof id !== 'string' || message['error'] !== undefined) {
      return true;
    }
    const byDoc = this.reached.get(agent);
    const reached = byDoc?.get(collection, id);
    if (reached === undefined) return true;
    if (v < reached) return false;
    if (v === reached) byDoc!.set(collection, id, v + 1);
    return true;
  }

  private docsOf(agent: object): DocMap<number> {
    let byDoc = this.reached.get(agent);
    // A connection that has written to very many documents starts over: forgetting only means sending a copy again.
    if (!byDoc) this.reached.set(agent, (byDoc = new DocMap(MAX_DOCS_PER_CONNECTION)));
    return byDoc;
  }
}
