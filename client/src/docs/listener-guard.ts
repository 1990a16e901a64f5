/**
 * ShareDB's client applies every op, the user's own as it is submitted and other people's as they arrive, inside a
 * try/catch whose catch is a hard rollback: the doc throws away its inflight and pending ops (the user's edits the
 * server has not acknowledged) and reloads. So an exception from any listener of the events emitted while an op is
 * applied (a bug in a page's `doc.on('op')` handler, a DOM call that fails) silently loses edits. Its other events
 * are emitted in the middle of its bookkeeping too: an exception from a 'load' listener skips the fetch or subscribe
 * callbacks and the next queued subscribe request, and one from a 'no write pending' or 'nothing pending' listener
 * skips the rest of a reply's handling.
 *
 * `guardListeners` runs each listener of those events on its own: one that throws is reported through `report`
 * (after ShareDB has finished what it was doing), and the op, the edits and the other listeners go on. A listener
 * that fails has missed that event; whatever it keeps in sync should be reloaded from `doc.data` (as the bindings
 * do).
 */
import type { Doc } from 'sharedb/lib/client/index.js';
import { toError } from '@concord/shared';

/** The events `Doc._otApply` emits inside its try/catch, and those emitted in the middle of a reply's handling. */
const GUARDED_EVENTS: ReadonlySet<string | symbol> = new Set([
  'before op batch', 'before op', 'op', 'op batch', 'create', 'del', 'load', 'no write pending', 'nothing pending',
]);

type Listener = (...args: unknown[]) => unknown;
interface DocEmitter {
  emit(event: string | symbol, ...args: unknown[]): boolean;
  rawListeners(event: string | symbol): Listener[];
}

const GUARDED = Symbol('concord.guardedEmit');
type GuardedEmit = DocEmitter['emit'] & { [GUARDED]?: true };

/** Guards `doc` (see above) until the returned function is called. A doc already guarded is left as it is. */
export function guardListeners(doc: Doc, report: (error: Error, event: string) => void): () => void {
  const emitter = doc as unknown as DocEmitter & { emit: GuardedEmit };
  if (emitter.emit[GUARDED]) return () => {};
  const emit = emitter.emit;
  const guarded: GuardedEmit = function (this: DocEmitter, event, ...args) {
    if (!GUARDED_EVENTS.has(event)) return emit.call(this, event, ...args);
    // The raw listeners: a `once` wrapper removes itself when called, as with emit().
    const listeners = this.rawListeners(event);
    for (const listener of listeners) {
      try {
        listener.apply(this, args);
      } catch (thrown) {
        const error = toError(thrown);
        queueMicrotask(() => report(error, String(event)));
      }
    }
    return listeners.length > 0;
  };
  guarded[GUARDED] = true;
  emitter.emit = guarded;
  return () => {
    if (emitter.emit === guarded) emitter.emit = emit;
  };
}
