/**
 * Keeps what a client receives for one document in version order. Two ShareDB paths race when several ops of a
 * document are committed in one batch:
 * - ops from a subscription pass through the `op` middleware (`backend.sanitizeOp`) before they are sent, and
 *   middleware that is sometimes synchronous and sometimes not (a remembered read permission, or a fresh
 *   authorization) lets a later op overtake an earlier one;
 * - the ack of a client's own op is sent only after `afterWrite` and the sanitizing of the ops it was transformed
 *   over, so the next version, committed right after it, can reach that client first.
 * A client that receives version n + 1 before n (or before the ack of n) fetches the whole document again instead
 * of applying the op. Here each subscription op waits for the ops before it for the same client and document, and
 * an op newer than the client's own op that is committed but not yet acknowledged waits for that ack.
 */
import type ShareDB from 'sharedb';
import { DocMap } from '../storage/doc-map.js';

type Done = (err?: unknown) => void;
type SanitizeOp = (agent: object, index: string, id: string, op: { v?: unknown }, callback: Done) => void;

interface Slot {
  settled: boolean;
  /** Waits for the ack of the client's own op on the document. */
  held: boolean;
  err: unknown;
  readonly callback: Done;
}

interface DocState {
  readonly queue: Slot[];
  /** Version of the client's own op that is committed (or being committed) and not yet acknowledged. */
  unacked: number | undefined;
}

export class FanOutOrder {
  private readonly states = new WeakMap<object, DocMap<DocState>>();

  install(backend: ShareDB): void {
    const target = backend as unknown as { sanitizeOp: SanitizeOp };
    const sanitizeOp = target.sanitizeOp.bind(backend);
    target.sanitizeOp = (agent, index, id, op, callback) => {
      const state = this.states.get(agent)?.get(index, id);
      const held = state?.unacked !== undefined && typeof op.v === 'number' && op.v > state.unacked;
      if (!state || (state.queue.length === 0 && !held)) {
        // Nothing to wait for: an answer that comes at once goes straight through, without bookkeeping (the slot
        // is made only for an answer that comes later).
        let sync = true;
        let answeredAtOnce = false;
        let early: unknown;
        let slot: Slot | undefined;
        sanitizeOp(agent, index, id, op, (err) => {
          if (!sync) return this.settle(agent, index, id, slot!, err);
          answeredAtOnce = true;
          early = err;
        });
        sync = false;
        if (answeredAtOnce) return callback(early);
        slot = { settled: false, held: false, err: undefined, callback };
        this.stateOf(agent, index, id).queue.push(slot);
        return;
      }
      const slot: Slot = { settled: false, held, err: undefined, callback };
      state.queue.push(slot);
      sanitizeOp(agent, index, id, op, (err) => this.settle(agent, index, id, slot, err));
    };
  }

  /** The client's op on the document is about to be committed at version `v`. */
  committing(agent: object, collection: string, id: string, v: number): void {
    this.stateOf(agent, collection, id).unacked = v;
  }

  /** The client's op on the document has been answered (ack or error): what waited for it is sent. */
  answered(agent: object, collection: string, id: string): void {
    const state = this.states.get(agent)?.get(collection, id);
    if (!state) return;
    state.unacked = undefined;
    for (const slot of state.queue) slot.held = false;
    this.drain(agent, collection, id, state);
  }

  private settle(agent: object, collection: string, id: string, slot: Slot, err: unknown): void {
    slot.settled = true;
    slot.err = err;
    const state = this.states.get(agent)?.get(collection, id);
    if (state) this.drain(agent, collection, id, state);
  }

  private drain(agent: object, collection: string, id: string, state: DocState): void {
    const { queue } = state;
    while (queue.length > 0 && queue[0]!.settled && !queue[0]!.held) {
      const next = queue.shift()!;
      next.callback(next.err);
    }
    if (queue.length === 0 && state.unacked === undefined) this.states.get(agent)?.delete(collection, id);
  }

  private stateOf(agent: object, collection: string, id: string): DocState {
    let byDoc = this.states.get(agent);
    if (!byDoc) this.states.set(agent, (byDoc = new DocMap()));
    let state = byDoc.get(collection, id);
    if (!state) byDoc.set(collection, id, (state = { queue: [], unacked: undefined }));
    return state;
  }
}
