/**
 * Drops the op messages a client would ignore as duplicates. ShareDB sends a client the ops its submit was transformed
 * over twice: once from its subscription and once in the submit's reply, just before the ack. The stock client
 * ignores an op older than its document's version, so the second copy only costs the server a serialization and a
 * write, and the client a parse: on a document where ten clients type at once, four of every ten op messages were
 * such copies.
 *
 * Per connection and document this remembers the version the client was last sent (an op or the ack of its own op)
 * and drops an op message older than that. Anything that can move the client's document back in time comes from the
 * client as a request (subscribe, fetch, unsubscribe, in bulk too; a reconnect is a new connection), so such a
 * request forgets the document and every op is sent again until the next one goes out.
 */
import { DocMap } from '../storage/doc-map.js';

type Message = Record<string, unknown>;
type Send = (message: Message) => void;

/** Requests after which the client may hold an older version of the document than it was last sent. */
const SINGLE_RESETS = new Set(['s', 'f', 'u']);
const BULK_RESETS = new Set(['bs', 'bf', 'bu']);
/** Documents remembered per connection (a subscriber holds at most 5000 subscriptions). */
const MAX_DOCS_PER_CONNECTION = 10_000;

export class DuplicateOpFilter {
  /** agent → document → the lowest version the client may still need. */
  private readonly next = new WeakMap<object, DocMap<number>>();
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

  /** A message from the client: a request that may rewind its copy of a document forgets that document. */
  received(agent: object, data: Message): void {
    const byDoc = this.next.get(agent);
    if (!byDoc) return;
    const { a: action, c: collection } = data;
    if (typeof action !== 'string' || typeof collection !== 'string') return;
    if (SINGLE_RESETS.has(action)) {
      byDoc.delete(collection, String(data['d']));
    } else if (BULK_RESETS.has(action)) {
      const ids = Array.isArray(data['b']) ? data['b'] : data['b'] && typeof data['b'] === 'object' ? Object.keys(data['b']) : [];
      for (const id of ids) byDoc.delete(collection, String(id));
    }
  }

  private admit(agent: object, message: Message): boolean {
    const { v, c: collection, d: id } = message;
    if (typeof v !== 'number' || typeof collection !== 'string' || typeof id !== 'string' || message['error'] !== undefined) {
      return true;
    }
    let byDoc = this.next.get(agent);
    const next = byDoc?.get(collection, id);
    if (next !== undefined && v < next) return false;
    if (!byDoc) this.next.set(agent, (byDoc = new DocMap()));
    // A connection that has written to very many documents starts over: forgetting only means sending a copy again.
    if (byDoc.size >= MAX_DOCS_PER_CONNECTION && byDoc.get(collection, id) === undefined) byDoc.clear();
    byDoc.set(collection, id, v + 1);
    return true;
  }
}
